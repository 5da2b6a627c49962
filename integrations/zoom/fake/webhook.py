"""Zoom-style webhook deliveries: payloads shaped like Zoom's documentation, signed with
the app's secret token (`x-zm-signature: v0=HMAC-SHA256(secret, "v0:{ts}:{body}")`)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import UTC, datetime
from typing import Any

import requests


def sign(secret: str, body: bytes, timestamp: int | str) -> str:
    message = b"v0:" + str(timestamp).encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signed_headers(secret: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    ts = int(time.time()) if timestamp is None else timestamp
    return {
        "x-zm-request-timestamp": str(ts),
        "x-zm-signature": sign(secret, body, ts),
        "content-type": "application/json",
    }


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def event_payload(
    event: str,
    meeting: dict[str, Any],
    account_id: str,
    participant: dict[str, Any] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """The envelope Zoom sends: {"event", "event_ts" (ms), "payload": {"account_id", "object"}}.

    `meeting` is a meeting as the API returns it. Ids are sent as strings in started/ended
    and as numbers in participant events, as Zoom does."""
    obj: dict[str, Any] = {
        "uuid": meeting["uuid"],
        "id": meeting["id"],
        "host_id": meeting["host_id"],
        "topic": meeting["topic"],
        "type": meeting["type"],
        "start_time": meeting["start_time"],
        "timezone": meeting["timezone"],
        "duration": meeting["duration"],
    }
    if event in ("meeting.started", "meeting.ended"):
        obj["id"] = str(meeting["id"])
        obj["start_time"] = extra.pop("start_time", _now())
        if event == "meeting.ended":
            obj["end_time"] = extra.pop("end_time", _now())
    if participant is not None:
        p = {
            "user_id": "16778240",
            "user_name": "",
            "id": "",
            "participant_uuid": "",
            "participant_user_id": "",
            "email": "",
            "registrant_id": "",
            "customer_key": "",
            "phone_number": "",
            **participant,
        }
        if event.endswith("participant_joined"):
            p.setdefault("join_time", _now())
        if event.endswith("participant_left"):
            p.setdefault("leave_time", _now())
            p.setdefault("leave_reason", "left the meeting")
        obj["participant"] = p
    envelope: dict[str, Any] = {
        "event": event,
        "event_ts": extra.pop("event_ts", int(time.time() * 1000)),
        "payload": {"account_id": account_id, "object": obj, **extra},
    }
    if event == "meeting.updated":
        envelope["payload"]["operator"] = "admin@fake.zoom.local"
        envelope["payload"]["time_stamp"] = envelope["event_ts"]
        envelope["payload"]["old_object"] = {"id": meeting["id"]}
    if event == "meeting.deleted":
        envelope["payload"]["operator"] = "admin@fake.zoom.local"
    return envelope


class WebhookSender:
    def __init__(self, secret: str, url: str) -> None:
        self.secret, self.url = secret, url

    def body(self, payload: dict[str, Any]) -> bytes:
        return json.dumps(payload, separators=(",", ":")).encode()

    def send(self, payload: dict[str, Any], timestamp: int | None = None) -> requests.Response:
        body = self.body(payload)
        return requests.post(self.url, data=body, headers=signed_headers(self.secret, body, timestamp), timeout=5)
