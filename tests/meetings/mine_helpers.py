"""Meetings written straight to the database (past ones too) for the My meetings tests and bench."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from meetings.models import Attendee, Booking, Meeting, Occurrence


def sitting(org: Any, start: datetime, *, people: list[Any], title: str = "Giao ban", minutes: int = 60,
            mode: str = Meeting.Mode.IN_PERSON, room: Any = None, unit: Any = None) -> Occurrence:
    end = start + timedelta(minutes=minutes)
    meeting = Meeting.objects.create(
        title=title, organizing_unit=unit or org.hospital, chair=org.leader, created_by=org.secretary,
        start=start, end=end, mode=mode, status=Meeting.Status.SCHEDULED,
    )
    occ = Occurrence.objects.create(meeting=meeting, index=0, recurrence_id=start, start=start, end=end)
    if room is not None:
        Booking.objects.create(occurrence=occ, room=room, start=start, end=end, blocked_start=start, blocked_end=end,
                               status=Booking.Status.CONFIRMED)
    Attendee.objects.bulk_create(
        Attendee(meeting=meeting, email=p.email, user=p, name=p.full_name,
                 unit=p.memberships.first().unit if p.memberships.exists() else None)
        for p in people
    )
    return occ


def page_queries() -> int:
    """My meetings' queries: user, memberships (nav), the cards (with the person's own rows and
    whom they sent), their rooms, the feed address; and the session's."""
    from tests.factories import session_queries

    return 5 + session_queries()
