"""The leadership dashboard: six server-rendered SVG charts, each with its table."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from archive import charts, dashcache, permissions, stats
from archive.search import planned


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    if not permissions.can_use_archive(request.user):
        raise PermissionDenied(_("Bảng điều hành dành cho lãnh đạo đơn vị và lãnh đạo Sở."))
    today = timezone.localdate()
    scope = stats.scope_for(request.user)

    def compute() -> dict:
        with planned():
            months, rates = stats.on_time_rates(scope, today)
            return {"week": stats.week_meetings(scope, today), "overdue": stats.overdue_minutes(scope, today),
                    "months": months, "rates": rates, "items": stats.action_items(scope, today),
                    "modes": stats.mode_share(scope, today), "rooms": stats.room_utilisation(scope, today)}

    n = dashcache.numbers(scope, today, compute)
    week, overdue, months, rates = n["week"], n["overdue"], n["months"], n["rates"]
    items, modes, rooms = n["items"], n["modes"], n["rooms"]
    month_labels = [f"{m:%m/%Y}" for m in months]
    t = {
        "week": _("Cuộc họp tuần này theo đơn vị"), "overdue": _("Biên bản quá hạn theo đơn vị"),
        "rates": _("Tỷ lệ ban hành biên bản đúng hạn theo đơn vị và tháng (%)"),
        "items": _("Việc đang mở / quá hạn theo đơn vị"), "modes": _("Trực tuyến và trực tiếp (90 ngày qua)"),
        "rooms": _("Mức sử dụng phòng họp (30 ngày qua, tỷ lệ giờ làm việc, %)"),
    }
    context = {
        "titles": t, "week": week, "overdue": overdue, "months": month_labels, "rates": rates,
        "items": items, "modes": modes, "rooms": rooms,
        "svg": {
            "week": charts.bars(t["week"], week),
            "overdue": charts.bars(t["overdue"], overdue, color=charts.RED),
            "rates": charts.heat(t["rates"], [f"{m:%m/%y}" for m in months], rates),
            "items": charts.stacked(t["items"], items),
            "modes": charts.share(t["modes"], modes),
            "rooms": charts.bars(t["rooms"], [(name, share) for name, _h, share in rooms], percent=True),
        },
    }
    return render(request, "archive/dashboard.html", context)
