"""The booking engine: never two confirmed bookings of a room at once (buffers included),
room rules, capacity, approvals, all-or-nothing multi-room bookings, and concurrency."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from django.db import connection

from meetings import actions
from meetings.actions import ActionError, Forbidden
from meetings.booking import BookingConflict
from meetings.models import Booking, Meeting, MeetingRoom, Occurrence
from tests.factories import at, make_room, working_day
from tests.meetings.conftest import book, race, requires_postgres


def _counts() -> tuple[int, int, int, int]:
    return (Meeting.objects.count(), Occurrence.objects.count(), Booking.objects.count(), MeetingRoom.objects.count())


# --- overlap and buffers ---------------------------------------------------------------


def test_overlapping_booking_of_the_same_room_is_refused_with_the_time(org):
    day = working_day(10)
    book(org.secretary, org.hospital, at(day, 8), at(day, 9), [org.room_a])
    before = _counts()
    with pytest.raises(BookingConflict) as err:
        book(org.secretary, org.hospital, at(day, 8, 30), at(day, 9, 30), [org.room_a])
    [clash] = err.value.clashes
    assert clash.room == org.room_a
    assert clash.busy_start == at(day, 8) and clash.busy_end == at(day, 9)
    assert "Phòng họp A" in err.value.message
    assert _counts() == before


def test_back_to_back_bookings_are_fine_without_buffers(org):
    day = working_day(10)
    book(org.secretary, org.hospital, at(day, 8), at(day, 9), [org.room_a])
    book(org.secretary, org.hospital, at(day, 9), at(day, 10), [org.room_a])
    assert Booking.objects.holding().filter(room=org.room_a).count() == 2


def test_cleanup_buffer_blocks_the_next_meeting(org):
    org.room_a.cleanup_buffer_minutes = 15
    org.room_a.save()
    day = working_day(10)
    m = book(org.secretary, org.hospital, at(day, 8), at(day, 9), [org.room_a])
    b = Booking.objects.get(occurrence__meeting=m)
    assert (b.blocked_start, b.blocked_end) == (at(day, 8), at(day, 9, 15))
    with pytest.raises(BookingConflict):
        book(org.secretary, org.hospital, at(day, 9, 10), at(day, 10), [org.room_a])
    book(org.secretary, org.hospital, at(day, 9, 15), at(day, 10), [org.room_a])


def test_setup_buffer_of_the_new_booking_counts_too(org):
    org.room_a.setup_buffer_minutes = 30
    org.room_a.save()
    day = working_day(10)
    book(org.secretary, org.hospital, at(day, 8), at(day, 9), [org.room_a])
    with pytest.raises(BookingConflict):
        book(org.secretary, org.hospital, at(day, 9, 20), at(day, 10), [org.room_a])


def test_other_rooms_and_cancelled_meetings_do_not_block(org):
    day = working_day(10)
    m = book(org.secretary, org.hospital, at(day, 8), at(day, 9), [org.room_a])
    book(org.secretary, org.hospital, at(day, 8), at(day, 9), [org.room_b])
    actions.cancel_meeting(org.secretary, m, reason="Hoãn")
    assert Booking.objects.get(occurrence__meeting=m).status == Booking.Status.RELEASED
    assert Meeting.objects.get(pk=m.pk).status == Meeting.Status.CANCELLED  # kept, not deleted
    book(org.secretary, org.hospital, at(day, 8), at(day, 9), [org.room_a])


# --- all or nothing ---------------------------------------------------------------------


def test_multi_room_booking_with_one_room_taken_writes_nothing(org):
    org.cdc_room.shared = True
    org.cdc_room.save()
    day = working_day(10)
    book(org.outsider, org.cdc, at(day, 8), at(day, 9), [org.cdc_room])
    before = _counts()
    with pytest.raises(BookingConflict) as err:
        book(org.secretary, org.hospital, at(day, 8), at(day, 9), [org.room_a, org.cdc_room], title="Giao ban trực tuyến", mode=Meeting.Mode.HYBRID)
    assert [c.room for c in err.value.clashes] == [org.cdc_room]
    assert _counts() == before


def test_multi_room_booking_books_every_room(org):
    org.cdc_room.shared = True
    org.cdc_room.save()
    day = working_day(10)
    m = book(org.secretary, org.hospital, at(day, 8), at(day, 9), [org.room_a, org.cdc_room], mode=Meeting.Mode.HYBRID)
    assert sorted(Booking.objects.filter(occurrence__meeting=m).values_list("room_id", flat=True)) == sorted([org.room_a.pk, org.cdc_room.pk])


# --- rules ------------------------------------------------------------------------------


def test_capacity_is_enforced_against_people_expected_in_that_room(org):
    day = working_day(10)
    people = [f"khach{i}@example.vn" for i in range(8)]  # + nobody else: 8 fit room_b (8 seats)
    book(org.secretary, org.hospital, at(day, 8), at(day, 9), [org.room_b], attendees=people)
    before = _counts()
    with pytest.raises(ActionError) as err:
        book(org.secretary, org.hospital, at(day, 10), at(day, 11), [org.room_b], attendees=[*people, "them@example.vn"])
    assert "8" in err.value.message and "9" in err.value.message and err.value.field == "rooms"
    with pytest.raises(ActionError):
        book(org.secretary, org.hospital, at(day, 10), at(day, 11), [(org.room_b, 9)])
    assert _counts() == before


def test_capacity_counts_each_unit_in_its_own_room(org):
    """A hybrid meeting: CDC people join from the CDC room, the rest from the hospital room."""
    day = working_day(10)
    from meetings.actions import AttendeeInput, MeetingInput, RoomChoice

    attendees = [AttendeeInput(email=f"cdc{i}@cdc.vn", unit=org.cdc) for i in range(25)] + [
        AttendeeInput(email=f"bv{i}@bvdk.vn", unit=org.hospital) for i in range(8)
    ]
    org.cdc_room.shared = True
    org.cdc_room.save()
    data = MeetingInput(title="Giao ban", organizing_unit=org.hospital, start=at(day, 8), end=at(day, 9),
                        rooms=[RoomChoice(org.room_b), RoomChoice(org.cdc_room)], attendees=attendees, mode=Meeting.Mode.HYBRID)
    m = actions.create_meeting(org.secretary, data)
    expected = dict(Booking.objects.filter(occurrence__meeting=m).values_list("room_id", "expected_attendees"))
    assert expected == {org.room_b.pk: 8, org.cdc_room.pk: 25}


def test_adding_attendees_beyond_capacity_is_refused(org):
    day = working_day(10)
    m = book(org.secretary, org.hospital, at(day, 8), at(day, 9), [org.room_b])
    many = [actions.AttendeeInput(email=f"p{i}@example.vn") for i in range(12)]
    with pytest.raises(ActionError) as err:
        actions.update_meeting(org.secretary, m, {"attendees": many})
    assert err.value.field == "rooms"
    assert m.attendees.count() == 0


def test_opening_hours_max_duration_and_days_ahead(org):
    room = make_room(org.hospital, "Phòng nhỏ", capacity=10, opens_at=time(7, 30), closes_at=time(17, 0),
                     max_duration_minutes=120, max_days_ahead=30)
    day = working_day(10)
    for start, end, words in [
        (at(day, 6), at(day, 8), "07:30"),
        (at(day, 16), at(day, 17, 30), "17:00"),
        (at(day, 8), at(day, 11), "120"),
    ]:
        with pytest.raises(BookingConflict) as err:
            book(org.secretary, org.hospital, start, end, [room])
        assert words in err.value.message
    far = working_day(40)
    with pytest.raises(BookingConflict) as err:
        book(org.secretary, org.hospital, at(far, 8), at(far, 9), [room])
    assert "30" in err.value.message
    assert not Booking.objects.filter(room=room).exists()
    book(org.secretary, org.hospital, at(day, 7, 30), at(day, 9, 30), [room])


def test_unit_rules_apply_when_the_room_has_none(org):
    org.hospital.max_duration_minutes = 60
    org.hospital.save()
    day = working_day(10)
    with pytest.raises(BookingConflict):
        book(org.secretary, org.hospital, at(day, 8), at(day, 10), [org.room_a])


# --- approvals --------------------------------------------------------------------------


def test_room_requiring_approval_holds_a_request_until_the_unit_admin_approves(org):
    day = working_day(10)
    hall_admin = org.dept_leader  # not an admin of the department: must not approve
    m1 = book(org.secretary, org.hospital, at(day, 8), at(day, 10), [org.hall], title="Hội nghị 1")
    m2 = book(org.outsider, org.cdc, at(day, 9), at(day, 11), [org.hall], title="Hội nghị 2")
    m3 = book(org.outsider, org.cdc, at(day, 13), at(day, 14), [org.hall], title="Buổi chiều")
    b1, b2, b3 = (Booking.objects.get(occurrence__meeting=m) for m in (m1, m2, m3))
    assert {b.status for b in (b1, b2, b3)} == {Booking.Status.REQUESTED}
    assert Meeting.objects.get(pk=m1.pk).status == Meeting.Status.REQUESTED
    with pytest.raises(Forbidden):
        actions.approve_booking(hall_admin, b1)

    from meetings.models import Membership
    admin = org.dept_secretary
    Membership.objects.create(user=admin, unit=org.dept, role=Membership.Role.UNIT_ADMIN)
    from meetings.permissions import forget
    forget(admin)
    actions.approve_booking(admin, b1, note="Đồng ý")
    b1.refresh_from_db(), b2.refresh_from_db(), b3.refresh_from_db()
    assert (b1.status, b1.decided_by) == (Booking.Status.CONFIRMED, admin)
    assert b2.status == Booking.Status.REJECTED  # overlapped the approved one
    assert b3.status == Booking.Status.REQUESTED  # did not
    assert Meeting.objects.get(pk=m1.pk).status == Meeting.Status.SCHEDULED
    with pytest.raises(ActionError):
        actions.approve_booking(admin, b2)


def test_approving_when_a_confirmed_booking_now_overlaps_is_a_409(org, api):
    day = working_day(10)
    m1 = book(org.secretary, org.hospital, at(day, 8), at(day, 10), [org.hall])
    request = Booking.objects.get(occurrence__meeting=m1)
    from meetings.models import Membership
    admin = org.dept_secretary
    Membership.objects.create(user=admin, unit=org.dept, role=Membership.Role.UNIT_ADMIN)
    # The hall's own admin books it directly (confirmed at once), over the request.
    direct = book(admin, org.dept, at(day, 9), at(day, 9, 30), [org.hall], title="Họp Ban Giám đốc",
                  sensitivity=Meeting.Sensitivity.CONFIDENTIAL)
    assert Booking.objects.get(occurrence__meeting=direct).status == Booking.Status.CONFIRMED
    r = api(admin).post(f"/api/v1/bookings/{request.pk}/approve/", {}, format="json")
    assert r.status_code == 409, r.json()
    body = r.json()
    assert body["error"] == "conflict" and body["conflicts"][0]["room"] == org.hall.pk
    assert "Họp Ban Giám đốc" not in r.content.decode()  # confidential title never leaks
    request.refresh_from_db()
    assert request.status == Booking.Status.REQUESTED


# --- concurrency ------------------------------------------------------------------------


def _thread_book(org, day, i, rooms=None, rrule=""):
    from meetings.models import Room, Unit
    from tests.meetings.conftest import book as do_book

    unit = Unit.objects.get(pk=org.hospital.pk)
    rooms = rooms or [Room.objects.select_related("unit").get(pk=org.room_a.pk)]
    return do_book(org.secretary, unit, at(day, 8, i % 30), at(day, 9, i % 30), rooms, title=f"Họp {i}", rrule=rrule)


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_clients_racing_for_one_room_exactly_one_wins_postgres(org, no_subscribers):
    day = working_day(10)
    results = race(20, lambda i: _thread_book(org, day, i))
    winners = [r for r in results if isinstance(r, Meeting)]
    losers = [r for r in results if isinstance(r, BookingConflict)]
    assert len(winners) == 1, results
    assert len(losers) == 19, results
    assert all(c.room.pk == org.room_a.pk for exc in losers for c in exc.clashes)
    assert Booking.objects.holding().filter(room=org.room_a).count() == 1
    assert Meeting.objects.count() == 1  # the losers wrote nothing


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_api_clients_racing_get_one_201_and_nineteen_409_postgres(org, no_subscribers):
    from rest_framework.test import APIClient

    day = working_day(10)

    def post(i):
        client = APIClient()
        client.force_authenticate(org.secretary)
        r = client.post("/api/v1/meetings/", {
            "title": f"Họp {i}", "organizing_unit": "bvdk", "rooms": [org.room_a.pk],
            "start": at(day, 8, i).isoformat(), "end": at(day, 9, i).isoformat()}, format="json")
        return r.status_code

    codes = race(20, post)
    assert sorted(codes) == [201] + [409] * 19, codes


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_series_racing_a_single_booking_postgres(org, no_subscribers):
    first = working_day(10)
    day = first + timedelta(weeks=5)

    def work(i):
        if i == 0:  # a 10-week series whose 6th meeting overlaps everybody else's single
            return _thread_book(org, first, 0, rrule="FREQ=WEEKLY;COUNT=10")
        return _thread_book(org, day, i)

    results = race(20, work)
    winners = [r for r in results if isinstance(r, Meeting)]
    assert len(winners) == 1, results
    assert all(isinstance(r, BookingConflict) for r in results if not isinstance(r, Meeting)), results
    assert Booking.objects.holding().filter(room=org.room_a, start__date__gte=day, start__date__lte=day).count() == 1
    for row in Booking.objects.holding().filter(room=org.room_a):
        assert not Booking.objects.holding().filter(room=org.room_a, blocked_start__lt=row.blocked_end,
                                                    blocked_end__gt=row.blocked_start).exclude(pk=row.pk).exists()


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_multi_room_race_leaves_no_partial_booking_postgres(org, no_subscribers):
    """Half the clients want room A + CDC room, half want only the CDC room: every loser
    of a multi-room request keeps nothing, not even room A."""
    from meetings.models import Room

    org.cdc_room.shared = True
    org.cdc_room.save()
    day = working_day(10)
    a = Room.objects.select_related("unit").get(pk=org.room_a.pk)
    c = Room.objects.select_related("unit").get(pk=org.cdc_room.pk)

    def work(i):
        from meetings.models import Unit
        if i % 2:
            return book(org.outsider, Unit.objects.get(pk=org.cdc.pk), at(day, 8), at(day, 9), [c], title=f"CDC {i}")
        return book(org.secretary, Unit.objects.get(pk=org.hospital.pk), at(day, 8), at(day, 9), [a, c], title=f"Hybrid {i}", mode=Meeting.Mode.HYBRID)

    results = race(20, work)
    winners = [r for r in results if isinstance(r, Meeting)]
    assert len(winners) == 1 and all(isinstance(r, BookingConflict) for r in results if r not in winners), results
    assert Meeting.objects.count() == 1
    assert Occurrence.objects.count() == 1
    assert Booking.objects.count() == Booking.objects.filter(occurrence__meeting=winners[0]).count()


@pytest.mark.django_db(transaction=True)
def test_twenty_clients_racing_for_one_room_exactly_one_wins_sqlite(org, no_subscribers):
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite variant (BEGIN IMMEDIATE); PostgreSQL has its own test above")
    day = working_day(10)
    results = race(20, lambda i: _thread_book(org, day, i))
    assert sum(isinstance(r, Meeting) for r in results) == 1, results
    assert sum(isinstance(r, BookingConflict) for r in results) == 19, results
    assert Booking.objects.holding().filter(room=org.room_a).count() == 1
