"""Online-room details for invitations: link, dial-in and passcode.

For provider "link" the secretary typed them (Meeting.online_details). Providers with an
API (Zoom, Jitsi) keep per-occurrence rooms in integrations.online; when that app offers
`invitation_details(meeting, occurrence)` it is used, so the dial-in follows the room.
"""

from __future__ import annotations

import importlib
from typing import Any

from meetings.models import Meeting, Occurrence


def _provider_hook() -> Any:
    try:
        module = importlib.import_module("integrations.online.invitations")
    except ImportError:
        return _online_room
    return getattr(module, "invitation_details", None) or _online_room


def _online_room(meeting: Meeting, occurrence: Occurrence | None) -> dict[str, str]:
    """Read integrations.online's per-occurrence room (the given occurrence, else the next one)."""
    from django.apps import apps
    from django.utils import timezone

    if not apps.is_installed("integrations.online"):
        return {}
    OnlineRoom = apps.get_model("online", "OnlineRoom")
    rooms = OnlineRoom.objects.filter(state="ready").exclude(join_url="")
    if occurrence is not None:
        room = rooms.filter(occurrence=occurrence).first()
    else:
        room = (rooms.filter(occurrence__meeting=meeting, occurrence__end__gt=timezone.now()).order_by("occurrence__start").first()
                or rooms.filter(occurrence__meeting=meeting).order_by("occurrence__start").first())
    if room is None:
        return {}
    return {"url": room.join_url, "dial_in": room.dial_in, "passcode": room.passcode}


def details(meeting: Meeting, occurrence: Occurrence | None = None) -> dict[str, str]:
    """{"url", "dial_in", "passcode"} (keys present only when known)."""
    if not meeting.is_online:
        return {}
    hook = _provider_hook()
    if hook is not None:
        found = hook(meeting, occurrence)
        if found:
            return {k: str(v) for k, v in found.items() if v and k in {"url", "dial_in", "passcode"}}
    raw = meeting.online_details or {}
    return {k: str(raw[k]) for k in ("url", "dial_in", "passcode") if raw.get(k)}
