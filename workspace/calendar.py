"""The calendar's data: which sittings and bookings to show, and where they sit on the grid.

Views: day / week / month of a unit's meetings, and rooms side by side (one column per room)
for a day, or rooms × days for a week. Rendered on the server (no JavaScript needed to read
it); each range is read in a fixed number of queries, whatever the number of meetings.

A unit's meetings are those it organises and those booked in its rooms. Meetings the viewer
may not see (confidential ones, other units' internal ones) are shown as "Bận" only.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from meetings import permissions
from meetings.formatting import WEEKDAYS_VI
from meetings.models import Booking, Meeting, Membership, Occurrence, Room, Unit

DAY_START, DAY_END = 7, 19  # hours drawn on the time grid (local time)
SLOTS_PER_HOUR = 4  # grid rows of 15 minutes
ROWS = (DAY_END - DAY_START) * SLOTS_PER_HOUR
MONTH_CHIPS = 4  # meetings listed per day in the month view before "+n"
LIVE = (Booking.Status.CONFIRMED, Booking.Status.REQUESTED)


# --- URLs of pages other parts own (built by string until their names exist) --------------


def _url(name: str, args: Iterable[Any] = (), fallback: str = "") -> str:
    try:
        return reverse(name, args=list(args))
    except NoReverseMatch:
        return fallback


def composer_url(start: datetime, end: datetime, room: Room | None = None) -> str:
    params = {"start": f"{start:%Y-%m-%dT%H:%M}", "end": f"{end:%Y-%m-%dT%H:%M}"}
    if room is not None:
        params["room"] = str(room.pk)
    return f"{_url('composer', fallback='/meetings/new/')}?{urlencode(params)}"


def meeting_url(uid: Any) -> str:
    return _url("meeting_detail", [uid], fallback=f"/meetings/{uid}/")


def move_url(uid: Any, occurrence_id: int) -> str:
    base = _url("meeting_move", [uid], fallback=f"/meetings/{uid}/move/")
    return f"{base}?{urlencode({'occurrence': occurrence_id})}"


# --- dates --------------------------------------------------------------------------------


def local(dt: datetime) -> datetime:
    return timezone.localtime(dt)


def day_bounds(first: date, days: int) -> tuple[datetime, datetime]:
    tz = timezone.get_current_timezone()
    start = datetime.combine(first, time(0), tzinfo=tz)
    return start, datetime.combine(first + timedelta(days=days), time(0), tzinfo=tz)


def week_start(d: date) -> date:
    return d - timedelta(days=d.weekday())


def short_day(d: date) -> str:
    """ "Thứ Ba 08/12" — the column heading (weekday names from meetings.formatting)."""
    return f"{WEEKDAYS_VI[d.weekday()]} {d:%d/%m}"


def hhmm(dt: datetime) -> str:
    return f"{local(dt):%H:%M}"


# --- entries --------------------------------------------------------------------------------


@dataclass
class Entry:
    """One meeting (or booking) drawn on the calendar."""

    start: datetime
    end: datetime
    title: str
    busy_only: bool  # the viewer may not see it: "Bận", no link, no details
    pending: bool  # a room request waits for approval
    url: str = ""
    move: str = ""  # the move page, for those who may change the meeting
    rooms: str = ""
    unit: str = ""
    urgent: bool = False
    row: int = 1
    span: int = 1
    lane: int = 0
    lanes: int = 1

    @property
    def col(self) -> int:
        """First of the 12 sub-columns (meetings at the same time share the width; at most 6)."""
        lanes = min(self.lanes, 6)
        return min(self.lane, lanes - 1) * (12 // lanes) + 1

    @property
    def width(self) -> int:
        return 12 // min(self.lanes, 6)

    @property
    def classes(self) -> str:
        """Grid position as CSS classes (workspace.css): rows, then sub-columns."""
        return f"r{self.row} s{self.span} c{self.col} w{self.width}"

    @property
    def times(self) -> str:
        return f"{hhmm(self.start)}–{hhmm(self.end)}"

    @property
    def start_local(self) -> str:
        return f"{local(self.start):%Y-%m-%dT%H:%M}"

    @property
    def minutes(self) -> int:
        return int((self.end - self.start).total_seconds() // 60)


def _rooms_text(bookings: Iterable[Booking]) -> str:
    # D18: a room always with its unit, and the pending ones marked.
    parts = []
    for b in bookings:
        text = f"{b.room.name} ({b.room.unit.short_name})"
        if b.status == Booking.Status.REQUESTED:
            text += " — " + _("chờ duyệt")
        parts.append(text)
    return "; ".join(parts)


def _entry(user: Any, occ: Occurrence, meeting: Meeting, can_see: bool, bookings: list[Booking], start: datetime, end: datetime) -> Entry:
    pending = any(b.status == Booking.Status.REQUESTED for b in bookings)
    if not can_see:
        return Entry(start, end, _("Bận"), True, pending, rooms=_rooms_text(bookings))
    return Entry(
        start, end, meeting.title, False, pending,
        url=meeting_url(meeting.uid),
        move=move_url(meeting.uid, occ.pk) if permissions.can_edit_meeting(user, meeting) else "",
        rooms=_rooms_text(bookings), unit=meeting.organizing_unit.short_name, urgent=meeting.is_urgent,
    )


def _visible(user: Any, ref: str) -> Exists:
    return Exists(Meeting.objects.visible_to(user).filter(pk=OuterRef(ref)))


def unit_entries(user: Any, unit: Unit, start: datetime, end: datetime) -> list[Entry]:
    """The unit's sittings overlapping [start, end): organised by it or in its rooms (2 queries)."""
    in_unit_rooms = Booking.objects.filter(occurrence=OuterRef("pk"), room__unit=unit, status__in=LIVE)
    occs = (
        Occurrence.objects.filter(in_series=True, start__lt=end, end__gt=start)
        .exclude(status=Occurrence.Status.CANCELLED)
        .exclude(meeting__status__in=[Meeting.Status.DRAFT, Meeting.Status.CANCELLED])
        .filter(Q(meeting__organizing_unit=unit) | Exists(in_unit_rooms))
        .annotate(can_see=_visible(user, "meeting_id"))
        .select_related("meeting__organizing_unit")
        .prefetch_related(Prefetch(
            "bookings", queryset=Booking.objects.filter(status__in=LIVE).select_related("room__unit").order_by("room_id"),
        ))
        .order_by("start", "pk")
    )
    return [_entry(user, o, o.meeting, o.can_see, list(o.bookings.all()), o.start, o.end) for o in occs]


def room_entries(user: Any, rooms: list[Room], start: datetime, end: datetime) -> dict[int, list[Entry]]:
    """{room id: entries} for the rooms' live bookings overlapping [start, end) (1 query)."""
    bookings = (
        Booking.objects.filter(room__in=rooms, status__in=LIVE, start__lt=end, end__gt=start)
        .exclude(occurrence__status=Occurrence.Status.CANCELLED)
        .exclude(occurrence__meeting__status__in=[Meeting.Status.DRAFT, Meeting.Status.CANCELLED])
        .annotate(can_see=_visible(user, "occurrence__meeting_id"))
        .select_related("occurrence__meeting__organizing_unit", "room__unit")
        .order_by("start", "pk")
    )
    out: dict[int, list[Entry]] = defaultdict(list)
    for b in bookings:
        occ = b.occurrence
        out[b.room_id].append(_entry(user, occ, occ.meeting, b.can_see, [b], b.start, b.end))
    return out


# --- layout ---------------------------------------------------------------------------------


def _row(dt: datetime, day: date) -> int:
    """1-based grid row of a time on `day`, clamped to the drawn hours."""
    loc = local(dt)
    if loc.date() < day:
        minutes = 0
    elif loc.date() > day:
        minutes = (DAY_END - DAY_START) * 60
    else:
        minutes = (loc.hour - DAY_START) * 60 + loc.minute
    minutes = max(0, min(minutes, (DAY_END - DAY_START) * 60))
    return minutes * SLOTS_PER_HOUR // 60 + 1


def place(entries: list[Entry], day: date) -> list[Entry]:
    """Rows and side-by-side lanes for one day column (overlapping meetings share the width)."""
    placed = []
    for e in sorted(entries, key=lambda e: (e.start, e.end)):
        e.row = min(_row(e.start, day), ROWS)
        e.span = max(1, min(_row(e.end, day), ROWS + 1) - e.row)
        placed.append(e)
    cluster: list[Entry] = []
    lane_ends: list[int] = []
    for e in placed:
        if cluster and e.row >= max(c.row + c.span for c in cluster):
            for c in cluster:
                c.lanes = len(lane_ends)
            cluster, lane_ends = [], []
        for i, last in enumerate(lane_ends):
            if e.row >= last:
                e.lane, lane_ends[i] = i, e.row + e.span
                break
        else:
            e.lane = len(lane_ends)
            lane_ends.append(e.row + e.span)
        cluster.append(e)
    for c in cluster:
        c.lanes = len(lane_ends)
    return placed


@dataclass
class Slot:
    """An empty hour a click (or Enter) turns into a new meeting."""

    row: int
    label: str
    url: str
    start_local: str


@dataclass
class Column:
    key: str
    heading: str
    day: date
    entries: list[Entry]
    slots: list[Slot] = field(default_factory=list)
    room: Room | None = None
    today: bool = False


def _slots(day: date, room: Room | None, tz: Any, can_book: bool) -> list[Slot]:
    out = []
    for h in range(DAY_START, DAY_END):
        start = datetime.combine(day, time(h), tzinfo=tz)
        label = _("Đặt lịch %(day)s lúc %(h)s:00") % {"day": short_day(day), "h": f"{h:02d}"}
        if room is not None:
            label += " — " + room.name
        out.append(Slot(
            (h - DAY_START) * SLOTS_PER_HOUR + 1, label,
            composer_url(start, start + timedelta(hours=1), room) if can_book else "",
            f"{start:%Y-%m-%dT%H:%M}",
        ))
    return out


def day_columns(user: Any, unit: Unit, first: date, days: int, can_book: bool) -> list[Column]:
    start, end = day_bounds(first, days)
    entries = unit_entries(user, unit, start, end)
    tz, today = timezone.get_current_timezone(), timezone.localdate()
    columns = []
    for i in range(days):
        d = first + timedelta(days=i)
        lo, hi = day_bounds(d, 1)
        todays = [_copy(e) for e in entries if e.start < hi and e.end > lo]
        columns.append(Column(d.isoformat(), short_day(d), d, place(todays, d), _slots(d, None, tz, can_book), today=d == today))
    return columns


def room_columns(user: Any, rooms: list[Room], d: date, can_book: bool) -> list[Column]:
    start, end = day_bounds(d, 1)
    by_room = room_entries(user, rooms, start, end)
    tz = timezone.get_current_timezone()
    return [
        Column(f"room-{r.pk}", f"{r.name}", d, place(by_room.get(r.pk, []), d), _slots(d, r, tz, can_book), room=r)
        for r in rooms
    ]


@dataclass
class RoomWeekRow:
    room: Room
    cells: list[tuple[date, list[Entry], str]]  # (day, entries, composer url for that day)


def room_week(user: Any, rooms: list[Room], first: date, can_book: bool) -> list[RoomWeekRow]:
    start, end = day_bounds(first, 7)
    by_room = room_entries(user, rooms, start, end)
    tz = timezone.get_current_timezone()
    rows = []
    for r in rooms:
        cells = []
        for i in range(7):
            d = first + timedelta(days=i)
            lo, hi = day_bounds(d, 1)
            at9 = datetime.combine(d, time(9), tzinfo=tz)
            cells.append((d, [e for e in by_room.get(r.pk, []) if e.start < hi and e.end > lo],
                          composer_url(at9, at9 + timedelta(hours=1), r) if can_book else ""))
        rows.append(RoomWeekRow(r, cells))
    return rows


@dataclass
class MonthDay:
    day: date
    in_month: bool
    today: bool
    entries: list[Entry]
    more: int
    new_url: str


def month_weeks(user: Any, unit: Unit, anchor: date, can_book: bool) -> list[list[MonthDay]]:
    first = week_start(anchor.replace(day=1))
    nxt = (anchor.replace(day=28) + timedelta(days=4)).replace(day=1)
    month_end = nxt - timedelta(days=1)
    days = (month_end + timedelta(days=6 - month_end.weekday()) - first).days + 1
    start, end = day_bounds(first, days)
    entries = unit_entries(user, unit, start, end)
    by_day: dict[date, list[Entry]] = defaultdict(list)
    for e in entries:
        d, stop = local(e.start).date(), local(e.end - timedelta(microseconds=1)).date()
        while d <= stop:
            by_day[d].append(e)
            d += timedelta(days=1)
    tz, today = timezone.get_current_timezone(), timezone.localdate()
    weeks: list[list[MonthDay]] = []
    for i in range(days):
        d = first + timedelta(days=i)
        items = by_day.get(d, [])
        at9 = datetime.combine(d, time(9), tzinfo=tz)
        cell = MonthDay(d, d.month == anchor.month, d == today, items[:MONTH_CHIPS], max(0, len(items) - MONTH_CHIPS),
                        composer_url(at9, at9 + timedelta(hours=1)) if can_book else "")
        if i % 7 == 0:
            weeks.append([])
        weeks[-1].append(cell)
    return weeks


def _copy(e: Entry) -> Entry:
    """An entry spanning several days is placed once per day column."""
    return Entry(**{f: getattr(e, f) for f in e.__dataclass_fields__})


# --- whose calendar ------------------------------------------------------------------------


def units_for(user: Any) -> list[Unit]:
    """Units whose calendar the user may open: their own; every unit for department leaders
    and system administrators (one query)."""
    if permissions.is_system_admin(user) or permissions.department_leader(user):
        return list(Unit.objects.active().order_by("parent_id", "short_name"))
    ids = permissions.unit_ids(user)
    return list(Unit.objects.active().filter(pk__in=ids).order_by("parent_id", "short_name"))


def default_unit(user: Any, units: list[Unit]) -> Unit | None:
    booking = set(permissions.unit_ids(user, [Membership.Role.SECRETARY, Membership.Role.UNIT_ADMIN]))
    own = set(permissions.unit_ids(user))
    for wanted in (booking, own):
        for u in units:
            if u.pk in wanted:
                return u
    return units[0] if units else None
