"""The department's organisation, its rooms and its meetings.

A meeting always has at least one Occurrence (a one-off meeting has exactly one), and
rooms are reserved per occurrence through Booking rows. That single shape serves one-off
meetings, series with exceptions, and hybrid meetings across several units.

The models live in one module per topic; every name is re-exported here, so
`from meetings.models import X` is the way to import them.
"""

from meetings.models.attendees import Attendee, join_token_for
from meetings.models.audit import AuditEntry, OutboxMessage, OutboxQuerySet
from meetings.models.bookings import Booking, BookingQuerySet
from meetings.models.meetings import (
    Meeting,
    MeetingQuerySet,
    MeetingRoom,
    Occurrence,
    OccurrenceQuerySet,
    _visibility_q,
    _visible_ids,
)
from meetings.models.organisation import CalendarDay, Membership, Unit, UnitQuerySet
from meetings.models.rooms import Equipment, Room, RoomQuerySet

__all__ = [
    "Attendee",
    "AuditEntry",
    "Booking",
    "BookingQuerySet",
    "CalendarDay",
    "Equipment",
    "Meeting",
    "MeetingQuerySet",
    "MeetingRoom",
    "Membership",
    "Occurrence",
    "OccurrenceQuerySet",
    "OutboxMessage",
    "OutboxQuerySet",
    "Room",
    "RoomQuerySet",
    "Unit",
    "UnitQuerySet",
    "_visibility_q",
    "_visible_ids",
    "join_token_for",
]
