"""The availability finder: which rooms are free for a slot, who of the chosen people is
already busy, and when nothing fits, the next slots that do.

A fixed number of queries whatever the data size: the free rooms (1, memberships and
bookings as subqueries), busy attendees (1, only when attendees are asked about), and
only when nothing fits, the candidate rooms and the bookings of the search horizon (2).
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.db.models import (
    BooleanField,
    DateTimeField,
    DurationField,
    Exists,
    ExpressionWrapper,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Value,
)
from django.utils import timezone

from meetings.models import Attendee, Booking, Meeting, Membership, Occurrence, Room

if TYPE_CHECKING:
    from accounts.models import User

SLOT_STEP = timedelta(minutes=30)


@dataclass
class Query:
    start: datetime
    end: datetime
    people: int = 1
    units: list[int] = field(default_factory=list)
    equipment: list[str] = field(default_factory=list)
    attendees: list[int] = field(default_factory=list)  # user ids
    for_unit: int | None = None  # the unit booking (its rooms first, and shared rooms of others)
    search_days: int = 7
    max_suggestions: int = 5


@dataclass
class Busy:
    user_id: int
    name: str
    start: datetime
    end: datetime


@dataclass
class Slot:
    start: datetime
    end: datetime
    rooms: list[Room]


@dataclass
class Result:
    rooms: list[Room]
    busy: list[Busy]
    next_slots: list[Slot]


def _room_queryset(user: User, q: Query) -> QuerySet[Room]:
    """Rooms the booking unit may use, in SQL (memberships as a subquery, no extra query)."""
    rooms = Room.objects.active().filter(capacity__gte=max(q.people, 1)).select_related("unit")
    if q.units:
        rooms = rooms.filter(unit_id__in=q.units)
    mine = Membership.objects.filter(user_id=user.pk, unit__is_active=True).values("unit_id")
    if q.for_unit is not None:
        # A unit's own unshared rooms are listed for its people only.
        own = Q(unit_id=q.for_unit) if user.is_superuser else Q(unit_id=q.for_unit, unit_id__in=mine)
    else:
        own = Q(unit_id__in=mine)
    if not user.is_superuser:
        rooms = rooms.filter(own | Q(shared=True))
    rooms = rooms.annotate(own=ExpressionWrapper(own, output_field=BooleanField()))
    if q.equipment:
        rooms = rooms.with_equipment(q.equipment)
    return rooms


class _Minutes(Func):
    """An integer column of minutes as a duration, on PostgreSQL and SQLite alike."""

    output_field = DurationField()

    def as_sql(self, compiler, connection, **extra):  # type: ignore[no-untyped-def]
        return super().as_sql(compiler, connection, template="make_interval(mins => %(expressions)s)", **extra)

    def as_sqlite(self, compiler, connection, **extra):  # type: ignore[no-untyped-def]
        # Django keeps durations as microseconds on SQLite.
        return super().as_sql(compiler, connection, template="(%(expressions)s * 60000000)", **extra)


def _busy_between(start: datetime, end: datetime) -> Exists:
    """A confirmed booking of the room overlaps [start, end] widened by the room's own buffers."""
    at = DateTimeField()
    return Exists(
        Booking.objects.filter(
            room_id=OuterRef("pk"),
            status=Booking.Status.CONFIRMED,
            blocked_start__lt=ExpressionWrapper(Value(end, at) + _Minutes(OuterRef("cleanup_buffer_minutes")), output_field=at),
            blocked_end__gt=ExpressionWrapper(Value(start, at) - _Minutes(OuterRef("setup_buffer_minutes")), output_field=at),
        )
    )


def candidate_rooms(user: User, q: Query) -> list[Room]:
    """Every room that could host the meeting, busy or not (for the next-slot search)."""
    return list(_room_queryset(user, q).order_by("capacity", "unit_id", "name"))


def free_rooms(user: User, q: Query) -> list[Room]:
    """Rooms with no confirmed booking (buffers included) at the asked time: one query,
    only the free rows leave the database."""
    rooms = _room_queryset(user, q).filter(~_busy_between(q.start, q.end))
    return list(rooms.order_by("capacity", "unit_id", "name"))


def _holding_by_room(rooms: list[Room], lo: datetime, hi: datetime) -> dict[int, list[tuple[datetime, datetime]]]:
    rows = (
        Booking.objects.holding()
        .filter(room_id__in=[r.pk for r in rooms])
        .overlapping(lo, hi)
        .order_by("room_id", "blocked_start")
        .values_list("room_id", "blocked_start", "blocked_end")
    )
    result: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    for room_id, b_start, b_end in rows:
        result[room_id].append((b_start, b_end))
    return result


class _Timeline:
    """One room's confirmed bookings, sorted; they never overlap, so sorted by start they
    are sorted by end too and one bisection answers "is [lo, hi) free?"."""

    def __init__(self, busy: list[tuple[datetime, datetime]]) -> None:
        self.starts = [b[0] for b in busy]
        self.ends = [b[1] for b in busy]

    def free(self, lo: datetime, hi: datetime) -> bool:
        i = bisect.bisect_left(self.starts, hi) - 1
        return not (i >= 0 and self.ends[i] > lo)


def _free(room: Room, start: datetime, end: datetime, timeline: _Timeline, now: datetime) -> bool:
    if room.rule_violation(start, end, now):
        return False
    return timeline.free(start - room.setup_buffer, end + room.cleanup_buffer)


def _order(rooms: list[Room], people: int) -> list[Room]:
    """Own unit first, then the smallest room that fits (a big hall is not wasted)."""
    return sorted(rooms, key=lambda r: (not getattr(r, "own", False), r.capacity, r.unit_id, r.name))


def busy_attendees(user_ids: list[int], start: datetime, end: datetime) -> list[Busy]:
    if not user_ids:
        return []
    rows = (
        Attendee.objects.filter(
            user_id__in=user_ids,
            is_active=True,
            meeting__status__in=[Meeting.Status.SCHEDULED, Meeting.Status.REQUESTED],
            meeting__occurrences__start__lt=end,
            meeting__occurrences__end__gt=start,
            meeting__occurrences__in_series=True,
            meeting__occurrences__status=Occurrence.Status.SCHEDULED,
        )
        .exclude(rsvp__in=[Attendee.Rsvp.DECLINED, Attendee.Rsvp.DELEGATED])
        .values_list("user_id", "user__full_name", "meeting__occurrences__start", "meeting__occurrences__end")
        .order_by("user_id", "meeting__occurrences__start")
    )
    # Busy periods only: never the title, which may be confidential.
    return [Busy(uid, name, s, e) for uid, name, s, e in rows]


def find(user: User, q: Query, now: datetime | None = None) -> Result:
    """Free rooms (one query), busy attendees (one query if any are asked about), and
    only when nothing fits, the next free slots (two more queries)."""
    now = now or timezone.now()
    free = [r for r in free_rooms(user, q) if not r.rule_violation(q.start, q.end, now)]
    result = Result(rooms=_order(free, q.people), busy=busy_attendees(q.attendees, q.start, q.end), next_slots=[])
    if not result.rooms:
        rooms = candidate_rooms(user, q)
        if rooms:
            result.next_slots = next_slots(rooms, q, now)
    return result


def next_slots(rooms: list[Room], q: Query, now: datetime) -> list[Slot]:
    """The earliest slots of the same length, within opening hours, over the next days."""
    duration = q.end - q.start
    horizon = q.start + timedelta(days=q.search_days)
    widest = max([timedelta(0)] + [max(r.setup_buffer, r.cleanup_buffer) for r in rooms])
    holding = _holding_by_room(rooms, q.start - widest, horizon + widest)
    timelines = {r.pk: _Timeline(holding.get(r.pk, [])) for r in rooms}
    slots: list[Slot] = []
    t = _align(q.start + SLOT_STEP)
    while t < horizon and len(slots) < q.max_suggestions:
        end = t + duration
        free = [r for r in rooms if _free(r, t, end, timelines[r.pk], now)]
        if free:
            slots.append(Slot(t, end, _order(free, q.people)[:5]))
            t = end  # suggest distinct slots, not 30-minute shifts of the same gap
        else:
            t += SLOT_STEP
    return slots


def _align(t: datetime) -> datetime:
    minute = 0 if t.minute < 30 else 30
    aligned = t.replace(minute=minute, second=0, microsecond=0)
    return aligned if aligned >= t else aligned + SLOT_STEP
