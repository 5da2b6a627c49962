"""Thin views: the calendar, the department's rooms, the room admin's queue and its decisions."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch, Q
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from meetings import actions, permissions
from meetings.booking import BookingConflict
from meetings.formatting import vn_date
from meetings.models import Booking, Equipment, Room, Unit
from workspace import calendar as cal
from workspace import queue
from workspace.forms import VIEWS, CalendarQuery, DecisionForm, RoomFilter


def _partial(request: HttpRequest) -> bool:
    """An htmx navigation (not a history restore, which needs the whole page)."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request


# --- calendar -----------------------------------------------------------------------------


def _step(view: str, d: date, forward: bool) -> date:
    sign = 1 if forward else -1
    if view == "month":
        first = d.replace(day=1)
        return (first + timedelta(days=32)).replace(day=1) if forward else (first - timedelta(days=1)).replace(day=1)
    return d + timedelta(days=sign * (7 if view in ("week", "roomweek") else 1))


def _range_title(view: str, d: date) -> str:
    if view in ("week", "roomweek"):
        first = cal.week_start(d)
        return _("Tuần %(a)s – %(b)s") % {"a": f"{first:%d/%m}", "b": f"{first + timedelta(days=6):%d/%m/%Y}"}
    if view == "month":
        return _("Tháng %(m)s") % {"m": f"{d:%m/%Y}"}
    return vn_date(d)


@login_required
@require_GET
def calendar(request: HttpRequest) -> HttpResponse:
    user = request.user
    units = cal.units_for(user)
    form = CalendarQuery(request.GET or None, units=units)
    status = 200
    if form.is_bound and not form.is_valid():
        status = 400
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    view = data.get("view") or "week"
    d = data.get("d") or timezone.localdate()
    unit = next((u for u in units if u.code == data.get("unit")), None) or cal.default_unit(user, units)
    ctx: dict[str, Any] = {
        "form": form, "view": view, "d": d, "unit": unit, "units": units, "views": VIEWS,
        "title": _range_title(view, d), "prev": _step(view, d, False), "next": _step(view, d, True),
        "today": timezone.localdate(), "hours": [f"{h:02d}:00" for h in range(cal.DAY_START, cal.DAY_END)],
        "rows": cal.ROWS,
    }
    if unit is not None:
        can_book = permissions.can_book_for(user, unit)
        ctx["can_book"] = can_book
        if view in ("day", "week"):
            first, days = (d, 1) if view == "day" else (cal.week_start(d), 7)
            ctx["columns"] = cal.day_columns(user, unit, first, days, can_book)
        elif view == "month":
            ctx["weeks"] = cal.month_weeks(user, unit, d, can_book)
            ctx["weekdays"] = cal.WEEKDAYS_VI
        else:
            rooms = list(Room.objects.active().filter(unit=unit).select_related("unit").order_by("name"))
            ctx["rooms"] = rooms
            if view == "rooms":
                ctx["columns"] = cal.room_columns(user, rooms, d, can_book)
            else:
                first = cal.week_start(d)
                ctx["room_rows"] = cal.room_week(user, rooms, first, can_book)
                ctx["week_days"] = [(first + timedelta(days=i), cal.short_day(first + timedelta(days=i))) for i in range(7)]
    template = "workspace/_calendar.html" if _partial(request) else "workspace/calendar.html"
    return render(request, template, ctx, status=status)


# --- the department's rooms ----------------------------------------------------------------


@login_required
@require_GET
def rooms(request: HttpRequest) -> HttpResponse:
    """Rooms units share (and the viewer's own), filtered, with each room's day at a glance."""
    user = request.user
    own = permissions.unit_ids(user)
    units = Unit.objects.active().filter(rooms__is_active=True).distinct().order_by("parent_id", "short_name")
    form = RoomFilter(request.GET or None, units=units, equipment=Equipment.objects.order_by("name"))
    status = 200
    if form.is_bound and not form.is_valid():
        status = 400
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    d = data.get("d") or timezone.localdate()
    qs = Room.objects.active().filter(Q(shared=True) | Q(unit_id__in=own))
    if data.get("unit"):
        qs = qs.filter(unit=data["unit"])
    if data.get("capacity"):
        qs = qs.filter(capacity__gte=data["capacity"])
    if data.get("equipment"):
        qs = qs.with_equipment([e.slug for e in data["equipment"]])
    room_list = list(
        qs.select_related("unit").prefetch_related(Prefetch("equipment", queryset=Equipment.objects.order_by("name")))
        .order_by("unit__parent_id", "unit__short_name", "name")[:500]
    )
    start, end = cal.day_bounds(d, 1)
    by_room = cal.room_entries(cal.Viewer(user), room_list, start, end)
    can_book = bool(permissions.unit_ids(user, ["secretary", "unit_admin"])) or permissions.is_system_admin(user)
    tz = timezone.get_current_timezone()
    at9 = datetime.combine(d, time(9), tzinfo=tz)
    rows = [
        {"room": r, "entries": cal.place(by_room.get(r.pk, []), d),
         "book": cal.composer_url(at9, at9 + timedelta(hours=1), r) if can_book else "",
         "calendar": f"{reverse('calendar')}?view=rooms&unit={r.unit.code}&d={d:%Y-%m-%d}" if r.unit_id in own else ""}
        for r in room_list
    ]
    ctx = {"form": form, "rows": rows, "d": d, "day_title": vn_date(d), "hours": list(range(cal.DAY_START, cal.DAY_END)),
           "prev": d - timedelta(days=1), "next": d + timedelta(days=1), "query": _query_without(request, "d")}
    template = "workspace/_rooms.html" if _partial(request) else "workspace/rooms.html"
    return render(request, template, ctx, status=status)


def _query_without(request: HttpRequest, key: str) -> str:
    q = request.GET.copy()
    q.pop(key, None)
    return q.urlencode()


# --- the room admin's queue -----------------------------------------------------------------


def _refuse(request: HttpRequest, message: str, status: int) -> HttpResponse:
    if getattr(request, "htmx", False):
        # htmx swaps only 2xx answers: the sentence goes where the confirmation would have.
        return render(request, "workspace/_error.html", {"error": message})
    return render(request, "workspace/queue.html", {"requests": queue.build(request.user), "error": message}, status=status)


@login_required
@require_GET
def room_queue(request: HttpRequest) -> HttpResponse:
    if queue.admin_room_filter(request.user) is None:
        return render(request, "workspace/refused.html", {"message": _("Chỉ quản trị phòng họp của đơn vị mới xem được hàng chờ duyệt.")}, status=403)
    return render(request, "workspace/queue.html", {"requests": queue.build(request.user)})


@login_required
@require_POST
def decide(request: HttpRequest) -> HttpResponse:
    user = request.user
    cond = queue.admin_room_filter(user)
    if cond is None:
        return render(request, "workspace/refused.html", {"message": _("Chỉ quản trị phòng họp của đơn vị mới duyệt được yêu cầu.")}, status=403)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        return _refuse(request, " ".join(e for errors in form.errors.values() for e in errors) or _("Yêu cầu không hợp lệ."), 400)
    approve, reject = form.split()
    ids = approve + reject
    found = Booking.objects.filter(pk__in=ids)
    if found.filter(cond).count() != len(set(ids)):
        return _refuse(request, _("Đồng chí không quản trị phòng của (một số) yêu cầu này; không có gì thay đổi."), 403)
    decided = [b for b in found.select_related("room") if b.status != Booking.Status.REQUESTED]
    if decided:
        return _refuse(request, _("Yêu cầu đặt phòng %(room)s lúc %(when)s đã được xử lý (%(s)s); không có gì thay đổi.") % {
            "room": decided[0].room.name, "when": cal.local(decided[0].start).strftime("%H:%M %d/%m/%Y"),
            "s": decided[0].get_status_display()}, 409)
    if form.cleaned_data.get("step") != "confirm":
        approving = list(Booking.objects.filter(pk__in=approve).order_by("start"))
        ctx = {
            "form": form, "approve": approve, "reject": reject, "request_groups": queue.build(user, only=ids),
            "approve_set": set(approve), "displaced": actions.overlapping_requests(approving, exclude=ids),
            "note": form.cleaned_data.get("note", ""), "decision": form.cleaned_data["decision"],
        }
        template = "workspace/_confirm.html" if getattr(request, "htmx", False) else "workspace/confirm.html"
        return render(request, template, ctx)
    try:
        result = actions.decide_bookings(user, approve=approve, reject=reject, note=form.cleaned_data.get("note", ""))
    except actions.Forbidden as exc:
        return _refuse(request, str(exc), 403)
    except BookingConflict as exc:
        return _refuse(request, exc.message, 409)
    except actions.ActionError as exc:
        return _refuse(request, exc.message, 409 if exc.conflict else 400)
    parts = []
    if result.approved:
        parts.append(ngettext("Đã duyệt %(n)s buổi.", "Đã duyệt %(n)s buổi.", len(result.approved)) % {"n": len(result.approved)})
    if result.rejected:
        parts.append(ngettext("Đã từ chối %(n)s buổi.", "Đã từ chối %(n)s buổi.", len(result.rejected)) % {"n": len(result.rejected)})
    if result.displaced:
        parts.append(ngettext("%(n)s yêu cầu trùng giờ bị từ chối.", "%(n)s yêu cầu trùng giờ bị từ chối.", len(result.displaced)) % {"n": len(result.displaced)})
    messages.success(request, " ".join(parts))
    url = reverse("room_queue")
    if getattr(request, "htmx", False):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return HttpResponseRedirect(url)
