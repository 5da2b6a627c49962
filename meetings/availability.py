"""The availability finder: which rooms are free for a slot, who of the chosen people is
already busy, and when nothing fits, the next slots that do.

A fixed number of queries whatever the data size: rooms (1), bookings near the slot (1),
busy attendees (1), and when needed bookings over the search horizon (1).
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.utils import timezone

from meetings.models import Attendee, Booking, Meeting, Occurrence, Room
from meetings.permissions import unit_ids

if TYPE_CHECKING:
    from accounts.models import User

MAX_BUFFER = timedelta(hours=4)  # larger room buffers than this are refused by the admin form
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


def candidate_rooms(user: User, q: Query) -> list[Room]:
    rooms = Room.objects.active().filter(capacity__gte=max(q.people, 1)).select_related("unit")
    if q.units:
        rooms = rooms.filter(unit_id__in=q.units)
    if q.for_unit is not None:
        rooms = rooms.filter(unit_id=q.for_unit) | rooms.filter(shared=True)
    elif not user.is_superuser:
        mine = unit_ids(user)
        rooms = rooms.filter(unit_id__in=mine) | rooms.filter(shared=True)
    if q.equipment:
        rooms = rooms.with_equipment(q.equipment)
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


def _free(room: Room, start: datetime, end: datetime, busy: list[tuple[datetime, datetime]], now: datetime) -> bool:
    if room.rule_violation(start, end, now):
        return False
    lo, hi = start - room.setup_buffer, end + room.cleanup_buffer
    starts = [b[0] for b in busy]
    i = bisect.bisect_left(starts, hi) - 1
    return not (i >= 0 and busy[i][1] > lo)


def _order(rooms: list[Room], own_units: set[int], people: int) -> list[Room]:
    """Own unit first, then the smallest room that fits (a big hall is not wasted)."""
    return sorted(rooms, key=lambda r: (r.unit_id not in own_units, r.capacity, r.unit_id, r.name))


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
    now = now or timezone.now()
    own = set(unit_ids(user)) if q.for_unit is None else {q.for_unit}
    rooms = candidate_rooms(user, q)
    holding = _holding_by_room(rooms, q.start - MAX_BUFFER, q.end + MAX_BUFFER)
    free = [r for r in rooms if _free(r, q.start, q.end, holding.get(r.pk, []), now)]
    result = Result(rooms=_order(free, own, q.people), busy=busy_attendees(q.attendees, q.start, q.end), next_slots=[])
    if not result.rooms and rooms:
        result.next_slots = next_slots(rooms, q, own, now)
    return result


def next_slots(rooms: list[Room], q: Query, own: set[int], now: datetime) -> list[Slot]:
    """The earliest slots of the same length, within opening hours, over the next days."""
    duration = q.end - q.start
    horizon = q.start + timedelta(days=q.search_days)
    holding = _holding_by_room(rooms, q.start - MAX_BUFFER, horizon + MAX_BUFFER)
    slots: list[Slot] = []
    t = _align(q.start + SLOT_STEP)
    while t < horizon and len(slots) < q.max_suggestions:
        end = t + duration
        free = [r for r in rooms if _free(r, t, end, holding.get(r.pk, []), now)]
        if free:
            slots.append(Slot(t, end, _order(free, own, q.people)[:5]))
            t = end  # suggest distinct slots, not 30-minute shifts of the same gap
        else:
            t += SLOT_STEP
    return slots


def _align(t: datetime) -> datetime:
    minute = 0 if t.minute < 30 else 30
    aligned = t.replace(minute=minute, second=0, microsecond=0)
    return aligned if aligned >= t else aligned + SLOT_STEP
