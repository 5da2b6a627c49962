"""The availability finder: which rooms are free for a slot, who of the chosen people is
already busy, and when nothing fits, the next slots that do.

A fixed number of queries whatever the data size: the free rooms (1, memberships and
bookings as subqueries), busy attendees (1, only when attendees are asked about), and
only when nothing fits, the candidate rooms and the bookings of the search horizon (2).
The room query is written by hand (see _rooms): it is the request users run most.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.utils import timezone

from meetings.models import (
    Attendee,
    Booking,
    Equipment,
    Meeting,
    Membership,
    Occurrence,
    Room,
    Unit,
)
from meetings.rawsql import ModelColumns

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


_columns: dict[str, tuple[ModelColumns, ModelColumns]] = {}


def _room_columns() -> tuple[ModelColumns, ModelColumns]:
    if connection.vendor not in _columns:
        _columns[connection.vendor] = (ModelColumns(Room, "r"), ModelColumns(Unit, "u"))
    return _columns[connection.vendor]


def _busy_sql() -> str:
    """True if a confirmed booking of room r overlaps [%s - setup, %s + cleanup) of that room.

    Confirmed bookings of a room never overlap each other (the exclusion constraint on
    PostgreSQL, serialised writers on SQLite), so only the last one starting before the
    window's end can reach into it: one backward step in the (room, blocked_start) index,
    where a range-overlap test would visit several GiST pages per room.
    """
    booking = Booking._meta.db_table
    if connection.vendor == "postgresql":
        lo = "%s - make_interval(mins => r.setup_buffer_minutes)"
        hi = "%s + make_interval(mins => r.cleanup_buffer_minutes)"
    else:  # SQLite: Django's own datetime arithmetic (durations in microseconds)
        lo = "django_format_dtdelta('-', %s, r.setup_buffer_minutes * 60000000)"
        hi = "django_format_dtdelta('+', %s, r.cleanup_buffer_minutes * 60000000)"
    return (
        f"COALESCE((SELECT b.blocked_end > {lo} FROM {booking} b "  # noqa: S608 - table names from models
        f"WHERE b.room_id = r.id AND b.status = 'confirmed' AND b.blocked_start < {hi} "
        "ORDER BY b.blocked_start DESC LIMIT 1), FALSE)"
    )


def _rooms(user: User, q: Query, *, free: bool) -> list[Room]:
    """Rooms the booking unit may use (its own and shared rooms of others), big enough and
    with the asked equipment; with free=True only those with no confirmed booking (buffers
    included) at the asked time. One hand-written query: this is the request users run
    most, and building it through the ORM cost several times the database's own work.
    Rows come back as Room objects with `unit` loaded and `own` set (the unit's own room)."""
    rooms_c, units_c = _room_columns()
    t = {m: m._meta.db_table for m in (Room, Unit, Membership, Equipment)}
    through = Room.equipment.through._meta
    mine = (
        f"SELECT m.unit_id FROM {t[Membership]} m JOIN {t[Unit]} mu ON mu.id = m.unit_id "  # noqa: S608 - table names from models
        "WHERE m.user_id = %s AND mu.is_active"
    )
    if q.for_unit is not None:
        # A unit's own unshared rooms are listed for its people only.
        own, own_params = ("r.unit_id = %s", [q.for_unit]) if user.is_superuser else (
            f"r.unit_id = %s AND r.unit_id IN ({mine})", [q.for_unit, user.pk])
    else:
        own, own_params = f"r.unit_id IN ({mine})", [user.pk]
    where = ["r.is_active", "u.is_active", "r.capacity >= %s"]
    params: list[Any] = [*own_params, max(q.people, 1)]
    if q.units:
        where.append(f"r.unit_id IN ({', '.join(['%s'] * len(q.units))})")
        params += q.units
    if not user.is_superuser:
        where.append(f"(({own}) OR r.shared)")
        params += own_params
    for slug in q.equipment:
        where.append(
            f"EXISTS (SELECT 1 FROM {through.db_table} re JOIN {t[Equipment]} e ON e.id = re.equipment_id "  # noqa: S608 - table names from models
            "WHERE re.room_id = r.id AND e.slug = %s)"
        )
        params.append(slug)
    if free:
        where.append(f"NOT {_busy_sql()}")
        adapt = connection.ops.adapt_datetimefield_value
        params += [adapt(q.start), adapt(q.end)]
    sql = (
        f"SELECT {rooms_c.sql}, {units_c.sql}, ({own}) AS own "  # noqa: S608 - table names from models
        f"FROM {t[Room]} r JOIN {t[Unit]} u ON u.id = r.unit_id "
        f"WHERE {' AND '.join(where)} ORDER BY r.capacity, r.unit_id, r.name"
    )
    n = len(rooms_c.fields)
    result = []
    units: dict[Any, Unit] = {}  # one Unit object per unit
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    conn = connections[DEFAULT_DB_ALIAS]  # the thread's connection, not the proxy (per-attribute lookups)
    for row in rows:
        room = rooms_c.make(list(row[:n]), conn)
        unit = units.get(row[n])
        if unit is None:
            unit = units[row[n]] = units_c.make(list(row[n:-1]), conn)
        room.unit = unit
        room.own = bool(row[-1])
        result.append(room)
    return result


def candidate_rooms(user: User, q: Query) -> list[Room]:
    """Every room that could host the meeting, busy or not (for the next-slot search)."""
    return _rooms(user, q, free=False)


def free_rooms(user: User, q: Query) -> list[Room]:
    """Rooms with no confirmed booking (buffers included) at the asked time: one query,
    only the free rows leave the database."""
    return _rooms(user, q, free=True)


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
