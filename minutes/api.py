"""GET /api/v1/meetings/<uid>/occurrences/<id>/attendance/: who was invited, what they
answered and whether they were there (present, late, absent), with online minutes and where
each fact comes from. `?format=csv` (or Accept: text/csv) gives the same as a spreadsheet."""

from __future__ import annotations

import csv
import io
from collections import Counter
from typing import Any

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from meetings.formatting import vn_datetime
from meetings.models import Occurrence
from meetings.permissions import get_meeting_for_user
from minutes import rollcall

ATTENDANCE = {
    "present": "Có mặt (đúng giờ, hoặc theo điểm danh của thư ký) / present",
    "late": "Vào phòng trực tuyến muộn hơn giờ bắt đầu quá MINUTES_LATE_AFTER_MINUTES phút (mặc định 10) / joined late",
    "absent": "Vắng, vắng có lý do hoặc cử người dự thay / absent (with reason or substitute)",
}
SOURCES = {
    "invitation": "theo câu trả lời giấy mời / from the invitation answer",
    "online": "theo phòng họp trực tuyến (webhook, đường dẫn cá nhân) / from the online room",
    "manual": "thư ký hoặc người ghi biên bản ghi tay / entered by the secretary or a scribe",
}

_person = inline_serializer("AttendancePerson", {
    "name": serializers.CharField(), "email": serializers.CharField(),
    "unit": serializers.CharField(), "unit_code": serializers.CharField(),
    "invited": serializers.BooleanField(help_text="Có trong thành phần mời / on the invitation list"),
    "answer": serializers.CharField(allow_null=True, help_text="needs_action, accepted, tentative, declined, delegated; null for walk-ins"),
    "attendance": serializers.ChoiceField(list(ATTENDANCE), help_text="; ".join(f"`{k}`: {v}" for k, v in ATTENDANCE.items())),
    "roll_call": serializers.CharField(help_text="Trạng thái trong biên bản: present, absent, excused, substitute"),
    "reason": serializers.CharField(), "substitute": serializers.CharField(),
    "online_minutes": serializers.IntegerField(allow_null=True, help_text="Tổng số phút trong phòng trực tuyến (mọi lần vào lại)"),
    "first_joined_at": serializers.DateTimeField(allow_null=True),
    "sessions": serializers.IntegerField(help_text="Số lần vào phòng trực tuyến"),
    "source": serializers.ChoiceField(list(SOURCES), help_text="; ".join(f"`{k}`: {v}" for k, v in SOURCES.items())),
    "sources": serializers.ListField(child=serializers.CharField(), help_text="Mọi nguồn của dòng này, vd. [manual, online]"),
}, many=True)
_schema = inline_serializer("SittingAttendance", {
    "meeting": serializers.UUIDField(), "occurrence": serializers.IntegerField(),
    "start": serializers.DateTimeField(), "minutes_opened": serializers.BooleanField(),
    "counts": serializers.DictField(child=serializers.IntegerField()),
    "attendance": _person,
})

CSV_HEAD = ["Họ tên", "E-mail", "Đơn vị", "Được mời", "Trả lời", "Tham dự", "Điểm danh", "Lý do", "Người dự thay",
            "Số phút trực tuyến", "Vào lúc", "Số lần vào", "Nguồn"]
WORDS = {"present": "Có mặt", "late": "Muộn", "absent": "Vắng"}


def _json(e: rollcall.Entry) -> dict[str, Any]:
    return {
        "name": e.name, "email": e.email, "unit": e.unit, "unit_code": e.unit_code, "invited": e.invited,
        "answer": e.answer, "attendance": e.attendance, "roll_call": e.roll_call, "reason": e.reason,
        "substitute": e.substitute, "online_minutes": e.online_minutes,
        "first_joined_at": timezone.localtime(e.first_joined_at).isoformat() if e.first_joined_at else None,
        "sessions": e.sessions, "source": e.source, "sources": e.sources,
    }


def _csv(occurrence: Occurrence, entries: list[rollcall.Entry]) -> HttpResponse:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEAD)
    for e in entries:
        writer.writerow([
            e.name, e.email, e.unit, "có" if e.invited else "không", e.answer or "", WORDS[e.attendance], e.roll_call,
            e.reason, e.substitute, "" if e.online_minutes is None else e.online_minutes,
            vn_datetime(e.first_joined_at) if e.first_joined_at else "", e.sessions, ", ".join(e.sources),
        ])
    # UTF-8 with a BOM: Excel opens Vietnamese text right.
    response = HttpResponse("\ufeff" + out.getvalue(), content_type="text/csv; charset=utf-8")
    day = timezone.localtime(occurrence.start).strftime("%Y-%m-%d")
    response["Content-Disposition"] = f'attachment; filename="diem-danh-{day}-{occurrence.pk}.csv"'
    return response


class CSVRenderer(BaseRenderer):
    """Lets `?format=csv` and Accept: text/csv through DRF's negotiation (the view writes the CSV)."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        return str(data).encode()


class SittingAttendanceView(APIView):
    renderer_classes = [*APIView.renderer_classes, CSVRenderer]

    def handle_exception(self, exc: Exception) -> Response:
        # Errors (404, 403…) are JSON even when the CSV was asked for: a spreadsheet of
        # str(dict) helps nobody, and the schema documents errors as JSON.
        response = super().handle_exception(exc)
        self.request.accepted_renderer = self.renderer_classes[0]()
        self.request.accepted_media_type = self.request.accepted_renderer.media_type
        return response

    @extend_schema(
        responses={(200, "application/json"): _schema, (200, "text/csv"): OpenApiTypes.STR},
        parameters=[OpenApiParameter("format", str, enum=["json", "csv"], description="csv: bảng tính cho lãnh đạo")],
        summary="Attendance of one sitting: invited, answer, present/late/absent, online minutes, source",
    )
    def get(self, request: Request, uid: str, occurrence_id: int) -> Response | HttpResponse:
        meeting = get_meeting_for_user(request.user, uid)
        occurrence = get_object_or_404(Occurrence.objects.select_related("meeting"), pk=occurrence_id, meeting=meeting)
        entries = rollcall.report(occurrence)
        if getattr(request, "accepted_renderer", None) is not None and request.accepted_renderer.format == "csv":
            return _csv(occurrence, entries)
        counts = Counter(e.attendance for e in entries)
        return Response({
            "meeting": str(meeting.uid), "occurrence": occurrence.pk,
            "start": timezone.localtime(occurrence.start).isoformat(),
            "minutes_opened": hasattr(occurrence, "minutes"),
            "counts": {k: counts.get(k, 0) for k in ATTENDANCE},
            "attendance": [_json(e) for e in entries],
        })


urlpatterns = [
    path("meetings/<uuid:uid>/occurrences/<int:occurrence_id>/attendance/", SittingAttendanceView.as_view(),
         name="api-sitting-attendance"),
]
