"""GET /api/v1/archive/: the archive search as JSON (same rules and filters as the page).
`from`/`to` take plain dates (read in Asia/Ho_Chi_Minh) or ISO 8601 times."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from archive import permissions, queries
from meetings.api.views import AuditedMixin, parse_bound

PAGE_SIZE = 20


def _day(raw: str | None, key: str) -> str | None:
    if not raw:
        return None
    try:
        bound = parse_bound(raw, end=key == "to")
    except serializers.ValidationError as exc:
        raise ValidationError({key: exc.detail}) from None
    local = timezone.localtime(bound)
    if key == "to" and len(raw.strip()) == 10:
        local = local - timedelta(days=1)
    return local.date().isoformat()


# The response, described for the schema (an APIView has no serializer for drf-spectacular to read).
_hit = inline_serializer("ArchiveHit", {
    "id": serializers.IntegerField(), "code": serializers.CharField(), "title": serializers.CharField(),
    "meeting_date": serializers.DateField(), "unit": serializers.CharField(allow_null=True),
    "chair": serializers.CharField(allow_null=True), "sensitivity": serializers.CharField(),
    "on_time": serializers.BooleanField(allow_null=True), "signed": serializers.BooleanField(),
    "version": serializers.IntegerField(), "snippet_html": serializers.CharField(), "url": serializers.CharField(),
}, many=True)
_page = inline_serializer("ArchiveSearchPage", {
    "count": serializers.IntegerField(help_text="Stops at 1000: see count_capped"),
    "count_capped": serializers.BooleanField(help_text="More matches than `count`: narrow the search to see them all"),
    "page": serializers.IntegerField(), "pages": serializers.IntegerField(),
    "results": _hit,
})


class ArchiveSearchView(AuditedMixin, APIView):
    @extend_schema(responses={200: _page}, parameters=[
        OpenApiParameter("q", str, description="Words, any diacritics: 'hop giao ban' finds 'họp giao ban'"),
        OpenApiParameter("unit", int), OpenApiParameter("chair", int),
        OpenApiParameter("from", str, description="YYYY-MM-DD (Asia/Ho_Chi_Minh) or ISO 8601"),
        OpenApiParameter("to", str), OpenApiParameter("status", str), OpenApiParameter("sensitivity", str),
        OpenApiParameter("page", int),
    ])
    def get(self, request: Request) -> Response:
        user = request.user
        if not permissions.can_use_archive(user):
            raise PermissionDenied("Lưu trữ biên bản dành cho lãnh đạo đơn vị và lãnh đạo Sở.")
        params = request.query_params
        data: dict[str, Any] = {k: params.get(k) for k in ("q", "unit", "chair", "status", "sensitivity") if params.get(k)}
        data["date_from"], data["date_to"] = _day(params.get("from"), "from"), _day(params.get("to"), "to")
        units, chairs = queries.choices_for(user)
        form = queries.ArchiveFilterForm({k: v for k, v in data.items() if v}, units=units, chairs=chairs)
        if not form.is_valid():
            raise ValidationError({k: [str(e) for e in v] for k, v in form.errors.items()})
        qs = queries.filtered(user, form.cleaned_data, form.terms)
        page, capped = queries.paginate(qs, form.terms, PAGE_SIZE, params.get("page"))
        queries.audit_search(request, form.cleaned_data, page, capped)
        return Response({
            "count": page.paginator.count,
            "count_capped": capped,
            "page": page.number,
            "pages": page.paginator.num_pages,
            "results": [
                {"id": h.id, "code": h.code, "title": h.title, "meeting_date": h.meeting_date.isoformat(),
                 "unit": h.unit, "chair": h.chair, "sensitivity": h.sensitivity, "on_time": h.on_time,
                 "signed": h.signed, "version": h.version, "snippet_html": str(h.snippet),
                 "url": f"/archive/documents/{h.id}/"}
                for h in queries.hits(list(page.object_list), form.terms)
            ],
        })
