"""The live minutes socket: presence, Yjs updates relayed through the channel layer.

Wire format: JSON text frames. Yjs updates travel base64-encoded.
  client → server  {"type": "heartbeat"}
                   {"type": "focus", "section": <id|null>, "editing": <bool>}
                   {"type": "update", "id": <client msg id>, "section": <id>, "update": <b64>}
                   {"type": "sync", "section": <id>, "sv": <b64 state vector>}  (after a version gap)
  server → client  {"type": "init", "me", "can_edit", "status", "heartbeat", "sections", "presence"}
                   {"type": "ack", "id", "section", "version"}           (stored: show "saved")
                   {"type": "error", "id", "code", "message"}            (refused, socket stays open)
                   {"type": "update", "section", "update", "origin", "author", "version"}
                   {"type": "sync", "section", "update", "version"}           (what the client lacked)
                   {"type": "presence", "event": "join"|"update"|"leave", "who"|"conns"}
                   {"type": "status", "status"} / {"type": "changed", "what"} / {"type": "section_added"}
Refused connections are accepted and then closed with a 44xx code and a reason, so the
browser can show why (a close before accept() reaches it only as an HTTP 403).
"""

from __future__ import annotations

import asyncio
import binascii
import contextlib
import json
import logging
import random
import time
import uuid
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from config import metrics
from meetings.api import parsers as safe_json
from meetings.models import Membership, Occurrence
from minutes import actions, documents, presence, revocation
from minutes.documents import MinutesError, b64, unb64
from minutes.hub import hub
from minutes.models import AttendanceRecord, Minutes
from minutes.permissions import Access, access

log = logging.getLogger(__name__)

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404
CLOSE_MALFORMED = 4400
CLOSE_TOO_LARGE = 4413
CLOSE_RATE_LIMITED = 4429


def _setting(name: str, default: Any) -> Any:
    return getattr(settings, name, default)


class TokenBucket:
    """At most `burst` messages at once, refilled at `rate` per second."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate, self.burst, self.tokens, self.at = rate, burst, burst, time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


def _open(user: Any, occurrence_id: int) -> dict[str, Any]:
    """Everything connect() needs from the database, or {"refuse": (code, reason)}."""
    occurrence = Occurrence.objects.select_related("meeting", "meeting__organizing_unit").filter(
        pk=occurrence_id).first()
    if occurrence is None:
        return {"refuse": (CLOSE_NOT_FOUND, "Không có buổi họp này.")}
    existing = Minutes.objects.filter(occurrence=occurrence).first()
    level = access(user, occurrence.meeting, existing)
    if level == Access.NONE:
        return {"refuse": (CLOSE_FORBIDDEN, "Bạn không có quyền xem biên bản cuộc họp này.")}
    minutes = existing or actions.ensure_minutes(occurrence)
    row = AttendanceRecord.objects.filter(minutes=minutes, user=user).exclude(unit=None).select_related("unit").first()
    unit = row.unit if row else None
    if unit is None:
        m = Membership.objects.filter(user=user).select_related("unit").order_by("unit__parent_id").first()
        unit = m.unit if m else None
    return {
        "minutes_id": minutes.pk,
        "status": minutes.status,
        "can_edit": level == Access.EDIT,
        "unit": str(unit) if unit else "",
        "name": user.full_name or user.email,
        "sections": [
            {"id": s.pk, "title": s.title, "state": b64(bytes(s.ydoc)), "version": s.version}
            for s in minutes.sections.order_by("position", "id")
        ],
    }


def _current_access(user: Any, minutes_id: int) -> Access:
    from accounts.models import User

    minutes = Minutes.objects.select_related("occurrence__meeting").filter(pk=minutes_id).first()
    fresh = User.objects.filter(pk=user.pk).first()  # memberships and is_active as of now
    if minutes is None or fresh is None:
        return Access.NONE
    return access(fresh, minutes.occurrence.meeting, minutes)


class MinutesConsumer(AsyncWebsocketConsumer):
    minutes_id: int | None = None
    conn: str = ""
    info: dict[str, Any]
    joined = False
    closing = False
    ready = False  # init sent: until then hub events wait in `backlog` (init must come first)

    async def connect(self) -> None:
        user = self.scope.get("user")
        await self.accept()
        if user is None or not user.is_authenticated:
            await self.refuse(CLOSE_UNAUTHENTICATED, "Hãy đăng nhập để mở biên bản.")
            return
        try:
            occurrence_id = int(self.scope["url_route"]["kwargs"]["occurrence_id"])
            opened = await database_sync_to_async(_open)(user, occurrence_id)
        except Exception:
            log.exception("minutes socket: opening failed")
            await self.refuse(4500, "Máy chủ không mở được biên bản, hãy thử lại.")
            return
        if "refuse" in opened:
            await self.refuse(*opened["refuse"])
            return
        self.user = user
        self.minutes_id = opened["minutes_id"]
        self.room = actions.group_name(self.minutes_id)
        self.can_edit = opened["can_edit"]
        self.section_ids = {s["id"] for s in opened["sections"]}
        self.bucket = TokenBucket(_setting("MINUTES_WS_RATE", 50), _setting("MINUTES_WS_BURST", 200))
        self.conn = uuid.uuid4().hex[:12]
        self.info = {
            "conn": self.conn, "uid": user.pk, "name": opened["name"], "unit": opened["unit"],
            "can_edit": self.can_edit, "editing": False, "section": None,
        }
        store = presence.store()
        self.backlog: list[dict[str, Any]] = []
        await hub().join(self.room, self)
        self.user_room = revocation.user_room(user.pk)
        await hub().join(self.user_room, self)
        await store.join(self.room, self.conn, self.info)
        self.joined = True
        metrics.WEBSOCKET_CONNECTIONS.inc()
        metrics.WEBSOCKET_OPENED.inc()
        # Announce first (the others are waiting for it), then build this socket's snapshot.
        await self.group({"type": "presence", "event": "join", "who": self.info})
        await self.send_json({
            "type": "init", "me": self.info, "can_edit": self.can_edit, "status": opened["status"],
            "heartbeat": presence.heartbeat_interval(), "sections": opened["sections"],
            "presence": await store.snapshot(self.room),
        })
        self.ready = True
        for event in self.backlog:
            await self.send_json(event)
        self.backlog = []
        self.pruner = asyncio.create_task(self.prune_forever())

    async def refuse(self, code: int, reason: str) -> None:
        self.closing = True
        await self.close(code=code, reason=reason)

    async def disconnect(self, code: int) -> None:
        pruner = getattr(self, "pruner", None)
        if pruner:
            pruner.cancel()
        if self.joined:
            self.joined = False
            metrics.WEBSOCKET_CONNECTIONS.dec()
            with contextlib.suppress(Exception):  # Redis away: the entry expires by itself
                await presence.store().leave(self.room, self.conn)
                await self.group({"type": "presence", "event": "leave", "conns": [self.conn]})
            await hub().leave(self.room, self)
            await hub().leave(self.user_room, self)

    async def prune_forever(self) -> None:
        """Drop entries whose heartbeats stopped (dead browsers, killed servers)."""
        store = presence.store()
        while True:
            await asyncio.sleep(presence.heartbeat_interval() * random.uniform(0.8, 1.0))
            try:
                gone = await store.prune(self.room)
                if gone:
                    await self.group({"type": "presence", "event": "leave", "conns": gone})
            except Exception:
                log.warning("minutes presence: prune failed", exc_info=True)

    # --- incoming -----------------------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.closing or not self.joined:
            return
        size = len(text_data.encode()) if text_data is not None else len(bytes_data or b"")
        if size > _setting("MINUTES_WS_MAX_BYTES", 256 * 1024):
            await self.refuse(CLOSE_TOO_LARGE, f"Tin nhắn quá lớn ({size} byte).")
            return
        if not self.bucket.take():
            await self.refuse(CLOSE_RATE_LIMITED, "Gửi quá nhiều tin nhắn; kết nối lại sau giây lát.")
            return
        if text_data is None:
            await self.refuse(CLOSE_MALFORMED, "Chỉ nhận tin nhắn JSON dạng văn bản.")
            return
        try:
            message = safe_json.loads(text_data)
        except ValueError:
            await self.refuse(CLOSE_MALFORMED, "Tin nhắn không phải JSON hợp lệ.")
            return
        kind = message.get("type") if isinstance(message, dict) else None
        handler = {"heartbeat": self.on_heartbeat, "focus": self.on_focus, "update": self.on_update,
                   "sync": self.on_sync}.get(kind)
        if handler is None:
            await self.refuse(CLOSE_MALFORMED, f"Loại tin nhắn không hợp lệ: {str(kind)[:40]!r}.")
            return
        # Any message proves the client alive.
        if not await presence.store().touch(self.room, self.conn):
            await presence.store().join(self.room, self.conn, self.info)
            await self.group({"type": "presence", "event": "join", "who": self.info})
        await handler(message)

    async def on_heartbeat(self, message: dict[str, Any]) -> None:
        await self.recheck_access()  # safety net for changes no signal announced

    async def recheck_access(self) -> None:
        """Close the socket if its user lost access; follow a change of write access (D7)."""
        if self.closing or not self.joined:
            return
        level = await database_sync_to_async(_current_access)(self.user, self.minutes_id)
        if level == Access.NONE:
            await self.refuse(CLOSE_FORBIDDEN, "Bạn không còn quyền xem biên bản cuộc họp này.")
            return
        can_edit = level == Access.EDIT
        if can_edit != self.can_edit:
            self.can_edit = can_edit
            self.info = {**self.info, "can_edit": can_edit, "editing": self.info["editing"] and can_edit}
            await self.send_json({"type": "access", "can_edit": can_edit})

    async def on_focus(self, message: dict[str, Any]) -> None:
        section, editing = message.get("section"), message.get("editing", False)
        if section is not None and (type(section) is not int or section not in self.section_ids):
            await self.error(None, "unknown_section", "Mục này không thuộc biên bản đang mở.")
            return
        self.info = {**self.info, "section": section, "editing": bool(editing) and self.can_edit}
        await presence.store().update(self.room, self.conn, self.info)
        await self.group({"type": "presence", "event": "update", "who": self.info})

    async def on_update(self, message: dict[str, Any]) -> None:
        msg_id, section, data = message.get("id"), message.get("section"), message.get("update")
        if type(section) is not int or not isinstance(data, str) or not isinstance(msg_id, (int, str, type(None))):
            await self.refuse(CLOSE_MALFORMED, "Tin nhắn cập nhật phải có section (số) và update (base64).")
            return
        if not self.can_edit:
            await self.error(msg_id, "read_only", "Bạn chỉ được xem biên bản này.")
            return
        try:
            update = unb64(data)
        except (binascii.Error, ValueError):
            await self.refuse(CLOSE_MALFORMED, "Trường update không phải base64.")
            return
        try:
            applied = await database_sync_to_async(documents.apply_update)(self.minutes_id, section, update, self.user)
        except MinutesError as exc:
            await self.error(msg_id, exc.code, exc.message)
            return
        await self.group({"type": "update", "section": section, "update": data, "origin": self.conn,
                          "author": self.info["name"], "version": applied.version})
        await self.send_json({"type": "ack", "id": msg_id, "section": section, "version": applied.version})

    async def on_sync(self, message: dict[str, Any]) -> None:
        """A client that saw a gap in section versions asks for what it lacks."""
        section, sv = message.get("section"), message.get("sv", "")
        if type(section) is not int or not isinstance(sv, str):
            await self.refuse(CLOSE_MALFORMED, "Tin nhắn sync phải có section (số) và sv (base64).")
            return
        if section not in self.section_ids:
            await self.error(None, "unknown_section", "Mục này không thuộc biên bản đang mở.")
            return
        try:
            vector = unb64(sv) if sv else b""
            diff, version = await database_sync_to_async(documents.diff_since)(section, vector)
        except (binascii.Error, ValueError, MinutesError):
            await self.refuse(CLOSE_MALFORMED, "Trường sv không phải state vector Yjs.")
            return
        await self.send_json({"type": "sync", "section": section, "update": b64(diff), "version": version})

    # --- outgoing ------------------------------------------------------------------------

    async def group(self, event: dict[str, Any]) -> None:
        await self.channel_layer.group_send(self.room, {"type": "minutes.event", "room": self.room, "event": event})

    async def minutes_event(self, message: dict[str, Any]) -> None:
        event = message["event"]
        kind = event.get("type")
        if kind == "access_changed":
            await self.recheck_access()
            return
        if kind == "update" and event.get("origin") == self.conn:
            return
        if kind == "presence" and event.get("who", {}).get("conn") == self.conn:
            return
        if kind == "section_added":
            self.section_ids.add(event["section"]["id"])
        if not self.ready:
            self.backlog.append(event)
            return
        await self.send_json(event)

    async def error(self, msg_id: Any, code: str, message: str) -> None:
        await self.send_json({"type": "error", "id": msg_id, "code": code, "message": message})

    async def send_json(self, content: dict[str, Any]) -> None:
        if not self.closing:
            await self.send(text_data=json.dumps(content, ensure_ascii=False))
