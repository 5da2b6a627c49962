"""Series: exceptions survive series edits (peers.md §4), splits keep them, conflicts are
listed per date and room and can be skipped exactly, rules are finite."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from meetings import actions, recurrence
from meetings.actions import ActionError, RoomChoice, Scope
from meetings.booking import BookingConflict
from meetings.models import Booking, Meeting, Occurrence
from tests.factories import at, working_day
from tests.meetings.conftest import book


def _monday(weeks_ahead: int = 3):
    day = working_day(10) + timedelta(weeks=weeks_ahead)
    return day - timedelta(days=day.weekday())


def _weekly(org, count=6, room=None, **kw):
    monday = _monday()
    return book(org.secretary, org.hospital, at(monday, 8), at(monday, 9), [room or org.room_a],
                rrule=f"FREQ=WEEKLY;BYDAY=MO;COUNT={count}", **kw), monday


def _occs(meeting):
    return list(Occurrence.objects.filter(meeting=meeting, in_series=True).order_by("index"))


def _room_of(occ):
    return list(Booking.objects.holding().filter(occurrence=occ).values_list("room_id", flat=True))


def test_series_materialises_every_occurrence_with_its_booking(org):
    m, monday = _weekly(org, count=6)
    occs = _occs(m)
    assert [o.start for o in occs] == [at(monday + timedelta(weeks=i), 8) for i in range(6)]
    assert all(_room_of(o) == [org.room_a.pk] for o in occs)


def test_edited_occurrence_keeps_its_edit_when_the_whole_series_moves(org):
    m, monday = _weekly(org)
    third = _occs(m)[2]
    wednesday = monday + timedelta(weeks=2, days=2)
    actions.update_meeting(org.secretary, m, {"start": at(wednesday, 14), "end": at(wednesday, 15), "rooms": [RoomChoice(org.room_b)]},
                           scope=Scope.OCCURRENCE, occurrence=third)
    # Move the series one hour later, and to room B.
    actions.update_meeting(org.secretary, Meeting.objects.get(pk=m.pk), {"start": at(monday, 9), "end": at(monday, 10)})
    occs = _occs(m)
    assert len(occs) == 6
    edited = occs[2]
    assert edited.pk == third.pk and edited.is_exception
    assert (edited.start, edited.end) == (at(wednesday, 14), at(wednesday, 15))
    assert _room_of(edited) == [org.room_b.pk]
    for i, o in enumerate(occs):
        if i != 2:
            assert o.start == at(monday + timedelta(weeks=i), 9) and _room_of(o) == [org.room_a.pk]
    # The series keeps exactly one booking per occurrence: the old 08:00 ones were released.
    assert Booking.objects.holding().filter(occurrence__meeting=m).count() == 6


def test_cancelled_occurrence_stays_cancelled_when_the_series_moves(org):
    m, monday = _weekly(org)
    second = _occs(m)[1]
    actions.cancel_meeting(org.secretary, m, scope=Scope.OCCURRENCE, occurrence=second, reason="Trùng lịch tỉnh")
    actions.update_meeting(org.secretary, Meeting.objects.get(pk=m.pk), {"start": at(monday + timedelta(days=1), 8), "end": at(monday + timedelta(days=1), 9), "rrule": "FREQ=WEEKLY;BYDAY=TU;COUNT=6"})
    occs = _occs(m)
    assert occs[1].pk == second.pk
    assert occs[1].status == Occurrence.Status.CANCELLED and occs[1].cancelled_individually
    assert _room_of(occs[1]) == []
    assert [o.start.weekday() for o in occs] == [1] * 6  # every other one moved to Tuesday
    assert sum(1 for o in occs if _room_of(o)) == 5


def test_moving_a_series_with_until_keeps_its_last_meeting(org):
    monday = _monday()
    last = monday + timedelta(weeks=3)
    m = book(org.secretary, org.hospital, at(monday, 8), at(monday, 9), [org.room_a],
             rrule=f"FREQ=WEEKLY;UNTIL={last:%Y%m%d}")
    assert len(_occs(m)) == 4  # a date UNTIL includes that day
    actions.update_meeting(org.secretary, m, {"start": at(monday, 10), "end": at(monday, 11)})
    assert [o.start for o in _occs(m)] == [at(monday + timedelta(weeks=i), 10) for i in range(4)]
    m.refresh_from_db()
    actions.update_meeting(org.secretary, m, {"start": at(monday + timedelta(days=1), 10), "end": at(monday + timedelta(days=1), 11), "rrule": "FREQ=WEEKLY;COUNT=4"})
    assert len(_occs(m)) == 4


def test_shortening_a_series_keeps_the_dropped_meetings_as_cancelled_records(org):
    m, _ = _weekly(org, count=6)
    originals = {o.pk: o.recurrence_id for o in _occs(m)}
    actions.update_meeting(org.secretary, m, {"rrule": "FREQ=WEEKLY;BYDAY=MO;COUNT=4"})
    dropped = Occurrence.objects.filter(meeting=m, in_series=False)
    assert dropped.count() == 2
    for o in dropped:
        assert o.status == Occurrence.Status.CANCELLED
        assert o.recurrence_id == originals[o.pk]  # not left on a placeholder slot
        assert _room_of(o) == []


def test_this_and_following_split_keeps_exceptions_in_the_tail(org):
    m, monday = _weekly(org, count=6)
    occs = _occs(m)
    friday = monday + timedelta(weeks=4, days=4)
    actions.update_meeting(org.secretary, m, {"start": at(friday, 14), "end": at(friday, 15)}, scope=Scope.OCCURRENCE, occurrence=occs[4])
    actions.cancel_meeting(org.secretary, m, scope=Scope.OCCURRENCE, occurrence=occs[5])
    new = actions.update_meeting(org.secretary, Meeting.objects.get(pk=m.pk), {"title": "Giao ban (mới)", "start": at(monday + timedelta(weeks=3), 10), "end": at(monday + timedelta(weeks=3), 11)},
                                 scope=Scope.FOLLOWING, occurrence=occs[3])
    assert new.uid != m.uid and new.split_from_id == m.pk and new.title == "Giao ban (mới)"
    head, tail = _occs(m), _occs(new)
    assert [o.pk for o in head] == [o.pk for o in occs[:3]]
    assert [o.pk for o in tail] == [o.pk for o in occs[3:]]
    assert tail[0].start == at(monday + timedelta(weeks=3), 10)
    assert tail[1].is_exception and tail[1].start == at(friday, 14)  # the exception survived
    assert tail[2].status == Occurrence.Status.CANCELLED and tail[2].cancelled_individually
    assert [o.start for o in head] == [at(monday + timedelta(weeks=i), 8) for i in range(3)]
    assert recurrence.expand(Meeting.objects.get(pk=m.pk).rrule, at(monday, 8))[-1] == at(monday + timedelta(weeks=2), 8)
    assert Meeting.objects.get(pk=m.pk).title == "Họp giao ban"


def test_series_conflicts_list_each_date_and_room_and_skip_books_exactly_the_rest(org, api):
    monday = _monday()
    blockers = [monday + timedelta(weeks=1), monday + timedelta(weeks=4)]
    for d in blockers:
        book(org.secretary, org.hospital, at(d, 8, 30), at(d, 9, 30), [org.room_a], title="Họp lẻ")
    payload = {"title": "Giao ban tuần", "organizing_unit": "bvdk", "rooms": [org.room_a.pk, org.room_b.pk],
               "start": at(monday, 8).isoformat(), "end": at(monday, 9).isoformat(), "rrule": "FREQ=WEEKLY;BYDAY=MO;COUNT=6"}
    r = api(org.secretary).post("/api/v1/meetings/", payload, format="json")
    assert r.status_code == 409
    conflicts = r.json()["conflicts"]
    assert [(c["occurrence_start"], c["room"]) for c in conflicts] == [(at(d, 8).isoformat(), org.room_a.pk) for d in blockers]
    assert Meeting.objects.filter(title="Giao ban tuần").count() == 0
    r = api(org.secretary).post("/api/v1/meetings/", {**payload, "skip": [c["occurrence_start"] for c in conflicts]}, format="json")
    assert r.status_code == 201, r.json()
    m = Meeting.objects.get(title="Giao ban tuần")
    occs = _occs(m)
    assert len(occs) == 6
    skipped = [o for o in occs if o.status == Occurrence.Status.CANCELLED]
    assert [o.start for o in skipped] == [at(d, 8) for d in blockers]
    assert all(_room_of(o) == [] for o in skipped)
    assert all(sorted(_room_of(o)) == sorted([org.room_a.pk, org.room_b.pk]) for o in occs if o not in skipped)


def test_skip_of_a_date_outside_the_series_is_refused(org):
    monday = _monday()
    with pytest.raises(ActionError) as err:
        book(org.secretary, org.hospital, at(monday, 8), at(monday, 9), [org.room_a], rrule="FREQ=WEEKLY;COUNT=3",
             skip=[at(monday + timedelta(days=1), 8)])
    assert err.value.field == "skip"


def test_moving_a_series_onto_a_taken_slot_lists_it_and_changes_nothing(org):
    m, monday = _weekly(org, count=4)
    d = monday + timedelta(weeks=2)
    book(org.secretary, org.hospital, at(d, 10), at(d, 11), [org.room_a], title="Chiếm chỗ")
    with pytest.raises(BookingConflict) as err:
        actions.update_meeting(org.secretary, m, {"start": at(monday, 10), "end": at(monday, 11)})
    assert [(c.occurrence_start, c.room.pk) for c in err.value.clashes] == [(at(d, 10), org.room_a.pk)]
    assert [o.start for o in _occs(m)] == [at(monday + timedelta(weeks=i), 8) for i in range(4)]
    assert Booking.objects.holding().filter(occurrence__meeting=m).count() == 4
    actions.update_meeting(org.secretary, Meeting.objects.get(pk=m.pk), {"start": at(monday, 10), "end": at(monday, 11)}, skip=[at(d, 10)])
    occs = _occs(m)
    assert occs[2].status == Occurrence.Status.CANCELLED and _room_of(occs[2]) == []
    assert Booking.objects.holding().filter(occurrence__meeting=m).count() == 3


def test_monthly_series_by_nth_weekday(org):
    start = working_day(10)
    # The first Thursday of the month after next.
    first = (start.replace(day=1) + timedelta(days=62)).replace(day=1)
    while first.weekday() != 3:
        first += timedelta(days=1)
    m = book(org.secretary, org.hospital, at(first, 8), at(first, 9), [org.room_a], rrule="FREQ=MONTHLY;BYDAY=1TH;COUNT=4")
    starts = [o.start for o in _occs(m)]
    assert len(starts) == 4
    assert all(s.weekday() == 3 and s.day <= 7 for s in starts)
    assert len({s.month for s in starts}) == 4


@pytest.mark.parametrize(("rule", "words"), [
    ("FREQ=WEEKLY", "COUNT"),
    ("FREQ=DAILY;COUNT=501", "500"),
    ("FREQ=DAILY;UNTIL=20300101", "500"),
    ("FREQ=HOURLY;COUNT=3", "hằng ngày"),
    ("FREQ=MONTHLY;BYMONTH=2;BYMONTHDAY=30;COUNT=3", "không bao giờ"),
    ("FREQ=WEEKLY;BYDAY=TU;COUNT=3", "Buổi đầu tiên"),
    ("FREQ=WEEKLY;COUNT=abc", "Không đọc được"),
    ("RRULE:FREQ=WEEKLY;COUNT=2\nDTSTART:20260101T000000", "một giá trị RRULE"),
])
def test_bad_rules_are_refused_with_a_reason_and_nothing_is_written(org, rule, words):
    monday = _monday()
    began = time.monotonic()
    with pytest.raises(ActionError) as err:
        book(org.secretary, org.hospital, at(monday, 8), at(monday, 9), [org.room_a], rrule=rule)
    assert time.monotonic() - began < 5  # never scans dateutil's calendar up to year 9999
    assert err.value.field == "rrule" and words in err.value.message
    assert not Meeting.objects.exists()


def test_occurrence_scope_on_a_one_off_meeting_is_refused(org):
    day = working_day(10)
    m = book(org.secretary, org.hospital, at(day, 8), at(day, 9), [org.room_a])
    for call in (
        lambda: actions.update_meeting(org.secretary, m, {"start": at(day, 10)}, scope=Scope.OCCURRENCE, occurrence=_occs(m)[0]),
        lambda: actions.cancel_meeting(org.secretary, m, scope=Scope.FOLLOWING, occurrence=_occs(m)[0]),
    ):
        with pytest.raises(ActionError) as err:
            call()
        assert err.value.field == "scope"
    assert _occs(m)[0].start == at(day, 8)


def test_cancel_following_truncates_the_series_and_releases_the_rooms(org):
    m, _ = _weekly(org, count=5)
    occs = _occs(m)
    actions.cancel_meeting(org.secretary, m, scope=Scope.FOLLOWING, occurrence=occs[3], reason="Kết thúc sớm")
    assert [o.pk for o in _occs(m)] == [o.pk for o in occs[:3]]
    assert Booking.objects.holding().filter(occurrence__meeting=m).count() == 3
    m.refresh_from_db()
    assert len(recurrence.expand(m.rrule, m.start)) == 3
