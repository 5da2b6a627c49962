"""Jitsi Meet: an unguessable room name on JITSI_DOMAIN; nothing to call.

With JITSI_APP_ID/JITSI_APP_SECRET (a self-hosted server with token auth) each link
carries a short-lived HS256 JWT naming the person; the chair's is a moderator token.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import jwt
from django.conf import settings
from django.utils import timezone

from integrations.online.registry import BaseProvider, RoomInfo, RoomSpec

if TYPE_CHECKING:
    from accounts.models import User
    from integrations.online.models import OnlineRoom
    from meetings.models import Attendee


def room_name() -> str:
    # 128 random bits; letters and digits only, which every Jitsi deployment accepts.
    return "Quorum" + secrets.token_hex(16)


class JitsiProvider(BaseProvider):
    key = "jitsi"
    label = "Jitsi Meet"

    @property
    def capabilities(self) -> frozenset[str]:  # type: ignore[override]
        return frozenset({"jwt"} if self.uses_jwt else set())

    @property
    def uses_jwt(self) -> bool:
        return bool(settings.JITSI_APP_ID and settings.JITSI_APP_SECRET)

    def create(self, spec: RoomSpec, remember: Any) -> RoomInfo:
        name = room_name()
        remember(name)
        return RoomInfo(external_id=name, join_url=f"https://{settings.JITSI_DOMAIN}/{name}")

    def update(self, room: OnlineRoom, spec: RoomSpec, previous: dict[str, Any]) -> RoomInfo:
        # The room name does not depend on the time: nothing changes for attendees.
        return RoomInfo(external_id=room.external_id, join_url=room.join_url)

    def token(self, room: OnlineRoom, name: str, email: str, moderator: bool) -> str:
        now = timezone.now()
        occ_end = room.occurrence.end
        claims = {
            "iss": settings.JITSI_APP_ID,
            "aud": "jitsi",
            "sub": settings.JITSI_DOMAIN,
            "room": room.external_id,
            "nbf": int((now - timedelta(minutes=5)).timestamp()),
            "exp": int(max(occ_end + timedelta(hours=2), now + timedelta(hours=2)).timestamp()),
            "moderator": moderator,
            "context": {"user": {"name": name, "email": email, "moderator": "true" if moderator else "false"}},
        }
        return jwt.encode(claims, settings.JITSI_APP_SECRET, algorithm="HS256")

    def _link(self, room: OnlineRoom, name: str, email: str, moderator: bool) -> str:
        url = room.join_url
        if self.uses_jwt:
            url += "?jwt=" + self.token(room, name, email, moderator)
        if name:
            # Jitsi reads config overrides from the fragment: the name is pre-filled.
            url += "#userInfo.displayName=" + quote(f'"{name}"')
        return url

    def join_link(self, room: OnlineRoom, attendee: Attendee | None) -> str:
        if attendee is None:
            return room.join_url
        # The name in the URL fragment is never the e-mail; the e-mail goes only inside the
        # signed JWT, to the department's own Jitsi server (uses_jwt).
        return self._link(room, attendee.public_name, attendee.email if self.uses_jwt else "", moderator=False)

    def host_link(self, room: OnlineRoom, user: User) -> str:
        return self._link(room, user.full_name or user.email, user.email, moderator=True)
