"""Working days in Vietnam: weekends and public holidays (Tết included) from `holidays`,
corrected by the administrators' CalendarDay rows (extra days off, make-up Saturdays)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache

import holidays
from django.conf import settings
from django.utils import timezone


@lru_cache(maxsize=32)
def _statutory(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("VN", years=year, language="vi")


def _corrections(start: date, end: date) -> dict[date, str]:
    from django.db import connection

    from meetings.models import CalendarDay

    # Hand-written: it runs on every booking, and building it through the ORM cost more
    # CPU than the database's answer.
    with connection.cursor() as cursor:
        cursor.execute(
            f'SELECT "date", "kind" FROM {CalendarDay._meta.db_table} WHERE "date" BETWEEN %s AND %s',  # noqa: S608 - table name from the model
            [connection.ops.adapt_datefield_value(start), connection.ops.adapt_datefield_value(end)],
        )
        rows = cursor.fetchall()
    if connection.vendor == "sqlite":  # SQLite returns dates as text
        return {date.fromisoformat(d) if isinstance(d, str) else d: kind for d, kind in rows}
    return dict(rows)


class WorkCalendar:
    """Answers working-day questions over a date range with one query for corrections."""

    def __init__(self, start: date, end: date) -> None:
        self.corrections = _corrections(start - timedelta(days=40), end + timedelta(days=40))

    def is_working_day(self, day: date) -> bool:
        from meetings.models import CalendarDay

        kind = self.corrections.get(day)
        if kind == CalendarDay.Kind.DAY_OFF:
            return False
        if kind == CalendarDay.Kind.WORKING_DAY:
            return True
        return _statutory(day.year).is_working_day(day)

    def subtract_working_days(self, day: date, count: int) -> date:
        """The date `count` working days before `day` (not counting `day` itself)."""
        current = day
        while count > 0:
            current -= timedelta(days=1)
            if self.is_working_day(current):
                count -= 1
        return current

    def add_working_days(self, day: date, count: int) -> date:
        current = day
        while count > 0:
            current += timedelta(days=1)
            if self.is_working_day(current):
                count -= 1
        return current


def is_working_day(day: date) -> bool:
    return WorkCalendar(day, day).is_working_day(day)


def invitation_deadline(meeting_day: date, calendar: WorkCalendar | None = None) -> date:
    """Last day an invitation may go out without the meeting being urgent (QĐ 45/2018:
    at least N working days before the meeting day)."""
    days = settings.QUORUM_MIN_NOTICE_WORKING_DAYS
    calendar = calendar or WorkCalendar(meeting_day - timedelta(days=days * 3 + 20), meeting_day)
    return calendar.subtract_working_days(meeting_day, days)


def needs_urgent_flag(start: datetime, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    return today > invitation_deadline(timezone.localtime(start).date())


def conclusion_deadline(meeting_day: date) -> date:
    """QĐ 45/2018: the conclusion notice is due within 5 working days after the meeting."""
    calendar = WorkCalendar(meeting_day, meeting_day + timedelta(days=30))
    return calendar.add_working_days(meeting_day, 5)
