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


def overall_state(meeting: Meeting, rooms: list[OnlineRoom]) -> str:
    if not meeting.is_online:
        return "none"
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


_schema = inline_serializer("OnlineRooms", {
    "meeting": serializers.UUIDField(), "mode": serializers.CharField(), "provider": serializers.CharField(),
    "state": serializers.ChoiceField(["none", "pending", "ready", "failed"]),
    "my_join_link": serializers.CharField(), "occurrences": serializers.ListField(child=serializers.DictField()),
})


class MeetingOnlineView(APIView):
    @extend_schema(responses=_schema, summary="Online room of each occurrence (pending / ready / failed)")
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
