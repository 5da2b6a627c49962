"""The write serializers' fields are shallow copies of the declared ones (CheapFieldsMixin):
each instance still has fields of its own, bound to it, and validations running side by
side do not see each other's data."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from meetings.api.serializers import AvailabilityQuerySerializer, MeetingWriteSerializer

pytestmark = pytest.mark.django_db


def _payload(org, title: str, hour: int) -> dict:
    return {"title": title, "organizing_unit": org.hospital.code, "start": f"2027-03-01T{hour:02}:00:00+07:00",
            "end": f"2027-03-01T{hour + 1:02}:00:00+07:00", "rooms": [{"room": org.room_a.pk, "expected": hour}],
            "attendees": [{"email": f"p{hour}@example.org"}], "skip": []}


@pytest.mark.parametrize("cls", [MeetingWriteSerializer, AvailabilityQuerySerializer])
def test_each_serializer_has_fields_of_its_own_and_the_declared_ones_stay_unbound(cls):
    one, two = cls(data={}), cls(data={})
    for name, declared in cls._declared_fields.items():
        a, b = one.fields[name], two.fields[name]
        assert a is not b and a is not declared
        assert a.parent is one and b.parent is two and a.field_name == b.field_name == name
        assert declared.field_name is None  # the prototype was never bound
    if "rooms" in one.fields:
        assert one.fields["rooms"].child is not two.fields["rooms"].child  # nested: deep copies, as before


@pytest.mark.django_db(transaction=True)  # the threads' own connections see the units
def test_validations_side_by_side_keep_their_own_data_and_errors(org):
    def validate(i: int):
        data = _payload(org, f"Họp {i}", 8 + i % 8)
        if i % 3 == 0:
            data["start"] = "2027-03-01T09:00:00"  # naive: refused
        s = MeetingWriteSerializer(data=data)
        return i, s.is_valid(), s.validated_data if not s.errors else s.errors

    def in_thread(i: int):
        from django.db import connection

        try:
            return validate(i)
        finally:
            connection.close()

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(in_thread, range(48)))
    for i, ok, out in results:
        if i % 3 == 0:
            assert not ok and "start" in out and "title" not in out
        else:
            assert ok and out["title"] == f"Họp {i}" and out["rooms"][0]["expected"] == 8 + i % 8
            assert out["attendees"][0]["email"] == f"p{8 + i % 8}@example.org"
