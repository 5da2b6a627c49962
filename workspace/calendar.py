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
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from html import escape
from typing import Any

from django.db.models import BooleanField, Exists, ExpressionWrapper, F, OuterRef, Q, Value
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from meetings import permissions
from meetings.formatting import WEEKDAYS_VI
from meetings.models import Booking, Meeting, Membership, Occurrence, Room, Unit

DAY_START, DAY_END = 7, 19  # hours drawn on the time grid (local time)
SLOTS_PER_HOUR = 4  # grid rows of 15 minutes
ROWS = (DAY_END - DAY_START) * SLOTS_PER_HOUR
MONTH_CHIPS = 4  # meetings listed per day in the month view before "+n"
LIVE = (Booking.Status.CONFIRMED, Booking.Status.REQUESTED)
MAX_LENGTH = timedelta(hours=24)  # the longest meeting meetings.actions accepts


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


_PLACEHOLDER = "00000000-0000-4000-8000-000000000000"


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


@dataclass(slots=True)
class Entry:
    """One meeting (or booking) drawn on the calendar. Built from plain rows (no model
    instances): a week of 1,000 meetings must render in a few tens of milliseconds."""

    start: datetime
    end: datetime
    title: str
    busy_only: bool  # the viewer may not see it: "Bận", no link, no details
    pending: bool  # a room request waits for approval
    url: str = ""
    move: str = ""  # the move page, for those who may change the meeting
    rooms: str = ""
    urgent: bool = False
    refused: bool = False  # a room of this sitting was refused by its admin
    times: str = ""
    start_local: str = ""
    minutes: int = 0
    row: int = 1
    span: int = 1
    lane: int = 0
    lanes: int = 1
    html: str = ""

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


class Viewer:
    """What is the same for every entry of one page: who looks, URL shapes, labels."""

    def __init__(self, user: Any) -> None:
        self.user = user
        self.user_pk = user.pk
        self.tz = timezone.get_current_timezone()
        self.admin = permissions.is_system_admin(user)
        self.booking_units = set(permissions.unit_ids(user, [Membership.Role.SECRETARY, Membership.Role.UNIT_ADMIN]))
        detail = meeting_url(_PLACEHOLDER)
        move = _url("meeting_move", [_PLACEHOLDER], fallback=f"/meetings/{_PLACEHOLDER}/move/")
        self.detail, self.move = detail.split(_PLACEHOLDER), move.split(_PLACEHOLDER)
        self.busy, self.pending, self.urgent, self.shift = (
            escape(_("Bận")), escape(_("chờ duyệt")), escape(_("khẩn")), escape(_("Dời")))
        self.shift_label = _("Dời cuộc họp %(t)s")
        self.notes = {Booking.Status.REQUESTED: " — " + _("chờ duyệt"), Booking.Status.REJECTED: " — " + _("bị từ chối")}
        self.refused = escape(_("phòng bị từ chối"))

    def can_edit(self, created_by: int, unit_id: int) -> bool:
        return self.admin or created_by == self.user_pk or unit_id in self.booking_units

    def entry(self, row: dict[str, Any], rooms: list[tuple[str, str, str]]) -> Entry:
        start, end = row["start"].astimezone(self.tz), row["end"].astimezone(self.tz)
        statuses = {status for _, _, status in rooms}
        # D18: a room always with its unit, the pending and refused ones marked.
        text = "; ".join(f"{name} ({unit})" + self.notes.get(status, "") for name, unit, status in rooms)
        # Plain arithmetic instead of strftime: this runs for every meeting on the page.
        e = Entry(start, end, "", True, Booking.Status.REQUESTED in statuses, rooms=text,
                  refused=Booking.Status.REJECTED in statuses,
                  times=f"{start.hour:02d}:{start.minute:02d}–{end.hour:02d}:{end.minute:02d}",
                  start_local=f"{start.year:04d}-{start.month:02d}-{start.day:02d}T{start.hour:02d}:{start.minute:02d}",
                  minutes=int((end - start).total_seconds() // 60))
        if row["can_see"]:
            uid = str(row["uid"])
            e.busy_only, e.title, e.urgent = False, row["title"], row["urgent"]
            e.url = uid.join(self.detail)
            if self.can_edit(row["created_by"], row["unit_id"]):
                e.move = f"{uid.join(self.move)}?occurrence={row['occ']}"
        return e

    def html(self, e: Entry, pos: str, show_rooms: bool) -> str:
        """The entry's markup (built here, not by a template include per entry: speed)."""
        rooms = f'<span class="ev-rooms">{escape(e.rooms)}</span>' if show_rooms and e.rooms else ""
        pending = f' <span class="ev-tag">{self.pending}</span>' if e.pending else ""
        if e.busy_only:
            return mark_safe(  # noqa: S308 - every part is escaped above or here
                f'<div class="ev busy {pos}"><span class="ev-time">{e.times}</span> {self.busy}{pending}{rooms}</div>')
        title = escape(e.title)
        urgent = f' <span class="ev-tag">{self.urgent}</span>' if e.urgent else ""
        if e.refused:
            urgent += f' <span class="ev-tag refused">{self.refused}</span>'
        drag = move = ""
        if e.move:
            drag = f' draggable="true" data-start="{e.start_local}" data-minutes="{e.minutes}"'
            move = f' <a class="ev-move" href="{escape(e.move)}" aria-label="{escape(self.shift_label % {"t": e.title})}">{self.shift}</a>'
        return mark_safe(  # noqa: S308 - every part is escaped above
            f'<div class="ev{" pending" if e.pending else ""} {pos}"{drag}><span class="ev-time">{e.times}</span> '
            f'<a href="{escape(e.url)}">{title}</a>{urgent}{pending}{rooms}{move}</div>')


def _visible(user: Any, ref: str) -> Any:
    """Whether the user may see the row's meeting (the `ref` column).

    For a unit's people: `ref IN (the rules' union)`, one indexed lookup per rule, hashed
    once and probed per row. Written as the rules' one OR on the row's meeting (EXISTS),
    PostgreSQL with current statistics hashed every meeting joined to its attendee rows:
    the statement for a week of 1,000 sittings took 32 ms instead of 11, for a month 58
    instead of 14. Leaders' rule joins no attendee rows and stays a lookup per row."""
    from meetings.models import _visibility_q
    from meetings.models.meetings import _visible_ids
    from meetings.permissions import department_leader

    q = _visibility_q(user)
    if not q:  # superusers see everything
        return Value(True)
    if department_leader(user):
        return Exists(Meeting.objects.filter(q, pk=OuterRef(ref)))
    return ExpressionWrapper(Q(**{f"{ref}__in": _visible_ids(user)}), output_field=BooleanField())


_ROW = {
    "occ": F("pk"), "uid": F("meeting__uid"), "title": F("meeting__title"), "urgent": F("meeting__is_urgent"),
    "created_by": F("meeting__created_by_id"), "unit_id": F("meeting__organizing_unit_id"),
}


def unit_entries(viewer: Viewer, unit: Unit, start: datetime, end: datetime) -> list[Entry]:
    """The unit's sittings overlapping [start, end): organised by it or in its rooms (2 queries)."""
    # Sittings held in the unit's rooms, found once through the bookings' (room, time) index.
    in_unit_rooms = Booking.objects.filter(
        room__unit=unit, status__in=LIVE, start__lt=end, end__gt=start, start__gt=start - MAX_LENGTH,
    ).values("occurrence_id")
    occs = (
        # The lower bound on start lets the (start, end) index skip the past: no meeting lasts
        # more than MAX_LENGTH (meetings.actions.check_times).
        Occurrence.objects.filter(in_series=True, start__lt=end, end__gt=start, start__gt=start - MAX_LENGTH)
        .exclude(status=Occurrence.Status.CANCELLED)
        .exclude(meeting__status__in=[Meeting.Status.DRAFT, Meeting.Status.CANCELLED])
        .filter(Q(meeting__organizing_unit=unit) | Q(pk__in=in_unit_rooms))
    )
    rows = list(
        occs.annotate(can_see=_visible(viewer.user, "meeting_id"))
        .values("start", "end", "can_see", **_ROW).order_by("start", "pk")
    )
    rooms: dict[int, list[tuple[str, str, str]]] = defaultdict(list)
    if rows:
        for occ_id, name, unit_name, status in (
            # Refused rooms too: the secretary must see that a sitting lost its room.
            Booking.objects.filter(occurrence_id__in=[r["occ"] for r in rows], status__in=[*LIVE, Booking.Status.REJECTED])
            .order_by("room_id").values_list("occurrence_id", "room__name", "room__unit__short_name", "status")
        ):
            rooms[occ_id].append((name, unit_name, status))
    return [viewer.entry(r, rooms.get(r["occ"], [])) for r in rows]


def room_entries(viewer: Viewer, rooms: list[Room], start: datetime, end: datetime) -> dict[int, list[Entry]]:
    """{room id: entries} for the rooms' live bookings overlapping [start, end) (1 query)."""
    rows = (
        Booking.objects.filter(room__in=rooms, status__in=LIVE, start__lt=end, end__gt=start, start__gt=start - MAX_LENGTH)
        .exclude(occurrence__status=Occurrence.Status.CANCELLED)
        .exclude(occurrence__meeting__status__in=[Meeting.Status.DRAFT, Meeting.Status.CANCELLED])
        .annotate(can_see=_visible(viewer.user, "occurrence__meeting_id"))
        .values("start", "end", "can_see", "room_id", "status", room_name=F("room__name"), room_unit=F("room__unit__short_name"),
                **{k: F(f"occurrence__{v.name}") if k != "occ" else F("occurrence_id") for k, v in _ROW.items()})
        .order_by("start", "pk")
    )
    out: dict[int, list[Entry]] = defaultdict(list)
    for r in rows:
        out[r["room_id"]].append(viewer.entry(r, [(r["room_name"], r["room_unit"], r["status"])]))
    return out


# --- layout ---------------------------------------------------------------------------------


def _row(loc: datetime, day: date) -> int:
    """1-based grid row of a local time on `day`, clamped to the drawn hours."""
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
    cluster_end = 0  # the last row any meeting of the cluster reaches
    for e in placed:
        if cluster and e.row >= cluster_end:
            for c in cluster:
                c.lanes = len(lane_ends)
            cluster, lane_ends = [], []
        cluster_end = max(cluster_end, e.row + e.span) if cluster else e.row + e.span
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

    @property
    def html(self) -> str:
        """All the column's meetings in one string (one template variable, not one per meeting)."""
        return mark_safe("".join(e.html for e in self.entries))  # noqa: S308 - built escaped by Viewer.html

    @property
    def slots_html(self) -> str:
        """The empty hours: links to the composer (or drop targets only, for those who cannot book)."""
        out = []
        for sl in self.slots:
            if sl.url:
                out.append(f'<a class="slot r{sl.row}" href="{escape(sl.url)}" hx-boost="false" data-drop="{sl.start_local}">'
                           f'<span class="visually-hidden">{escape(sl.label)}</span></a>')
            else:
                out.append(f'<span class="slot r{sl.row}" data-drop="{sl.start_local}"></span>')
        return mark_safe("".join(out))  # noqa: S308 - escaped above


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


def _html(viewer: Viewer, entries: list[Entry], grid: bool) -> list[Entry]:
    for e in entries:
        e.html = viewer.html(e, e.classes if grid else "", grid)
    return entries


def day_columns(user: Any, unit: Unit, first: date, days: int, can_book: bool) -> list[Column]:
    start, end = day_bounds(first, days)
    viewer = Viewer(user)
    entries = unit_entries(viewer, unit, start, end)
    tz, today = timezone.get_current_timezone(), timezone.localdate()
    columns = []
    for i in range(days):
        d = first + timedelta(days=i)
        lo, hi = day_bounds(d, 1)
        # An entry spanning several days is placed (and so copied) once per day column.
        todays = [e if e.start >= lo and e.end <= hi else replace(e) for e in entries if e.start < hi and e.end > lo]
        columns.append(Column(d.isoformat(), short_day(d), d, _html(viewer, place(todays, d), True), _slots(d, None, tz, can_book),
                              today=d == today))
    return columns


def room_columns(user: Any, rooms: list[Room], d: date, can_book: bool) -> list[Column]:
    start, end = day_bounds(d, 1)
    viewer = Viewer(user)
    by_room = room_entries(viewer, rooms, start, end)
    tz = timezone.get_current_timezone()
    return [
        Column(f"room-{r.pk}", f"{r.name}", d, _html(viewer, place(by_room.get(r.pk, []), d), True), _slots(d, r, tz, can_book), room=r)
        for r in rooms
    ]


@dataclass
class RoomWeekRow:
    room: Room
    cells: list[tuple[date, str, str]]  # (day, its meetings as HTML, composer url for that day)


def room_week(user: Any, rooms: list[Room], first: date, can_book: bool) -> list[RoomWeekRow]:
    start, end = day_bounds(first, 7)
    viewer = Viewer(user)
    cell_html: dict[tuple[int, date], list[str]] = defaultdict(list)
    for room_id, items in room_entries(viewer, rooms, start, end).items():
        for e in items:
            for d in _days(e):
                cell_html[(room_id, d)].append(viewer.html(e, "", False))
    tz = timezone.get_current_timezone()
    rows = []
    for r in rooms:
        cells = []
        for i in range(7):
            d = first + timedelta(days=i)
            at9 = datetime.combine(d, time(9), tzinfo=tz)
            cells.append((d, mark_safe("".join(cell_html.get((r.pk, d), ()))),  # noqa: S308 - built escaped by Viewer.html
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

    @property
    def html(self) -> str:
        return mark_safe("".join(e.html for e in self.entries))  # noqa: S308 - built escaped by Viewer.html


def _days(e: Entry) -> list[date]:
    """The local dates an entry touches (its start and end are local times)."""
    d, stop = e.start.date(), (e.end - timedelta(microseconds=1)).date()
    out = [d]
    while d < stop:
        d += timedelta(days=1)
        out.append(d)
    return out


def month_weeks(user: Any, unit: Unit, anchor: date, can_book: bool) -> list[list[MonthDay]]:
    first = week_start(anchor.replace(day=1))
    nxt = (anchor.replace(day=28) + timedelta(days=4)).replace(day=1)
    month_end = nxt - timedelta(days=1)
    days = (month_end + timedelta(days=6 - month_end.weekday()) - first).days + 1
    start, end = day_bounds(first, days)
    viewer = Viewer(user)
    by_day: dict[date, list[Entry]] = defaultdict(list)
    for e in unit_entries(viewer, unit, start, end):
        for d in _days(e):
            by_day[d].append(e)
    tz, today = timezone.get_current_timezone(), timezone.localdate()
    weeks: list[list[MonthDay]] = []
    for i in range(days):
        d = first + timedelta(days=i)
        items = by_day.get(d, [])
        _html(viewer, items[:MONTH_CHIPS], False)  # only what is shown is rendered
        at9 = datetime.combine(d, time(9), tzinfo=tz)
        cell = MonthDay(d, d.month == anchor.month, d == today, items[:MONTH_CHIPS], max(0, len(items) - MONTH_CHIPS),
                        composer_url(at9, at9 + timedelta(hours=1)) if can_book else "")
        if i % 7 == 0:
            weeks.append([])
        weeks[-1].append(cell)
    return weeks


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
