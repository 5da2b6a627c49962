"""Numbers for the dashboard and the on-time rate, one aggregate query each, scoped to the
units the user leads (all units for department leaders); confidential meetings are counted
only for people allowed to see them."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from archive import permissions
from meetings.models import Booking, Meeting, Occurrence, Room, Unit
from meetings.workdays import WorkCalendar
from minutes.models import ActionItem, Minutes

if TYPE_CHECKING:
    from accounts.models import User


@dataclass
class Scope:
    user: Any
    units: list[int] | None  # None = every unit
    names: dict[int, str] = field(default_factory=dict)

    def unit_q(self, path: str) -> Q:
        return Q() if self.units is None else Q(**{f"{path}__in": self.units})

    def meeting_q(self, path: str) -> Q:
        """Meetings of the scope's units that the user may count (confidential rule)."""
        q = self.unit_q(f"{path}__organizing_unit")
        if not permissions.sees_everything(self.user):
            q &= permissions.may_see_confidential(self.user, path)
        return q


def scope_for(user: User) -> Scope:
    units = permissions.archive_units(user)
    names = dict(permissions.scoped_units(user).values_list("pk", "short_name"))
    return Scope(user, units, names)


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


def week_meetings(scope: Scope, today: date) -> list[tuple[str, int]]:
    monday = today - timedelta(days=today.weekday())
    rows = (Occurrence.objects.filter(scope.meeting_q("meeting"), start__gte=_local_midnight(monday),
                                      start__lt=_local_midnight(monday + timedelta(days=7)))
            .exclude(status=Occurrence.Status.CANCELLED)
            .exclude(meeting__status__in=[Meeting.Status.CANCELLED, Meeting.Status.DRAFT])
            .values("meeting__organizing_unit").annotate(n=Count("id")))
    return _named(scope, {r["meeting__organizing_unit"]: r["n"] for r in rows})


def overdue_minutes(scope: Scope, today: date) -> list[tuple[str, int]]:
    rows = (Minutes.objects.filter(scope.meeting_q("occurrence__meeting"), due_date__lt=today)
            .exclude(status=Minutes.Status.ISSUED).exclude(occurrence__status=Occurrence.Status.CANCELLED)
            .values("occurrence__meeting__organizing_unit").annotate(n=Count("id")))
    return _named(scope, {r["occurrence__meeting__organizing_unit"]: r["n"] for r in rows})


def on_time_rates(scope: Scope, today: date, months: int = 6) -> tuple[list[date], list[tuple[str, list[float | None], float | None]]]:
    """Per unit and month of the meeting: minutes issued on time / minutes due (QĐ 45/2018).
    A record counts once it was issued or its due date has passed. Issued records are read
    from the archive's search table (unit, meeting date, timeliness and sensitivity on one
    narrow index); records due and not issued are few (a partial index covers them)."""
    first = (today.replace(day=1) - timedelta(days=31 * (months - 1))).replace(day=1)
    cells: dict[int, dict[date, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    # One search row per issued minutes is current (a correction keeps the first issue's
    # timeliness): on PostgreSQL an index-only scan of the search table's covering index.
    docs = permissions.visible_entries(scope.user).filter(scope.unit_q("unit"), is_current=True, meeting_date__gte=first)
    for row in (docs.annotate(month=TruncMonth("meeting_date")).values("unit_id", "month")
                .annotate(total=Count("pk"), on_time=Count("pk", filter=Q(on_time=True)))):
        cell = cells[row["unit_id"]][_as_date(row["month"])]
        cell[0] += row["on_time"]
        cell[1] += row["total"]
    missing = (Minutes.objects.filter(scope.meeting_q("occurrence__meeting"), due_date__lt=today,
                                      occurrence__start__gte=_local_midnight(first))
               .exclude(status=Minutes.Status.ISSUED).exclude(occurrence__status=Occurrence.Status.CANCELLED)
               .annotate(month=TruncMonth("occurrence__start"))
               .values("occurrence__meeting__organizing_unit", "month").annotate(n=Count("id")))
    for row in missing:
        cells[row["occurrence__meeting__organizing_unit"]][_as_date(row["month"])][1] += row["n"]
    month_list: list[date] = []
    d = first
    while d <= today:
        month_list.append(d)
        d = (d + timedelta(days=32)).replace(day=1)
    table = []
    for unit_id, name in scope.names.items():
        per = cells.get(unit_id, {})
        values = [(per[m][0] / per[m][1]) if m in per and per[m][1] else None for m in month_list]
        total = sum(v[1] for v in per.values())
        overall = sum(v[0] for v in per.values()) / total if total else None
        if total:
            table.append((name, values, overall))
    return month_list, table


def _as_date(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def unit_on_time_rate(unit: Unit, start: date, end: date, today: date | None = None) -> float | None:
    """The department's figure for one unit and period: on-time records / records due."""
    today = today or timezone.localdate()
    qs = Minutes.objects.filter(occurrence__meeting__organizing_unit=unit,
                                occurrence__start__gte=_local_midnight(start),
                                occurrence__start__lt=_local_midnight(end + timedelta(days=1)))
    qs = qs.filter(Q(due_date__lt=today) | Q(status=Minutes.Status.ISSUED)).exclude(
        occurrence__status=Occurrence.Status.CANCELLED)
    agg = qs.aggregate(total=Count("id"), on_time=Count("id", filter=Q(issued_on_time=True)))
    return agg["on_time"] / agg["total"] if agg["total"] else None


def action_items(scope: Scope, today: date) -> list[tuple[str, int, int]]:
    qs = ActionItem.objects.filter(scope.unit_q("unit"), status=ActionItem.Status.OPEN)
    if not permissions.sees_everything(scope.user):
        qs = qs.filter(permissions.may_see_confidential(scope.user, "minutes__occurrence__meeting"))
    rows = qs.values("unit").annotate(open=Count("id"), overdue=Count("id", filter=Q(due_date__lt=today)))
    by_unit = {r["unit"]: (r["open"], r["overdue"]) for r in rows}
    return [(scope.names.get(u, "—"), o, od) for u, (o, od) in sorted(by_unit.items(), key=lambda x: -x[1][0])
            if u in scope.names]


def mode_share(scope: Scope, today: date, days: int = 90) -> list[tuple[str, int]]:
    rows = (Occurrence.objects.filter(scope.meeting_q("meeting"), start__gte=_local_midnight(today - timedelta(days=days)),
                                      start__lt=_local_midnight(today + timedelta(days=1)))
            .exclude(status=Occurrence.Status.CANCELLED).values("meeting__mode").annotate(n=Count("id")))
    counts = {r["meeting__mode"]: r["n"] for r in rows}
    return [(str(label), counts.get(value, 0)) for value, label in Meeting.Mode.choices]


def room_utilisation(scope: Scope, today: date, days: int = 30, top: int = 12) -> list[tuple[str, float, float]]:
    """Booked hours and share of opening hours on working days, per room (busiest first)."""
    start, end = today - timedelta(days=days), today
    rows = (Booking.objects.filter(scope.unit_q("room__unit"), status=Booking.Status.CONFIRMED,
                                   start__gte=_local_midnight(start), start__lt=_local_midnight(end))
            .values("room").annotate(busy=Sum(ExpressionWrapper(F("end") - F("start"), output_field=DurationField())))
            .order_by("-busy")[:top])
    busy = {r["room"]: r["busy"] for r in rows}
    rooms = Room.objects.filter(pk__in=busy).select_related("unit")
    calendar = WorkCalendar(start, end)
    working = sum(1 for i in range(days) if calendar.is_working_day(start + timedelta(days=i)))
    out = []
    for room in rooms:
        opens, closes = room.opens_at or room.unit.opens_at, room.closes_at or room.unit.closes_at
        open_hours = max((closes.hour * 60 + closes.minute - opens.hour * 60 - opens.minute) / 60, 1) * max(working, 1)
        hours = busy[room.pk].total_seconds() / 3600
        out.append((f"{room.name} ({room.unit.short_name})", round(hours, 1), min(hours / open_hours, 1.0)))
    return sorted(out, key=lambda r: -r[2])


def _named(scope: Scope, counts: dict[int, int]) -> list[tuple[str, int]]:
    return sorted(((scope.names[u], n) for u, n in counts.items() if u in scope.names), key=lambda r: (-r[1], r[0]))
