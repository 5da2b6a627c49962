"""The roll-call part of the minutes page (server-rendered, swapped with htmx): the section,
one person's entry, adding an invited person. Thin: fetch through minutes_for, call
minutes.rollcall, render the section again (or go back to the page without JavaScript)."""

from __future__ import annotations

from itertools import groupby
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from minutes import rollcall
from minutes.documents import MinutesError
from minutes.models import AttendanceRecord, Minutes
from minutes.permissions import Access
from minutes.views import minutes_for

STATUS_CHOICES = AttendanceRecord.Status.choices


def section_context(minutes: Minutes, can_edit: bool, *, error: str = "", error_row: int | None = None) -> dict[str, Any]:
    rows = list(minutes.attendance.select_related("unit").order_by("unit__name", "name", "id"))
    rows.sort(key=lambda r: (r.unit_id is None, str(r.unit) if r.unit_id else "", r.name.casefold()))
    groups = [{"unit": unit or "", "unit_id": items[0].unit_id, "rows": items} for unit, items in
              ((u, list(i)) for u, i in groupby(rows, key=lambda r: str(r.unit) if r.unit_id else ""))]
    counts = {s: sum(1 for r in rows if r.status == s) for s, _label in STATUS_CHOICES}
    editable = can_edit and not minutes.is_issued
    return {
        "minutes": minutes, "occurrence_id": minutes.occurrence_id, "groups": groups, "can_edit": editable,
        "statuses": STATUS_CHOICES, "counts": [(label, counts[s]) for s, label in STATUS_CHOICES if counts[s]],
        # Without the forms a row's error has nowhere to go: shown above the table.
        "missing": rollcall.missing(minutes) if editable else [], "error": error, "error_row": error_row if editable else None,
    }


def _section(request: HttpRequest, minutes: Minutes, level: Access, **kw: Any) -> HttpResponse:
    minutes.refresh_from_db()
    if not request.headers.get("HX-Request"):
        if kw.get("error"):
            messages.error(request, kw["error"])
        return redirect("minutes:page", occurrence_id=minutes.occurrence_id)
    return render(request, "minutes/_roll_call.html", section_context(minutes, level == Access.EDIT, **kw))


@login_required
@require_GET
def section(request: HttpRequest, occurrence_id: int) -> HttpResponse:
    minutes, level = minutes_for(request, occurrence_id)
    return render(request, "minutes/_roll_call.html", section_context(minutes, level == Access.EDIT))


@login_required
@require_POST
def set_entry(request: HttpRequest, occurrence_id: int, record_id: int) -> HttpResponse:
    minutes, level = minutes_for(request, occurrence_id, edit=True)
    try:
        rollcall.set_entry(request.user, minutes, record_id, request.POST.get("status", ""),
                           reason=request.POST.get("reason", ""), substitute=request.POST.get("substitute", ""))
    except MinutesError as exc:
        return _section(request, minutes, level, error=exc.message, error_row=record_id)
    return _section(request, minutes, level)


@login_required
@require_POST
def add_entry(request: HttpRequest, occurrence_id: int) -> HttpResponse:
    minutes, level = minutes_for(request, occurrence_id, edit=True)
    try:
        rollcall.add_entry(request.user, minutes, request.POST.get("who", ""))
    except MinutesError as exc:
        return _section(request, minutes, level, error=exc.message, error_row=0)
    return _section(request, minutes, level)


@login_required
@require_POST
def unit_present(request: HttpRequest, occurrence_id: int, unit_id: int) -> HttpResponse:
    minutes, level = minutes_for(request, occurrence_id, edit=True)
    try:
        rollcall.set_unit_present(request.user, minutes, unit_id or None)
    except MinutesError as exc:
        return _section(request, minutes, level, error=exc.message)
    return _section(request, minutes, level)
