"""JSON errors with a message that says what and why: 400, 401, 403, 404, 409."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from meetings.actions import ActionError, Forbidden
from meetings.booking import BookingConflict


def _first_message(detail: Any) -> str:
    if isinstance(detail, dict):
        for key, value in detail.items():
            inner = _first_message(value)
            return inner if key in ("non_field_errors", "detail") else f"{key}: {inner}"
    if isinstance(detail, list) and detail:
        return _first_message(detail[0])
    return str(detail)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, BookingConflict):
        return Response(
            {
                "error": "conflict",
                "message": exc.message,
                "conflicts": [c.as_dict() for c in exc.clashes],
            },
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, ActionError):
        body: dict[str, Any] = {"error": "conflict" if exc.conflict else "invalid", "message": exc.message}
        if exc.field:
            body["field"] = exc.field
        return Response(body, status=status.HTTP_409_CONFLICT if exc.conflict else status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, Forbidden | PermissionDenied):
        return Response({"error": "forbidden", "message": str(exc) or _("Không có quyền.")}, status=status.HTTP_403_FORBIDDEN)
    if isinstance(exc, Http404):
        return Response({"error": "not_found", "message": str(exc) or _("Không tìm thấy.")}, status=status.HTTP_404_NOT_FOUND)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = {"error": "invalid", "message": _first_message(exc.detail), "fields": exc.detail}
    elif isinstance(exc, exceptions.APIException):
        code = {401: "unauthenticated", 403: "forbidden", 404: "not_found", 405: "method_not_allowed", 429: "throttled"}.get(
            response.status_code, "error"
        )
        response.data = {"error": code, "message": _first_message(exc.detail)}
    return response


def not_found(request: Any, exception: Exception | None = None) -> Any:
    """handler404: the API answers in JSON even when no route matched (a malformed id)."""
    from django.http import JsonResponse
    from django.views.defaults import page_not_found

    if request.path.startswith("/api/"):
        return JsonResponse({"error": "not_found", "message": "Không có địa chỉ này (no such resource)."}, status=404)
    return page_not_found(request, exception)
