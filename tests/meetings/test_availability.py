"""The availability finder: free rooms (own unit first), busy people, next free slots,
with a constant number of queries whatever the number of meetings and rooms."""

from __future__ import annotations

from datetime import timedelta

from meetings import availability
from meetings.availability import Query
from tests.factories import at, make_room, make_unit, working_day
from tests.meetings.conftest import book


def _names(rooms):
    return [r.name for r in rooms]


def test_free_rooms_own_unit_first_then_shared_rooms(org):
    day = working_day(10)
    org.cdc_room.shared = True
    org.cdc_room.save()
    result = availability.find(org.secretary, Query(start=at(day, 8), end=at(day, 9), people=5))
    assert _names(result.rooms) == ["Phòng họp B", "Phòng họp A", "Phòng giao ban CDC", "Hội trường Sở"]


def test_busy_rooms_capacity_equipment_and_buffers_filter(org):
    day = working_day(10)
    org.room_b.cleanup_buffer_minutes = 30
    org.room_b.save()
    book(org.secretary, org.hospital, at(day, 7), at(day, 8), [org.room_b])  # buffer to 08:30
    book(org.secretary, org.hospital, at(day, 8, 30), at(day, 9), [org.room_a])
    q = Query(start=at(day, 8, 15), end=at(day, 8, 45), people=5)
    assert _names(availability.find(org.secretary, q).rooms) == ["Hội trường Sở"]
    q = Query(start=at(day, 10), end=at(day, 11), people=10, equipment=["projector"])
    assert _names(availability.find(org.secretary, q).rooms) == ["Phòng họp A", "Hội trường Sở"]
    q = Query(start=at(day, 10), end=at(day, 11), people=50)
    assert _names(availability.find(org.secretary, q).rooms) == ["Hội trường Sở"]


def test_outsider_does_not_see_unshared_rooms_of_other_units(org):
    day = working_day(10)
    result = availability.find(org.outsider, Query(start=at(day, 8), end=at(day, 9)))
    assert _names(result.rooms) == ["Phòng giao ban CDC", "Hội trường Sở"]
    # Claiming to book for the hospital does not reveal the hospital's own rooms either.
    result = availability.find(org.outsider, Query(start=at(day, 8), end=at(day, 9), for_unit=org.hospital.pk))
    assert _names(result.rooms) == ["Hội trường Sở"]


def test_busy_attendees_are_listed_without_titles(org):
    day = working_day(10)
    book(org.secretary, org.hospital, at(day, 8), at(day, 9), [org.room_a], attendees=["thanhvien@bvdk.vn"], title="Bí mật")
    result = availability.find(org.secretary, Query(start=at(day, 8, 30), end=at(day, 9, 30), attendees=[org.member.pk, org.leader.pk]))
    assert [(b.user_id, b.start, b.end) for b in result.busy] == [(org.member.pk, at(day, 8), at(day, 9))]
    assert not hasattr(result.busy[0], "title")


def test_next_free_slots_when_nothing_fits(org):
    day = working_day(10)
    book(org.secretary, org.hospital, at(day, 8), at(day, 10), [org.room_a])
    q = Query(start=at(day, 8), end=at(day, 9), people=15, units=[org.hospital.pk])
    result = availability.find(org.secretary, q)
    assert result.rooms == []
    first = result.next_slots[0]
    assert (first.start, first.end, _names(first.rooms)) == (at(day, 10), at(day, 11), ["Phòng họp A"])
    assert all(s.start >= at(day, 10) for s in result.next_slots)


def test_finder_query_count_does_not_grow_with_meetings_or_rooms(org, django_assert_num_queries):
    day = working_day(10)
    q = Query(start=at(day, 8), end=at(day, 9), people=2, attendees=[org.member.pk])
    with django_assert_num_queries(2):  # free rooms; busy attendees
        small = availability.find(org.secretary, q)
    for i in range(15):
        unit = make_unit(f"tt{i}", parent=org.dept)
        room = make_room(unit, f"Phòng {i}", capacity=30, shared=True)
        make_room(org.hospital, f"Phòng BV {i}", capacity=10, equipment=["projector"])
        book(org.secretary, org.hospital, at(day + timedelta(days=i % 3), 8), at(day + timedelta(days=i % 3), 9), [room], attendees=["thanhvien@bvdk.vn"])
    with django_assert_num_queries(2):
        big = availability.find(org.secretary, q)
    assert len(big.rooms) > len(small.rooms)
    # Nothing fits: the candidate rooms and the bookings of the search horizon, still constant.
    full = Query(start=at(day, 8), end=at(day, 9), people=100, units=[org.dept.pk])
    org.hall.requires_approval = False
    org.hall.save()
    book(org.dept_secretary, org.dept, at(day, 7), at(day, 12), [org.hall], is_urgent=True, urgent_reason="x")
    with django_assert_num_queries(3):
        result = availability.find(org.dept_secretary, full)
    assert result.rooms == [] and result.next_slots
