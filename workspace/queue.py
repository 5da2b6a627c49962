"""The room admin's queue: waiting requests for the rooms they administer, and only those.

A request is one meeting's rooms in one room: a series shows once, with its sittings.
Everything is read in a fixed number of queries whatever the size of the queue.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from meetings import permissions
from meetings.models import Booking, Meeting, Membership, Room

QUEUE_LIMIT = 1000  # sittings shown at once; a larger backlog is shown in start order


def admin_room_filter(user: Any) -> Q | None:
    """Rooms `user` decides on: a Q on Booking, or None for nobody."""
    if permissions.is_system_admin(user):
        return Q()
    units = permissions.unit_ids(user, [Membership.Role.UNIT_ADMIN])
    return Q(room__unit_id__in=units) if units else None


def waiting(user: Any) -> QuerySet[Booking]:
    """Requested bookings of the user's rooms that have not ended."""
    cond = admin_room_filter(user)
    if cond is None:
        return Booking.objects.none()
    return Booking.objects.filter(cond, status=Booking.Status.REQUESTED, end__gt=timezone.now())


def waiting_count(user: Any) -> int:
    """The header badge: requests (meeting × room) waiting; one query."""
    if admin_room_filter(user) is None:
        return 0
    return waiting(user).values("occurrence__meeting_id", "room_id").distinct().count()


@dataclass
class Sitting:
    booking: Booking
    clashes: list[Booking] = field(default_factory=list)  # other requests for the same room and time
    blocked_by: list[Booking] = field(default_factory=list)  # confirmed bookings in the way


@dataclass
class Request:
    meeting: Meeting
    room: Room
    sittings: list[Sitting]

    @property
    def confidential(self) -> bool:
        return self.meeting.sensitivity == Meeting.Sensitivity.CONFIDENTIAL

    @property
    def expected(self) -> int:
        return max((s.booking.expected_attendees for s in self.sittings), default=0)

    @property
    def over_capacity(self) -> bool:
        return self.expected > self.room.capacity

    @property
    def clash_count(self) -> int:
        return sum(1 for s in self.sittings if s.clashes or s.blocked_by)

    @property
    def key(self) -> str:
        return f"{self.meeting.pk}-{self.room.pk}"


def _overlaps(a: Booking, b: Booking) -> bool:
    return a.room_id == b.room_id and a.blocked_start < b.blocked_end and b.blocked_start < a.blocked_end


def build(user: Any, only: list[int] | None = None) -> list[Request]:
    """The queue, grouped by meeting and room, earliest first (two queries)."""
    qs = waiting(user).select_related(
        "room__unit", "occurrence__meeting__organizing_unit", "occurrence__meeting__created_by"
    ).order_by("start", "pk")
    bookings = list(qs[:QUEUE_LIMIT])
    if not bookings:
        return []
    # Clashes with requests are found among the queue itself (same rooms); confirmed
    # bookings in the way come from one more query over the queue's rooms and time span.
    lo, hi = min(b.blocked_start for b in bookings), max(b.blocked_end for b in bookings)
    confirmed = list(
        Booking.objects.holding().filter(room_id__in={b.room_id for b in bookings})
        .overlapping(lo, hi).select_related("occurrence__meeting__organizing_unit").order_by("blocked_start")
    )
    by_room: dict[int, list[Booking]] = defaultdict(list)
    for b in bookings:
        by_room[b.room_id].append(b)
    held: dict[int, list[Booking]] = defaultdict(list)
    for c in confirmed:
        held[c.room_id].append(c)
    groups: dict[tuple[int, int], Request] = {}
    for b in bookings:
        meeting = b.occurrence.meeting
        sitting = Sitting(
            b,
            clashes=[o for o in by_room[b.room_id] if o.pk != b.pk and o.occurrence.meeting_id != meeting.pk and _overlaps(b, o)],
            blocked_by=[c for c in held[b.room_id] if _overlaps(b, c)],
        )
        key = (meeting.pk, b.room_id)
        if key not in groups:
            groups[key] = Request(meeting, b.room, [])
        groups[key].sittings.append(sitting)
    requests = list(groups.values())
    if only is not None:
        requests = [r for r in requests if any(s.booking.pk in only for s in r.sittings)]
    return requests
