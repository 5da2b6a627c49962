"""POST /integrations/zoom/webhook: verify, store, acknowledge; the work runs in a task.

Every request, URL validation included, must carry a valid `x-zm-signature` for its
`x-zm-request-timestamp` (within 5 minutes): answering `endpoint.url_validation` before
that would be a signing oracle. Bad or missing signatures get 401, malformed JSON 400,
unknown events 200 (Zoom would retry anything else), never a 500.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import logging
import math
import time
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import F, Q
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from integrations.online import attendance, lifecycle
from integrations.online.models import OnlineRoom
from integrations.zoom.fake.webhook import sign
from integrations.zoom.models import WebhookEvent
from meetings.api import parsers as safe_json
from meetings.models import Occurrence

log = logging.getLogger(__name__)

MAX_AGE = 300  # seconds
HANDLED = {
    "meeting.started",
    "meeting.ended",
    "meeting.participant_joined",
    "meeting.participant_left",
    "meeting.updated",
    "meeting.deleted",
}


def _refuse(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"error": code, "message": message}, status=status)


def _seconds(value: str) -> float | None:
    try:
        number = float(value)
    except ValueError:
        return None
    if not math.isfinite(number):  # NaN compares False with everything: never "stale" (D13)
        return None
    return number / 1000 if number > 1e11 else number  # some senders use milliseconds


def dedupe_key(data: dict[str, Any]) -> str:
    payload = data.get("payload") or {}
    obj = payload.get("object") or {}
    participant = obj.get("participant") or {}
    parts = [
        data.get("event"), data.get("event_ts"), obj.get("id"), obj.get("uuid"),
        participant.get("participant_uuid") or participant.get("user_id"),
        participant.get("join_time"), participant.get("leave_time"),
    ]
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()


@csrf_exempt
@require_POST
def webhook(request: HttpRequest) -> JsonResponse:
    secret = settings.ZOOM_WEBHOOK_SECRET_TOKEN
    if not secret:
        return _refuse(404, "not_configured", "Zoom webhooks are not configured (ZOOM_WEBHOOK_SECRET_TOKEN).")
    timestamp = request.headers.get("x-zm-request-timestamp", "")
    signature = request.headers.get("x-zm-signature", "")
    if not timestamp or not signature:
        return _refuse(401, "unsigned", "Missing x-zm-request-timestamp or x-zm-signature.")
    seconds = _seconds(timestamp)
    if seconds is None or abs(time.time() - seconds) > MAX_AGE:
        return _refuse(401, "stale", "The request timestamp is missing, malformed or older than 5 minutes.")
    if not hmac.compare_digest(sign(secret, request.body, timestamp), signature):
        return _refuse(401, "bad_signature", "The x-zm-signature does not match the body.")
    # A signed request seen before (a replay within the 5 minutes): acknowledged, not redone.
    if not cache.add("zoom:webhook-seen:" + hashlib.sha256(signature.encode()).hexdigest(), 1, 2 * MAX_AGE):
        return JsonResponse({"status": "duplicate"})
    try:
        data = safe_json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        return _refuse(400, "invalid_json", "The body is not valid JSON.")
    if not isinstance(data, dict) or not isinstance(data.get("event"), str):
        return _refuse(400, "invalid_event", "The body must be an object with an 'event'.")
    event = data["event"]
    payload = data.get("payload") if isinstance(data.get("payload"), dict) else {}
    if event == "endpoint.url_validation":
        plain = payload.get("plainToken")
        if not isinstance(plain, str) or not plain or ":" in plain or len(plain) > 200:
            return _refuse(400, "invalid_token", "plainToken is missing or malformed.")
        encrypted = hmac.new(secret.encode(), plain.encode(), hashlib.sha256).hexdigest()
        return JsonResponse({"plainToken": plain, "encryptedToken": encrypted})
    if event not in HANDLED:
        return JsonResponse({"status": "ignored"})
    if not isinstance(payload.get("object"), dict):
        return _refuse(400, "invalid_event", "payload.object is missing.")
    key = dedupe_key(data)
    with transaction.atomic():
        row, created = WebhookEvent.objects.get_or_create(
            dedupe_key=key,
            defaults={"event": event, "event_ts": data.get("event_ts") if isinstance(data.get("event_ts"), int) else None,
                      "payload": data},
        )
        if created:
            from integrations.zoom.tasks import process_webhook_event

            transaction.on_commit(lambda: process_webhook_event(row.pk))
    return JsonResponse({"status": "accepted" if created else "duplicate"})


# --- processing (huey task) ------------------------------------------------------------


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if timezone.is_aware(moment) else moment.replace(tzinfo=UTC)


def _room(obj: dict[str, Any]) -> OnlineRoom | None:
    try:
        meeting_id = str(int(obj.get("id")))  # a string in some events, a number in others
    except (TypeError, ValueError):
        return None
    return (
        OnlineRoom.objects.filter(external_provider="zoom", external_id=meeting_id)
        .select_related("occurrence__meeting__organizing_unit")
        .first()
    )


def process_event(pk: int) -> str:
    event = WebhookEvent.objects.filter(pk=pk, processed_at__isnull=True).first()
    if event is None:
        return "gone"
    data = event.payload
    obj = (data.get("payload") or {}).get("object") or {}
    room = _room(obj)
    result = "unknown meeting" if room is None else _dispatch(event.event, room, obj)
    WebhookEvent.objects.filter(pk=pk).update(processed_at=timezone.now(), result=result[:500])
    return result


def _dispatch(name: str, room: OnlineRoom, obj: dict[str, Any]) -> str:
    occ_id = room.occurrence_id
    if name == "meeting.started":
        started = _time(obj.get("start_time")) or timezone.now()
        # Earliest start wins, whatever order the deliveries come in.
        Occurrence.objects.filter(pk=occ_id).filter(Q(actual_start__isnull=True) | Q(actual_start__gt=started)).update(actual_start=started)
        OnlineRoom.objects.filter(pk=room.pk).exclude(live_status="ended").update(live_status="started")
        return "started"
    if name == "meeting.ended":
        ended = _time(obj.get("end_time")) or timezone.now()
        Occurrence.objects.filter(pk=occ_id).filter(Q(actual_end__isnull=True) | Q(actual_end__lt=ended)).update(actual_end=ended)
        OnlineRoom.objects.filter(pk=room.pk).update(live_status="ended")
        return "ended"
    if name in ("meeting.participant_joined", "meeting.participant_left"):
        participant = obj.get("participant") or {}
        if name.endswith("joined"):
            row = attendance.record_participant(room, participant, joined_at=_time(participant.get("join_time")) or timezone.now())
        else:
            row = attendance.record_participant(room, participant, left_at=_time(participant.get("leave_time")) or timezone.now())
        return "attendance" if row else "attendance duplicate"
    if name == "meeting.deleted":
        return _deleted_outside(room)
    if name == "meeting.updated":
        return _updated_outside(room)
    return "ignored"


def _deleted_outside(room: OnlineRoom) -> str:
    if not room.desired or room.state == OnlineRoom.State.REMOVED:
        return "deleted by us"
    note = _("Phòng Zoom của buổi họp đã bị xóa trong Zoom; Quorum tạo lại phòng mới và gửi link mới cho thành phần mời.")
    with transaction.atomic():
        OnlineRoom.objects.filter(pk=room.pk).update(
            external_id="", synced={}, create_started_at=None, state=OnlineRoom.State.PENDING,
            revision=F("revision") + 1, next_attempt_at=timezone.now(), changed_outside=note,
        )
    lifecycle.notify_changed_outside(room, note)
    with contextlib.suppress(lifecycle.outbox.Retry, lifecycle.Busy):  # the reconciler finishes it
        lifecycle.sync_meeting(room.occurrence.meeting_id, [room.pk])
    return "recreated"


def _updated_outside(room: OnlineRoom) -> str:
    from integrations.online.registry import ProviderError
    from integrations.zoom.client import ZoomAPI
    from integrations.zoom.provider import info_from

    if room.state != OnlineRoom.State.READY:
        return "not ready"
    try:
        data = ZoomAPI().get_meeting(room.external_id)
    except ProviderError as exc:
        return f"not reconciled: {exc.message}"
    start = data.get("start_time", "")
    differs = (
        start != room.synced.get("start")
        or data.get("duration") != room.synced.get("duration")
        or data.get("topic") != room.synced.get("topic")
    )
    if differs:
        # Quorum's schedule is the reference: put it back and tell the secretary.
        note = _("Phòng Zoom đã bị sửa trong Zoom (giờ %(s)s, %(d)s phút); Quorum đã đặt lại theo lịch họp.") % {
            "s": start, "d": data.get("duration")}
        OnlineRoom.objects.filter(pk=room.pk).update(
            synced={**room.synced, "start": start, "duration": data.get("duration"), "topic": data.get("topic")},
            state=OnlineRoom.State.PENDING, revision=F("revision") + 1, next_attempt_at=timezone.now(), changed_outside=note,
        )
        lifecycle.notify_changed_outside(room, note)
        with contextlib.suppress(lifecycle.outbox.Retry, lifecycle.Busy):
            lifecycle.sync_meeting(room.occurrence.meeting_id, [room.pk])
        return "reverted"
    info = info_from(data, lifecycle.RoomSpec(key=room.key, topic="", start=timezone.now(), end=timezone.now()))
    if (info.join_url, info.passcode) != (room.join_url, room.passcode):
        OnlineRoom.objects.filter(pk=room.pk).update(join_url=info.join_url, passcode=info.passcode)
        lifecycle.announce(room.occurrence.meeting_id)
        return "link changed"
    return "in sync"
