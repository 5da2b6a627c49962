"""Minutes pages and their small JSON API (the live text itself goes over the socket)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from meetings.api import parsers as safe_json
from meetings.models import Occurrence
from minutes import actions, structure
from minutes.documents import MinutesError
from minutes.models import ActionItem, Minutes, Revision
from minutes.permissions import Access, access
from minutes.rendering import render_markdown

WEEKDAYS = ["Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ Nhật"]


def vn_datetime(dt: Any) -> str:
    local = timezone.localtime(dt)
    return f"{WEEKDAYS[local.weekday()]}, {local:%d/%m/%Y, %H:%M}"


def json_errors(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Refusals as JSON {"error", "message"} with the right status, never a 500."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # A browser opening a page (not the editor's fetch calls) gets the site's error pages.
        page = request.method == "GET" and "text/html" in request.headers.get("Accept", "")
        try:
            return view(request, *args, **kwargs)
        except (PermissionDenied, Http404):
            if page:
                raise
            return _refusal(sys.exc_info()[1])
        except MinutesError as exc:
            return JsonResponse({"error": exc.code, "message": exc.message}, status=exc.status)

    return wrapped


def _refusal(exc: BaseException | None) -> JsonResponse:
    if isinstance(exc, PermissionDenied):
        return JsonResponse({"error": "forbidden", "message": str(exc) or "Không có quyền."}, status=403)
    return JsonResponse({"error": "not_found", "message": str(exc)}, status=404)


def _body(request: HttpRequest) -> dict[str, Any]:
    try:
        data = safe_json.loads(request.body or b"{}")
    except ValueError:
        raise MinutesError("bad_json", "Nội dung gửi lên không phải JSON hợp lệ.") from None
    if not isinstance(data, dict):
        raise MinutesError("bad_json", "Nội dung gửi lên phải là một đối tượng JSON.")
    return data


def minutes_for(request: HttpRequest, occurrence_id: int, *, edit: bool = False) -> tuple[Minutes, Access]:
    """The one way views fetch minutes: 404 if the meeting is not theirs to see, 403 if read-only."""
    occurrence = Occurrence.objects.select_related("meeting", "meeting__organizing_unit").filter(
        pk=occurrence_id).first()
    if occurrence is None:
        raise Http404("Không có buổi họp này.")
    existing = Minutes.objects.filter(occurrence=occurrence).first()
    level = access(request.user, occurrence.meeting, existing)
    if level == Access.NONE:
        raise Http404("Không có biên bản này, hoặc bạn không có quyền xem.")
    if edit and level != Access.EDIT:
        raise PermissionDenied("Bạn chỉ được xem biên bản này.")
    return existing or actions.ensure_minutes(occurrence), level


def minutes_data(minutes: Minutes, level: Access) -> dict[str, Any]:
    today = timezone.localdate()
    occurrence = minutes.occurrence
    return {
        "id": minutes.pk,
        "occurrence": occurrence.pk,
        "title": occurrence.meeting.title,
        "when": vn_datetime(occurrence.start),
        "status": minutes.status,
        "status_label": str(minutes.get_status_display()),
        "can_edit": level == Access.EDIT and not minutes.is_locked,
        "sections": [
            {"id": s.pk, "title": s.title, "text": s.text, "html": render_markdown(s.text), "version": s.version}
            for s in minutes.sections.order_by("position", "id")
        ],
        "attendance": [
            {"id": r.pk, "name": r.name, "email": r.email, "unit": str(r.unit) if r.unit_id else "",
             "status": r.status, "status_label": str(r.get_status_display()), "reason": r.reason,
             "substitute_name": r.substitute_name, "source": r.source, "online_minutes": r.online_minutes}
            # People without a unit (outside guests) last, on SQLite as on PostgreSQL.
            for r in minutes.attendance.select_related("unit").order_by(
                F("unit__name").asc(nulls_last=True), "name", "id")
        ],
        "conclusions": [
            {"number": c.number, "text": c.text, "html": render_markdown(c.text), "is_decision": c.is_decision}
            for c in minutes.conclusions.order_by("number")
        ],
        "action_items": [
            a.as_dict(today) for a in minutes.action_items.select_related("owner_user", "owner_unit")
        ],
        "owners": _owners(minutes),
        "scribes": [{"id": u.pk, "name": u.full_name} for u in minutes.scribes.order_by("full_name")],
        "revisions": [
            {"number": r.number, "at": vn_datetime(r.created_at), "reason": r.reason,
             "reason_label": str(r.get_reason_display()), "authors": [a["name"] for a in r.authors]}
            for r in minutes.revisions.order_by("-number")
        ],
    }


def _owners(minutes: Minutes) -> dict[str, list[dict[str, Any]]]:
    """Whom an action item can go to: the units and people on the attendance list."""
    rows = list(minutes.attendance.select_related("unit", "user"))
    units = {minutes.occurrence.meeting.organizing_unit}
    units |= {r.unit for r in rows if r.unit_id}
    return {
        "units": [{"id": u.pk, "name": str(u)} for u in sorted(units, key=str)],
        "people": [{"id": r.user_id, "name": r.name} for r in rows if r.user_id],
    }


@login_required
@require_GET
def page(request: HttpRequest, occurrence_id: int) -> HttpResponse:
    minutes, level = minutes_for(request, occurrence_id)
    data = minutes_data(minutes, level)
    data["can_assign"] = structure.may_assign_scribes(request.user, minutes) and not minutes.is_issued
    candidates = structure.scribe_candidates(minutes) if data["can_assign"] else []
    return render(request, "minutes/page.html", {"m": data, "minutes": minutes, "scribe_candidates": candidates})


@login_required
@require_GET
@json_errors
def detail(request: HttpRequest, occurrence_id: int) -> JsonResponse:
    minutes, level = minutes_for(request, occurrence_id)
    return JsonResponse(minutes_data(minutes, level))


@login_required
@require_POST
@json_errors
def set_attendance(request: HttpRequest, occurrence_id: int, record_id: int) -> JsonResponse:
    minutes, _ = minutes_for(request, occurrence_id, edit=True)
    row = actions.set_attendance(request.user, minutes, record_id, _body(request))
    return JsonResponse({"id": row.pk, "status": row.status})


@login_required
@require_POST
@json_errors
def add_conclusion(request: HttpRequest, occurrence_id: int) -> JsonResponse:
    minutes, _ = minutes_for(request, occurrence_id, edit=True)
    data = _body(request)
    item = actions.add_conclusion(request.user, minutes, str(data.get("text", "")), bool(data.get("is_decision")))
    return JsonResponse({"number": item.number, "text": item.text}, status=201)


@login_required
@require_POST
@json_errors
def add_action_item(request: HttpRequest, occurrence_id: int) -> JsonResponse:
    minutes, _ = minutes_for(request, occurrence_id, edit=True)
    item = actions.add_action_item(request.user, minutes, _body(request))
    return JsonResponse(item.as_dict(), status=201)


@login_required
@require_POST
@json_errors
def set_action_status(request: HttpRequest, item_id: int) -> JsonResponse:
    item = get_object_or_404(ActionItem.objects.select_related("minutes__occurrence"), pk=item_id)
    minutes_for(request, item.minutes.occurrence_id, edit=True)
    item = actions.set_action_status(request.user, item, str(_body(request).get("status", "")))
    return JsonResponse(item.as_dict())


@login_required
@require_POST
@json_errors
def add_section(request: HttpRequest, occurrence_id: int) -> JsonResponse:
    minutes, _ = minutes_for(request, occurrence_id, edit=True)
    section = actions.add_section(request.user, minutes, str(_body(request).get("title", "")))
    return JsonResponse({"id": section.pk, "title": section.title}, status=201)


@login_required
@require_POST
@json_errors
def issue(request: HttpRequest, occurrence_id: int) -> JsonResponse:
    minutes, _ = minutes_for(request, occurrence_id, edit=True)
    minutes = actions.issue_minutes(request.user, minutes)
    return JsonResponse({"status": minutes.status})


@login_required
@json_errors
def revisions(request: HttpRequest, occurrence_id: int) -> JsonResponse:
    if request.method == "POST":
        minutes, _ = minutes_for(request, occurrence_id, edit=True)
        rev = actions.save_revision(request.user, minutes)
        return JsonResponse({"number": rev.number}, status=201)
    minutes, level = minutes_for(request, occurrence_id)
    return JsonResponse({"revisions": minutes_data(minutes, level)["revisions"]})


def _revision(minutes: Minutes, number: int) -> Revision:
    rev = minutes.revisions.filter(number=number).first()
    if rev is None:
        raise MinutesError("not_found", f"Không có phiên bản #{number}.", 404)
    return rev


@login_required
@require_GET
@json_errors
def revision_diff(request: HttpRequest, occurrence_id: int, a: int, b: int) -> JsonResponse:
    minutes, _ = minutes_for(request, occurrence_id)
    return JsonResponse({"from": a, "to": b, "sections": actions.diff_revisions(_revision(minutes, a), _revision(minutes, b))})


@login_required
@require_POST
@json_errors
def restore(request: HttpRequest, occurrence_id: int, number: int) -> JsonResponse:
    minutes, _ = minutes_for(request, occurrence_id, edit=True)
    rev = actions.restore_revision(request.user, minutes, _revision(minutes, number))
    return JsonResponse({"number": rev.number})


@login_required
@require_POST
@json_errors
def preview(request: HttpRequest) -> JsonResponse:
    text = _body(request).get("text", "")
    if not isinstance(text, str) or len(text) > 200_000:
        raise MinutesError("bad_text", "Văn bản xem trước phải là chuỗi, tối đa 200.000 ký tự.")
    return JsonResponse({"html": render_markdown(text)})


@require_GET
def unit_actions(request: HttpRequest, unit_id: int) -> HttpResponse:
    """The old address of a unit's action items: moved for good to the action-items page
    (archive `unit_actions`, which checks who may see the unit), keeping the query string."""
    query = request.GET.copy()
    query["unit"] = str(unit_id)
    return redirect(f"{reverse('unit_actions')}?{query.urlencode()}", permanent=True)

