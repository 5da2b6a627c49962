"""The unit's meetings (upcoming, past, drafts, waiting for rooms) and the ones I organise,
with filters, text search and CSV export. A fixed number of queries per page."""

from __future__ import annotations

import csv
from datetime import datetime, time
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from meetings.formatting import vn_datetime
from meetings.models import Meeting, MeetingRoom, Membership, Occurrence, Unit
from meetings.permissions import unit_ids

TABS = [("upcoming", gettext_lazy("Sắp tới")), ("past", gettext_lazy("Đã qua")), ("drafts", gettext_lazy("Nháp")),
        ("waiting", gettext_lazy("Chờ duyệt phòng")), ("mine", gettext_lazy("Tôi tổ chức"))]
PAGE_SIZE = 50


def _date(value: str | None, end: bool = False) -> datetime | None:
    if not value:
        return None
    try:
        day = datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        return None
    return timezone.make_aware(datetime.combine(day, time.max if end else time.min), timezone.get_default_timezone())


def meetings_for(user: Any, params: Any) -> tuple[QuerySet[Meeting], dict[str, Any]]:
    """The filtered list and the filter values to show back."""
    now = timezone.now()
    tab = params.get("tab") if params.get("tab") in dict(TABS) else "upcoming"
    mine_units = unit_ids(user)
    qs = Meeting.objects.visible_to(user)
    unit_param = params.get("unit", "")
    if unit_param.isdigit():
        qs = qs.filter(organizing_unit_id=int(unit_param))
    elif unit_param != "all" and mine_units and tab != "mine":
        qs = qs.filter(organizing_unit_id__in=mine_units)
    live = Occurrence.objects.filter(meeting=OuterRef("pk"), in_series=True).exclude(status=Occurrence.Status.CANCELLED)
    qs = qs.annotate(
        next_start=Subquery(live.filter(end__gt=now).order_by("start").values("start")[:1]),
        last_start=Subquery(live.order_by("-start").values("start")[:1]),
    )
    if tab == "upcoming":
        qs = qs.filter(Exists(live.filter(end__gt=now))).exclude(status__in=[Meeting.Status.DRAFT, Meeting.Status.CANCELLED])
        qs = qs.order_by("next_start", "pk")
    elif tab == "past":
        qs = qs.exclude(Exists(live.filter(end__gt=now))).exclude(status=Meeting.Status.DRAFT).order_by("-start", "-pk")
    elif tab == "drafts":
        qs = qs.filter(status=Meeting.Status.DRAFT).order_by("start", "pk")
    elif tab == "waiting":
        qs = qs.filter(status=Meeting.Status.REQUESTED).order_by("start", "pk")
    else:
        qs = qs.filter(created_by=user).order_by("-start", "-pk")
    q = (params.get("q") or "").strip()[:200]
    if q:
        qs = qs.filter(Q(title__icontains=q) | Q(agenda__icontains=q))
    if params.get("mode") in Meeting.Mode.values:
        qs = qs.filter(mode=params["mode"])
    start, end = _date(params.get("from")), _date(params.get("to"), end=True)
    if start:
        qs = qs.filter(Exists(Occurrence.objects.filter(meeting=OuterRef("pk"), in_series=True, end__gt=start)))
    if end:
        qs = qs.filter(start__lt=end)
    qs = qs.select_related("organizing_unit", "chair").prefetch_related(
        Prefetch("room_choices", queryset=MeetingRoom.objects.select_related("room__unit")))
    values = {"tab": tab, "q": q, "unit": unit_param, "mode": params.get("mode", ""),
              "from": params.get("from", ""), "to": params.get("to", "")}
    return qs, values


@login_required
def meeting_list(request: HttpRequest) -> HttpResponse:
    qs, values = meetings_for(request.user, request.GET)
    if request.GET.get("format") == "csv":
        return _csv(qs)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    units = Unit.objects.active().filter(pk__in=unit_ids(request.user)) if unit_ids(request.user) else Unit.objects.none()
    query = request.GET.copy()
    query.pop("page", None)
    books = bool(unit_ids(request.user, [Membership.Role.SECRETARY, Membership.Role.UNIT_ADMIN])) or request.user.is_superuser
    return render(request, "meetings/list.html", {
        "page": page, "values": values, "tabs": TABS, "units": units, "modes": Meeting.Mode.choices,
        "query": query.urlencode(), "books": books, "now": timezone.now(),
    })


def _csv(qs: QuerySet[Meeting]) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="cuoc-hop.csv"'
    response.write("\ufeff")  # Excel reads UTF-8 only with the byte order mark
    writer = csv.writer(response)
    writer.writerow([_("Tiêu đề"), _("Đơn vị tổ chức"), _("Buổi kế tiếp / gần nhất"), _("Bắt đầu chuỗi"), _("Lặp lại"),
                     _("Hình thức"), _("Trạng thái"), _("Phòng"), _("Chủ trì"), _("Mã cuộc họp")])
    for m in qs[:5000]:
        when = m.next_start or m.last_start
        title = m.title if m.sensitivity != Meeting.Sensitivity.CONFIDENTIAL else _("Cuộc họp mật")
        writer.writerow([
            _safe(title), m.organizing_unit.short_name, vn_datetime(when) if when else "", vn_datetime(m.start),
            _("Có") if m.rrule else _("Không"), m.get_mode_display(), m.get_status_display(),
            "; ".join(f"{mr.room.name} ({mr.room.unit.short_name})" for mr in m.room_choices.all()),
            m.chair.full_name if m.chair else "", str(m.uid),
        ])
    return response


def _safe(value: str) -> str:
    """No formula injection when the file is opened in a spreadsheet."""
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value
