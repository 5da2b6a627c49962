"""What the composer shows before submitting: free and busy rooms per unit (from the
availability finder), the series' dates with the ones that clash, busy attendees, and
whether QĐ 45's urgent flag is needed. A fixed number of queries whatever the data."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from meetings import availability, workdays
from meetings.booking import Planned, find_clashes
from meetings.models import Attendee, Meeting, Occurrence, Room, Unit, equipment_label

if TYPE_CHECKING:
    from accounts.models import User


@dataclass
class UnitRooms:
    unit: Unit
    rooms: list[tuple[Room, bool]] = field(default_factory=list)  # (room, free)
    open: bool = False  # shown unfolded: the booking unit's own rooms, or a unit with a chosen room
    items_html: str = ""

    @property
    def free_count(self) -> int:
        return sum(1 for _room, free in self.rooms if free)


def rooms_html(groups: list[UnitRooms], selected: set[int] | frozenset[int]) -> None:
    """Each unit's room list as HTML, built here: the finder refreshes as the user types and
    the template engine spent half of its time on 100+ rooms."""
    e = html.escape
    seats, free_l, busy_l = _("%(c)s chỗ"), e(_("Trống")), e(_("Bận"))
    approval = f' <span class="tag tag-pending">{e(_("cần duyệt"))}</span>'
    taken = f' <span class="error">{e(_("Phòng đã chọn đang bận vào giờ này."))}</span>'
    for g in groups:
        items = []
        for room, free in g.rooms:
            chosen = room.pk in selected
            attrs = (" checked" if chosen else "") + (" disabled" if not free and not chosen else "")
            details = e(seats % {"c": room.capacity})
            if room.location:
                details += " · " + e(room.location)
            if getattr(room, "equipment_names", None):
                details += f' · <span class="muted">{e(", ".join(room.equipment_names))}</span>'
            state = f'<span class="tag tag-ok">{free_l}</span>' if free else f'<span class="tag tag-bad">{busy_l}</span>'
            items.append(
                f'<li class="room{"" if free else " busy"}"><label class="choice">'
                f'<input type="checkbox" name="rooms" value="{room.pk}"{attrs}>'
                f'<span><strong>{e(room.name)}</strong> · {details}{approval if room.requires_approval else ""} {state}'
                f'{taken if chosen and not free else ""}</span></label></li>'
            )
        g.items_html = mark_safe("\n".join(items))  # noqa: S308 - every value is escaped above


def room_finder(user: User, unit: Unit | None, start: datetime, end: datetime, people: int,
                equipment: list[str], only_unit: int | None, selected: set[int] = frozenset()) -> list[UnitRooms]:
    """Rooms the unit may book that fit `people` and have `equipment`, free ones first in each
    unit; busy ones are listed as busy (two queries: the candidates and the free ones)."""
    q = availability.Query(start=start, end=end, people=people, equipment=equipment,
                           units=[only_unit] if only_unit else [], for_unit=unit.pk if unit else None)
    now = timezone.now()
    free_ids = {r.pk for r in availability.free_rooms(user, q) if not r.rule_violation(start, end, now)}
    groups: dict[int, UnitRooms] = {}
    candidates = availability.candidate_rooms(user, q)
    equipment_names: dict[int, list[str]] = {}
    through = Room.equipment.through
    rows = through.objects.filter(room_id__in=[r.pk for r in candidates]).values_list(
        "room_id", "equipment__slug", "equipment__name")
    for room_id, slug, name in rows:
        equipment_names.setdefault(room_id, []).append(equipment_label(slug, name))
    for room in candidates:
        room.equipment_names = sorted(equipment_names.get(room.pk, []))
        groups.setdefault(room.unit_id, UnitRooms(room.unit)).rooms.append((room, room.pk in free_ids))
    ordered = sorted(groups.values(), key=lambda g: (unit is None or g.unit.pk != unit.pk, g.unit.name))
    for g in ordered:
        g.rooms.sort(key=lambda item: (not item[1], item[0].capacity, item[0].name))
        g.open = bool(only_unit) or (unit is not None and g.unit.pk == unit.pk) or bool(selected & {r.pk for r, _f in g.rooms})
    return ordered


@dataclass
class DateCheck:
    start: datetime
    end: datetime
    room_problems: list[str] = field(default_factory=list)
    busy_people: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.room_problems and not self.busy_people


def series_checks(starts: list[datetime], duration: object, rooms: list[Room], user_ids: list[int],
                  exclude: Meeting | None = None) -> list[DateCheck]:
    """Each date of the series with the room clashes (one query for all dates and rooms) and
    the attendees already in another meeting then (one query)."""
    dates = [DateCheck(s, s + duration) for s in starts]  # type: ignore[operator]
    if not dates:
        return dates
    planned = [Planned(key=d.start, start=d.start, end=d.end, room=r) for d in dates for r in rooms]
    ignore = list(Occurrence.objects.filter(meeting=exclude).values_list("pk", flat=True)) if exclude else []
    by_start = {d.start: d for d in dates}
    for clash in find_clashes(planned, ignore_occurrences=ignore):
        by_start[clash.occurrence_start].room_problems.append(f"{clash.room.name} ({clash.room.unit.short_name}): {clash.reason}")
    if user_ids:
        lo, hi = dates[0].start, max(d.end for d in dates)
        rows = (
            Attendee.objects.filter(
                user_id__in=user_ids, is_active=True,
                meeting__status__in=[Meeting.Status.SCHEDULED, Meeting.Status.REQUESTED],
                meeting__occurrences__start__lt=hi, meeting__occurrences__end__gt=lo,
                meeting__occurrences__in_series=True, meeting__occurrences__status=Occurrence.Status.SCHEDULED,
            )
            .exclude(rsvp__in=[Attendee.Rsvp.DECLINED, Attendee.Rsvp.DELEGATED])
            .exclude(meeting=exclude)
            .values_list("user__full_name", "meeting__occurrences__start", "meeting__occurrences__end")
        )
        busy = list(rows)
        for d in dates:
            # Busy periods only, never the other meeting's title (it may be confidential).
            names = sorted({name for name, s, e in busy if s < d.end and e > d.start})
            d.busy_people = names
    return dates


def urgent_needed(first_start: datetime | None) -> bool:
    return bool(first_start) and first_start > timezone.now() and workdays.needs_urgent_flag(first_start)


def invitation_deadline(first_start: datetime) -> object:
    return workdays.invitation_deadline(timezone.localtime(first_start).date())
