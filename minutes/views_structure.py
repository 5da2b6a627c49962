"""JSON endpoints for the minutes' shape: remove/move sections, assign scribes."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_POST

from minutes import structure
from minutes.views import _body, json_errors, minutes_for


@login_required
@require_POST
@json_errors
def remove_section(request: HttpRequest, occurrence_id: int, section_id: int) -> JsonResponse:
    minutes, _ = minutes_for(request, occurrence_id, edit=True)
    structure.remove_section(request.user, minutes, section_id)
    return JsonResponse({"removed": section_id})


@login_required
@require_POST
@json_errors
def move_section(request: HttpRequest, occurrence_id: int, section_id: int) -> JsonResponse:
    minutes, _ = minutes_for(request, occurrence_id, edit=True)
    structure.move_section(request.user, minutes, section_id, str(_body(request).get("direction", "")))
    return JsonResponse({"moved": section_id})


@login_required
@require_POST
@json_errors
def scribes(request: HttpRequest, occurrence_id: int) -> JsonResponse:
    minutes, _ = minutes_for(request, occurrence_id)
    data = _body(request)
    structure.set_scribe(request.user, minutes, data.get("user"), data.get("action", "add") != "remove")
    return JsonResponse({"scribes": [{"id": u.pk, "name": u.full_name} for u in minutes.scribes.order_by("full_name")]})
