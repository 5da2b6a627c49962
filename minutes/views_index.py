"""The "Biên bản" page (minutes/): every minutes the user may open, being written and issued."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from meetings.models import Unit
from meetings.permissions import unit_ids
from minutes.models import Minutes
from minutes.permissions import openable_q

PER_PAGE = 30


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    tab = "issued" if request.GET.get("tab") == "issued" else "live"
    q = request.GET.get("q", "").strip()[:200]
    rows = (
        Minutes.objects.filter(openable_q(request.user))
        .filter(status=Minutes.Status.ISSUED if tab == "issued" else Minutes.Status.DRAFT)
        .select_related("occurrence__meeting__organizing_unit")
    )
    if q:
        rows = rows.filter(occurrence__meeting__title__icontains=q)
    rows = rows.order_by("-issued_at", "-occurrence__start", "-pk") if tab == "issued" else rows.order_by("-occurrence__start", "-pk")
    number = request.GET.get("page", "1")
    page = Paginator(rows, PER_PAGE).get_page(number if number.isdigit() else 1)
    # The units' carried-forward action items are one click away from here (D19).
    units = Unit.objects.filter(pk__in=unit_ids(request.user), is_active=True).order_by("name")
    return render(request, "minutes/index.html", {"page": page, "tab": tab, "q": q, "units": units})
