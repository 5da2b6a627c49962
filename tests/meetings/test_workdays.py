"""QĐ 45/2018: invitations at least 3 working days ahead unless urgent with a reason.
Working days skip weekends and public holidays (Tết from `holidays`), corrected by
the administrators' CalendarDay rows. `now` is passed explicitly, no clock freezing."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest

from meetings import workdays
from meetings.actions import ActionError
from meetings.models import CalendarDay, Meeting
from tests.factories import TZ, at
from tests.meetings.conftest import book


def _now(d: date, hh: int = 9) -> datetime:
    return datetime.combine(d, time(hh), tzinfo=TZ)


@pytest.mark.django_db
def test_tet_2027_is_not_working_time():
    # Tết Đinh Mùi: 29 Tết (Thu 04/02/2027) to mùng 5 (Wed 10/02/2027), then a weekend.
    for d in range(4, 11):
        assert not workdays.is_working_day(date(2027, 2, d))
    assert workdays.is_working_day(date(2027, 2, 3))
    assert workdays.is_working_day(date(2027, 2, 11))


@pytest.mark.django_db
def test_first_working_day_after_tet_needs_invitations_before_tet():
    meeting_day = date(2027, 2, 11)  # Thursday, first day back
    assert workdays.invitation_deadline(meeting_day) == date(2027, 2, 1)  # Mon: Mon, Tue, Wed count
    assert not workdays.needs_urgent_flag(at(meeting_day, 8), _now(date(2027, 2, 1)))
    # A week before, but Tết is in between: too late without the urgent flag.
    assert workdays.needs_urgent_flag(at(meeting_day, 8), _now(date(2027, 2, 2)))


@pytest.mark.django_db
def test_weekend_does_not_count():
    monday = date(2026, 12, 7)
    assert workdays.invitation_deadline(monday) == date(2026, 12, 2)  # Fri, Thu, Wed
    assert not workdays.needs_urgent_flag(at(monday, 8), _now(date(2026, 12, 2), 17))
    assert workdays.needs_urgent_flag(at(monday, 8), _now(date(2026, 12, 3)))


@pytest.mark.django_db
def test_admin_day_off_and_make_up_saturday_correct_the_calendar():
    monday = date(2026, 12, 7)
    CalendarDay.objects.create(date=date(2026, 12, 5), kind=CalendarDay.Kind.WORKING_DAY, name="Làm bù")
    assert workdays.is_working_day(date(2026, 12, 5))
    assert workdays.invitation_deadline(monday) == date(2026, 12, 3)  # Sat, Fri, Thu
    CalendarDay.objects.create(date=date(2026, 12, 4), kind=CalendarDay.Kind.DAY_OFF, name="Nghỉ theo quyết định của tỉnh")
    assert not workdays.is_working_day(date(2026, 12, 4))
    assert workdays.invitation_deadline(monday) == date(2026, 12, 2)  # Sat, Thu, Wed


@pytest.mark.django_db
def test_conclusion_notice_is_due_five_working_days_after_skipping_tet():
    assert workdays.conclusion_deadline(date(2027, 2, 3)) == date(2027, 2, 17)


def test_booking_inside_the_notice_window_must_be_urgent_with_a_reason(org):
    now = _now(date(2027, 2, 2))
    start, end = at(date(2027, 2, 11), 8), at(date(2027, 2, 11), 9)
    with pytest.raises(ActionError) as err:
        book(org.secretary, org.hospital, start, end, [org.room_a], now=now)
    assert err.value.field == "is_urgent" and "01/02/2027" in err.value.message
    with pytest.raises(ActionError) as err:
        book(org.secretary, org.hospital, start, end, [org.room_a], now=now, is_urgent=True, urgent_reason="  ")
    assert err.value.field == "urgent_reason"
    assert not Meeting.objects.exists()
    m = book(org.secretary, org.hospital, start, end, [org.room_a], now=now, is_urgent=True, urgent_reason="Dịch sởi bùng phát")
    assert m.is_urgent and m.urgent_reason == "Dịch sởi bùng phát"


def test_booking_with_enough_notice_needs_no_flag(org):
    m = book(org.secretary, org.hospital, at(date(2027, 2, 11), 8), at(date(2027, 2, 11), 9), [org.room_a], now=_now(date(2027, 2, 1)))
    assert not m.is_urgent


def test_a_time_in_the_past_is_refused(org):
    now = _now(date(2027, 2, 1))
    with pytest.raises(ActionError) as err:
        book(org.secretary, org.hospital, at(date(2027, 1, 29), 8), at(date(2027, 1, 29), 9), [org.room_a], now=now)
    assert err.value.field == "start"
