"""GET /api/v1/meetings/<uid>/online/: the online room of every occurrence (state, link),
and POST …/online/retry/ for the organizing unit to re-drive failed rooms."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import path, reverse
from django.utils import timezone
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from integrations.online import lifecycle, registry
from integrations.online.models import OnlineRoom
from meetings import outbox
from meetings.models import Meeting, OutboxMessage
from meetings.permissions import can_edit_meeting, get_meeting_for_user

# Every value of "state", for the schema and for readers of this code.
STATES = {
    "none": "Cuộc họp không họp trực tuyến và chưa từng có phòng (no online room, never had one).",
    "pending": "Phòng đang được tạo hoặc cập nhật ở nhà cung cấp (being created or updated at the provider).",
    "ready": "Mọi buổi còn lại đều có phòng và đường dẫn (every coming sitting has its room and link).",
    "failed": "Ít nhất một buổi không tạo được phòng; xem lý do và thử lại (a room failed: see reason, retry).",
    "removing": "Cuộc họp đã hủy hoặc chuyển sang họp trực tiếp; phòng đang được xóa (cancelled or now in person: rooms being deleted).",
    "removed": "Cuộc họp đã hủy hoặc chuyển sang họp trực tiếp; phòng đã được xóa (cancelled or now in person: rooms deleted).",
}
ROOM_STATES = {
    "pending": STATES["pending"], "ready": "Phòng sẵn sàng (room ready, join_url set).",
    "failed": "Không tạo được phòng (creation failed, see reason).", "removed": "Phòng đã được gỡ (room removed).",
}


def overall_state(meeting: Meeting, rooms: list[OnlineRoom]) -> str:
    """One word for the meeting's online rooms (see STATES): what is true at the provider."""
    gone = meeting.status == Meeting.Status.CANCELLED or not meeting.is_online
    if gone:
        if not rooms:
            return "none"
        # Rooms no longer wanted are deleted by the provider sync; until then: "removing".
        return "removing" if any(r.state == OnlineRoom.State.PENDING or r.external_id for r in rooms) else "removed"
    wanted = [r for r in rooms if r.desired]
    if any(r.state == OnlineRoom.State.FAILED for r in wanted):
        return "failed"
    if not wanted or any(r.state == OnlineRoom.State.PENDING for r in wanted):
        return "pending"
    return "ready"


def online_state(meeting: Meeting, user: Any) -> dict[str, Any]:
    editor = can_edit_meeting(user, meeting)
    host = editor or meeting.chair_id == user.pk
    rooms = list(
        OnlineRoom.objects.filter(occurrence__meeting=meeting).select_related("occurrence").order_by("occurrence__start")
    )
    provider_key = lifecycle.resolved_provider(meeting) if meeting.is_online else ""
    provider = registry.get(provider_key)
    mine = meeting.attendees.filter(user=user, is_active=True).first()
    # The raw room (URL, passcode, dial-in) only for invitees, the chair and editors: other
    # viewers would join unrecorded, without a personal link (D11).
    insider = host or mine is not None
    host_url = settings.SITE_URL + reverse("online-start-as-host", args=[meeting.uid])
    items = []
    for r in rooms:
        item: dict[str, Any] = {
            "occurrence_id": r.occurrence_id,
            "start": timezone.localtime(r.occurrence.start).isoformat(),
            "end": timezone.localtime(r.occurrence.end).isoformat(),
            "provider": r.provider,
            "state": r.state if r.desired else OnlineRoom.State.REMOVED,
            "join_url": r.join_url if r.is_ready and insider else "",
            "passcode": r.passcode if r.is_ready and insider else "",
            "dial_in": r.dial_in if r.is_ready and insider else "",
            "vc_endpoints": r.extra.get("vc_endpoints", []),
            "live_status": r.live_status,
        }
        if editor:
            item["reason"] = r.reason
            item["changed_outside"] = r.changed_outside
        if host and r.is_ready:
            item["host_url"] = f"{host_url}?occurrence={r.occurrence_id}"
        items.append(item)
    return {
        "meeting": str(meeting.uid),
        "mode": meeting.mode,
        "provider": provider_key,
        "provider_label": str(provider.label) if provider else "",
        "capabilities": sorted(provider.capabilities) if provider else [],
        "state": overall_state(meeting, rooms),
        "my_join_link": settings.SITE_URL + reverse("online-join", args=[mine.join_token]) if mine else "",
        "occurrences": items,
    }


def _described(states: dict[str, str]) -> str:
    return "; ".join(f"`{k}`: {v}" for k, v in states.items())


_room_schema = inline_serializer("OnlineRoomOfSitting", {
    "occurrence_id": serializers.IntegerField(), "start": serializers.DateTimeField(), "end": serializers.DateTimeField(),
    "provider": serializers.CharField(),
    "state": serializers.ChoiceField(list(ROOM_STATES), help_text=_described(ROOM_STATES)),
    "join_url": serializers.CharField(help_text="Chỉ khi state = ready (only when ready)."),
    "passcode": serializers.CharField(), "dial_in": serializers.CharField(),
    "vc_endpoints": serializers.ListField(child=serializers.CharField()),
    "live_status": serializers.CharField(help_text="started / ended theo webhook của nhà cung cấp, hoặc rỗng."),
    "reason": serializers.CharField(required=False, help_text="Thư ký đơn vị tổ chức: lý do lỗi (organizers only)."),
    "changed_outside": serializers.CharField(required=False),
    "host_url": serializers.CharField(required=False, help_text="Chủ trì / thư ký: bắt đầu với quyền host."),
}, many=True)
_schema = inline_serializer("OnlineRooms", {
    "meeting": serializers.UUIDField(), "mode": serializers.CharField(), "provider": serializers.CharField(),
    "provider_label": serializers.CharField(), "capabilities": serializers.ListField(child=serializers.CharField()),
    "state": serializers.ChoiceField(list(STATES), help_text=_described(STATES)),
    "my_join_link": serializers.CharField(), "occurrences": _room_schema,
})


class MeetingOnlineView(APIView):
    @extend_schema(responses=_schema, summary="Online room of each occurrence and one overall state",
                   description="state: " + _described(STATES))
    def get(self, request: Request, uid: str) -> Response:
        meeting = get_meeting_for_user(request.user, uid)
        return Response(online_state(meeting, request.user))


class MeetingOnlineRetryView(APIView):
    @extend_schema(request=None, responses=_schema, summary="Try failed online rooms again")
    def post(self, request: Request, uid: str) -> Response:
        meeting = get_meeting_for_user(request.user, uid, edit=True)
        with transaction.atomic():
            locked = Meeting.objects.select_for_update().select_related("organizing_unit").get(pk=meeting.pk)
            if lifecycle.plan_meeting(locked):
                outbox.put([OutboxMessage(topic=lifecycle.TOPIC, meeting=locked, payload={"event": "retry"})])
        return Response(online_state(meeting, request.user))


urlpatterns = [
    path("meetings/<uuid:uid>/online/", MeetingOnlineView.as_view(), name="api-meeting-online"),
    path("meetings/<uuid:uid>/online/retry/", MeetingOnlineRetryView.as_view(), name="api-meeting-online-retry"),
]
