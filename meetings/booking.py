"""The booking engine: finds clashes and reserves rooms, never twice for the same time.

Guarantee, whatever the concurrency:
- PostgreSQL: an exclusion constraint over (room, [blocked_start, blocked_end)) for
  confirmed bookings (migration 0002). For confirmed bookings the INSERT itself is the
  check (insert_catches_clashes); when the constraint refuses a row, the clashes are looked
  up to name every one of them. Requested bookings, which the constraint does not cover,
  are pre-checked with one query.
- SQLite: every transaction starts with BEGIN IMMEDIATE (settings), so the pre-check and
  the insert run under the database write lock, one writer at a time.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import (
    DEFAULT_DB_ALIAS,
    IntegrityError,
    OperationalError,
    connection,
    connections,
    transaction,
)
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _

from meetings.models import Booking, Room


@dataclass(frozen=True)
class Clash:
    """One occurrence that cannot have one room. `busy_*` is the clashing reservation."""

    occurrence_start: datetime
    room: Room
    reason: str
    busy_start: datetime | None = None
    busy_end: datetime | None = None

    def as_dict(self) -> dict[str, object]:
        local = timezone.localtime
        data: dict[str, object] = {
            "occurrence_start": local(self.occurrence_start).isoformat(),
            "room": self.room.pk,
            "room_name": self.room.name,
            "unit": self.room.unit.short_name,
            "reason": self.reason,
        }
        if self.busy_start and self.busy_end:
            data["busy_start"] = local(self.busy_start).isoformat()
            data["busy_end"] = local(self.busy_end).isoformat()
        return data

    def sentence(self) -> str:
        when = timezone.localtime(self.occurrence_start).strftime("%d/%m/%Y %H:%M")
        return f"{when} — {self.room.name} ({self.room.unit.short_name}): {self.reason}"


class BookingConflict(Exception):
    def __init__(self, clashes: list[Clash], stage: str = "check") -> None:
        # Counted here, the one place every refusal passes (stage: the pre-check, or the
        # database constraint: PostgreSQL's exclusion constraint or a concurrent insert).
        from config.metrics import BOOKING_CONFLICTS

        BOOKING_CONFLICTS.labels(stage).inc()
        self.clashes = sorted(clashes, key=lambda c: (c.occurrence_start, c.room.pk))
        first = self.clashes[0].sentence() if self.clashes else ""
        more = len(self.clashes) - 1
        # A rule (opening hours, same day…) is not "already booked": say which it is.
        booked = bool(self.clashes) and self.clashes[0].busy_start is not None
        message = (_("Phòng đã có lịch: %(first)s") if booked else _("Không đặt được phòng: %(first)s")) % {"first": first}
        if more > 0:
            message += _(" (và %(n)s xung đột khác)") % {"n": more}
        super().__init__(message)

    @property
    def message(self) -> str:
        return str(self)


@dataclass
class Planned:
    """A booking the engine is asked to make."""

    key: datetime  # the occurrence's recurrence id (what a user skips)
    start: datetime
    end: datetime
    room: Room
    expected: int = 0
    requested: bool = False  # needs the room unit's approval
    occurrence_id: int | None = None
    blocked: tuple[datetime, datetime] = field(init=False)

    def __post_init__(self) -> None:
        self.blocked = (self.start - self.room.setup_buffer, self.end + self.room.cleanup_buffer)


def find_clashes(
    planned: Iterable[Planned],
    *,
    ignore_occurrences: Iterable[int] = (),
    now: datetime | None = None,
    rules: bool = True,
    db: bool = True,
) -> list[Clash]:
    """Every (occurrence, room) that breaks a room rule or overlaps a confirmed booking.

    One query for all rooms, whatever the number of occurrences; none with db=False
    (room rules and overlaps within the request only, see insert_catches_clashes).
    """
    planned = list(planned)
    if not planned:
        return []
    now = now or timezone.now()
    clashes: list[Clash] = []
    for p in planned if rules else ():
        reason = p.room.rule_violation(p.start, p.end, now)
        if reason:
            clashes.append(Clash(p.key, p.room, reason))

    lo = min(p.blocked[0] for p in planned)
    hi = max(p.blocked[1] for p in planned)
    rows = () if not db else (
        Booking.objects.holding()
        .filter(room__in={p.room.pk for p in planned})
        .overlapping(lo, hi)
        .exclude(occurrence_id__in=list(ignore_occurrences))
        .order_by("room_id", "blocked_start")
        .values_list("room_id", "blocked_start", "blocked_end", "start", "end")
    )
    by_room: dict[int, list[tuple[datetime, datetime, datetime, datetime]]] = defaultdict(list)
    for room_id, b_start, b_end, start, end in rows:
        by_room[room_id].append((b_start, b_end, start, end))
    starts = {room_id: [b[0] for b in items] for room_id, items in by_room.items()}

    for p in planned:
        items = by_room.get(p.room.pk)
        if not items:
            continue
        lo_b, hi_b = p.blocked
        # Confirmed bookings of one room never overlap each other, so sorted by start they
        # are sorted by end too: only the last one starting before our end can overlap.
        i = bisect.bisect_left(starts[p.room.pk], hi_b) - 1
        if i >= 0:
            _b_start, b_end, start, end = items[i]
            if b_end > lo_b:
                clashes.append(Clash(p.key, p.room, _("đã có cuộc họp khác"), start, end))
    # Two occurrences of one request on the same room (e.g. an exception moved onto the
    # next slot). Track the latest end seen so far: a long slot can cover several short ones.
    latest_end: dict[int, datetime] = {}
    for p in sorted(planned, key=lambda x: (x.blocked[0], x.blocked[1])):
        reach = latest_end.get(p.room.pk)
        if reach is not None and reach > p.blocked[0]:
            clashes.append(Clash(p.key, p.room, _("trùng với một buổi khác của chính cuộc họp này")))
        latest_end[p.room.pk] = max(reach, p.blocked[1]) if reach is not None else p.blocked[1]
    return clashes


def insert_catches_clashes(planned: Iterable[Planned]) -> bool:
    """True when inserting `planned` is itself the complete overlap check: on PostgreSQL
    the exclusion constraint refuses any confirmed row overlapping a confirmed booking
    (and insert_bookings then looks the clashes up to name them all), so the pre-check
    query can be skipped. Requested bookings are not covered by the constraint, and
    SQLite has no constraint: both keep the pre-check."""
    return connection.vendor == "postgresql" and all(not p.requested for p in planned)


def insert_bookings(planned: list[Planned], bookings: list[Booking], now: datetime) -> list[Booking]:
    """Insert `bookings` (made from `planned`, same order) inside the caller's transaction.

    On PostgreSQL a concurrent transaction may have taken a room between our check and
    our insert: the exclusion constraint refuses the row. The insert runs in a savepoint
    so the transaction stays usable, the clashes are looked up again (the winner has
    committed by then) and BookingConflict names them; the caller's transaction rolls
    back, so nothing is written.
    """
    if not bookings:
        return []
    if len(bookings) == 1 and insert_catches_clashes(planned):
        return _insert_one_confirmed(planned, bookings[0], now)
    # A fixed order (room, time) keeps two multi-room inserts from deadlocking each other.
    order = sorted(range(len(bookings)), key=lambda i: (bookings[i].room_id, bookings[i].blocked_start))
    for attempt in range(3):
        try:
            with transaction.atomic():
                created = insert([bookings[i] for i in order])
            break
        except OperationalError as exc:
            # Two transactions inserting overlapping rows check the exclusion constraint
            # against each other's uncommitted row: PostgreSQL aborts one of them as a
            # deadlock. Its savepoint is gone; inserting again waits for the winner and
            # then meets the constraint (or succeeds if the winner rolled back).
            if _sqlstate(exc) != "40P01":
                raise
            if attempt == 2:
                p = planned[0]
                raise BookingConflict([Clash(p.key, p.room, _("vừa được đặt bởi một cuộc họp khác"))], "constraint") from None
        except IntegrityError as exc:
            if not is_overlap_violation(exc):
                raise
            clashes = find_clashes(planned, now=now, rules=False)
            if not clashes:
                p = planned[0]
                clashes = [Clash(p.key, p.room, _("vừa được đặt bởi một cuộc họp khác"))]
            raise BookingConflict(clashes, "constraint") from None
    result: list[Booking] = [None] * len(bookings)  # type: ignore[list-item]
    for i, booking in zip(order, created, strict=True):
        result[i] = booking
    return result


OVERLAP_CONSTRAINT = "meetings_booking_no_overlapping"  # migration 0002


def _insert_one_confirmed(planned: list[Planned], booking: Booking, now: datetime) -> list[Booking]:
    """One confirmed booking on PostgreSQL (most bookings: one room, one sitting), without
    the savepoint and its two round trips. `ON CONFLICT ON CONSTRAINT … DO NOTHING` makes a
    clash an empty answer instead of an error, so the transaction stays usable; the insert
    is speculative, so two single-row inserts racing for a slot wait for each other (the
    winner commits, the other finds its row skipped) instead of deadlocking. A deadlock
    with another kind of writer (an approval's UPDATE) has aborted the transaction: it is
    refused as taken, like the last of insert_bookings' retries."""
    p = planned[0]
    try:
        created = insert([booking], conflict=f"ON CONFLICT ON CONSTRAINT {OVERLAP_CONSTRAINT} DO NOTHING")
    except OperationalError as exc:
        if _sqlstate(exc) != "40P01":
            raise
        raise BookingConflict([Clash(p.key, p.room, _("vừa được đặt bởi một cuộc họp khác"))], "constraint") from None
    if created:
        return created
    clashes = find_clashes(planned, now=now, rules=False) or [Clash(p.key, p.room, _("vừa được đặt bởi một cuộc họp khác"))]
    raise BookingConflict(clashes, "constraint")


_insert_sql: dict[tuple[type[Model], str, int, str], tuple[str, list[Any]]] = {}


def insert(objs: Iterable[Any], conflict: str = "") -> list[Any]:
    """INSERT new instances of one model in one statement and set their ids: what
    bulk_create() does on backends that return ids (field defaults, auto_now, the same
    get_db_prep_save), without building and compiling an InsertQuery for every call,
    which on the booking path cost more CPU than PostgreSQL's own work. No signals are
    sent (as with bulk_create). The statement text depends only on the model and the
    number of rows, so PostgreSQL can keep it prepared. `conflict` (PostgreSQL: an ON
    CONFLICT … DO NOTHING clause) may skip rows: only the inserted ones are returned, which
    for one row tells whether it was."""
    objs = list(objs)
    if len(objs) > 200:  # stay far below the backends' limits on parameters per statement
        return [o for i in range(0, len(objs), 200) for o in insert(objs[i:i + 200], conflict)]
    if not objs:
        return objs
    model = type(objs[0])
    conn = connections[DEFAULT_DB_ALIAS]  # the thread's connection, not the proxy (per-attribute lookups)
    key = (model, conn.vendor, len(objs), conflict)
    if key not in _insert_sql:
        meta = model._meta
        fields = [f for f in meta.concrete_fields if f is not meta.pk]
        columns = ", ".join(conn.ops.quote_name(f.column) for f in fields)
        row = "(" + ", ".join(["%s"] * len(fields)) + ")"
        _insert_sql[key] = (
            f"INSERT INTO {conn.ops.quote_name(meta.db_table)} ({columns}) "  # noqa: S608 - names from models
            f"VALUES {', '.join([row] * len(objs))} {conflict + ' ' if conflict else ''}"
            f"RETURNING {conn.ops.quote_name(meta.pk.column)}",
            fields,
        )
    sql, fields = _insert_sql[key]
    params = [f.get_db_prep_save(f.pre_save(obj, True), conn) for obj in objs for f in fields]
    with conn.cursor() as cursor:
        cursor.execute(sql, params)
        ids = cursor.fetchall()
    if len(ids) < len(objs):  # skipped by `conflict`: which ones is only known for one row
        if len(objs) > 1:
            raise ValueError("insert(conflict=…) of several rows cannot tell which were skipped")
        return []
    for obj, (pk,) in zip(objs, ids, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = conn.alias
    return objs


def _sqlstate(exc: Exception) -> str | None:
    cause = exc.__cause__
    return getattr(cause, "sqlstate", None) or getattr(getattr(cause, "diag", None), "sqlstate", None)


def is_overlap_violation(exc: IntegrityError) -> bool:
    """True if `exc` is the PostgreSQL exclusion constraint catching a concurrent booking."""
    return _sqlstate(exc) == "23P01" or "no_overlapping" in str(exc)
