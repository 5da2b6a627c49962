"""Bad input: each gets a clear JSON error (400/401/403/404/409, never 500) and writes nothing."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from meetings.models import AuditEntry, Booking, Meeting, Occurrence
from tests.factories import at, make_room, working_day
from tests.meetings.conftest import book


def _rows():
    return (Meeting.objects.count(), Occurrence.objects.count(), Booking.objects.count(), AuditEntry.objects.filter(object_type="meeting").count())


def _base(org, day, **over):
    data = {"title": "Giao ban", "organizing_unit": "bvdk", "start": at(day, 8).isoformat(), "end": at(day, 9).isoformat(),
            "rooms": [org.room_a.pk]}
    data.update(over)
    return data


CASES = {
    "end before start": (lambda o, d: {"end": at(d, 7).isoformat()}, 400, "end"),
    "zero length": (lambda o, d: {"end": at(d, 8).isoformat()}, 400, "end"),
    "naive datetime": (lambda o, d: {"start": datetime.combine(d, datetime.min.time()).replace(hour=8).isoformat()}, 400, "múi giờ"),
    "garbage datetime": (lambda o, d: {"start": "ngày mai"}, 400, "start"),
    "time in the past": (lambda o, d: {"start": at(d - timedelta(days=400), 8).isoformat(), "end": at(d - timedelta(days=400), 9).isoformat()}, 400, "start"),
    "unknown room": (lambda o, d: {"rooms": [987654]}, 400, "987654"),
    "huge room id": (lambda o, d: {"rooms": [10**30]}, 400, "rooms"),
    "inactive room": (lambda o, d: {"rooms": [make_room(o.hospital, "Cũ", is_active=False).pk]}, 400, "Cũ"),
    "room of a unit that does not share it": (lambda o, d: {"rooms": [o.cdc_room.pk]}, 400, "CDC"),
    "capacity exceeded": (lambda o, d: {"rooms": [{"room": o.room_b.pk, "expected": 30}]}, 400, "8"),
    "duplicate room": (lambda o, d: {"rooms": [o.room_a.pk, o.room_a.pk]}, 400, "Phòng họp A"),
    "never-ending rrule": (lambda o, d: {"rrule": "FREQ=WEEKLY"}, 400, "COUNT"),
    "rrule over 500": (lambda o, d: {"rrule": "FREQ=DAILY;COUNT=501"}, 400, "500"),
    "unknown unit": (lambda o, d: {"organizing_unit": "khong-co"}, 400, "organizing_unit"),
    "no title": (lambda o, d: {"title": "   "}, 400, "title"),
    "duplicate attendee": (lambda o, d: {"attendees": [{"email": "a@x.vn"}, {"email": "A@x.vn"}]}, 400, "a@x.vn"),
    "unknown chair": (lambda o, d: {"chair": 99999}, 400, "chair"),
    "rooms not a list": (lambda o, d: {"rooms": "phòng A"}, 400, "rooms"),
    "in person without a room": (lambda o, d: {"rooms": []}, 400, "rooms"),
    "urgent without reason": (lambda o, d: {"is_urgent": True}, 400, "urgent_reason"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_meeting_input_is_refused_and_writes_nothing(org, api, case):
    day = working_day(10)
    make, status, words = CASES[case]
    payload = _base(org, day, **make(org, day))
    before = _rows()
    r = api(org.secretary).post("/api/v1/meetings/", payload, format="json")
    assert r.status_code == status, (case, r.content)
    body = r.json()
    assert body["error"] == "invalid" and body["message"]
    assert words.lower() in r.content.decode().lower() or words in body["message"], body
    assert _rows() == before


def test_occurrence_scope_on_a_one_off_meeting_is_a_400(org, api):
    day = working_day(10)
    m = book(org.secretary, org.hospital, at(day, 8), at(day, 9), [org.room_a])
    r = api(org.secretary).patch(f"/api/v1/meetings/{m.uid}/", {"scope": "occurrence", "occurrence": at(day, 8).isoformat(), "start": at(day, 10).isoformat()}, format="json")
    assert r.status_code == 400 and r.json()["field"] == "scope"
    r = api(org.secretary).patch(f"/api/v1/meetings/{m.uid}/", {"scope": "sometimes"}, format="json")
    assert r.status_code == 400
    assert Occurrence.objects.get(meeting=m).start == at(day, 8)


def test_unknown_occurrence_and_field_outside_the_scope_are_400(org, api):
    day = working_day(10)
    m = book(org.secretary, org.hospital, at(day, 8), at(day, 9), [org.room_a], rrule="FREQ=WEEKLY;COUNT=2")
    r = api(org.secretary).patch(f"/api/v1/meetings/{m.uid}/", {"scope": "occurrence", "occurrence": at(day, 10).isoformat(), "start": at(day, 10).isoformat()}, format="json")
    assert r.status_code == 400 and r.json()["field"] == "occurrence"
    r = api(org.secretary).patch(f"/api/v1/meetings/{m.uid}/", {"scope": "occurrence", "occurrence": at(day, 8).isoformat(), "title": "x"}, format="json")
    assert r.status_code == 400 and r.json()["field"] == "title"


def test_not_found_and_unauthenticated_are_json(org, api):
    assert api(org.secretary).get("/api/v1/meetings/7f1c1f1e-0000-4000-8000-000000000000/").json()["error"] == "not_found"
    r = api().get("/api/v1/meetings/")
    assert r.status_code in (401, 403) and r.json()["message"]


@pytest.mark.parametrize("params", [
    {"start": "2026-12-01T08:00:00", "duration": 60},
    {"start": "x", "duration": 60},
    {"start": "2026-12-01T08:00:00+07:00"},
    {"start": "2026-12-01T08:00:00+07:00", "end": "2026-12-01T07:00:00+07:00"},
    {"start": "2026-12-01T08:00:00+07:00", "end": "2026-12-09T07:00:00+07:00"},
    {"start": "2026-12-01T08:00:00+07:00", "duration": 60, "attendees": "1,abc"},
    {"start": "2026-12-01T08:00:00+07:00", "duration": 60, "attendees": "99999999999999999999999"},
    {"start": "2026-12-01T08:00:00+07:00", "duration": 60, "units": "khong-co"},
])
def test_bad_availability_queries_are_400(org, api, params):
    r = api(org.secretary).get("/api/v1/availability/", params)
    assert r.status_code == 400, r.content
    assert r.json()["error"] == "invalid" and r.json()["message"]


@pytest.mark.parametrize("payload", [
    {"capacity": 0}, {"cleanup_buffer_minutes": 100000}, {"opens_at": "18:00", "closes_at": "07:00"}, {"capacity": "nhiều"},
])
def test_bad_room_input_is_400(org, api, payload):
    data = {"unit": "bvdk", "name": "Phòng mới", "capacity": 10, **payload}
    r = api(org.unit_admin).post("/api/v1/rooms/", data, format="json")
    assert r.status_code == 400, r.content
    assert not org.hospital.rooms.filter(name="Phòng mới").exists()


def test_room_of_another_unit_cannot_be_created_by_a_unit_admin(org, api):
    r = api(org.unit_admin).post("/api/v1/rooms/", {"unit": "cdc", "name": "Phòng lạ", "capacity": 10}, format="json")
    assert r.status_code == 403 and r.json()["error"] == "forbidden"
