"""Open minutes sockets re-check their access when it may have changed (D7).

Any change to a meeting's attendees or to the meeting itself tells the sockets of its
minutes; a change to a person's memberships or account tells every socket of that person.
Each socket then re-evaluates `minutes.permissions.access` and closes with 4403 if it lost
access (or turns read-only). The heartbeat re-checks too, as a safety net.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from django.db.models.signals import post_delete, post_save

EVENT = {"type": "access_changed"}
log = logging.getLogger(__name__)


def user_room(user_id: int) -> str:
    return f"minutes.user.{user_id}"


async def _send_all(layer: Any, rooms: list[str]) -> None:
    for room in rooms:
        await layer.group_send(room, {"type": "minutes.event", "room": room, "event": EVENT})


def _send(rooms: list[str]) -> None:
    """Best effort: a write must never fail because the channel layer is away (the
    heartbeat re-check still closes the socket within one heartbeat)."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        loop = None
    try:
        if loop is not None:  # called from code running inside an event loop's thread
            task = loop.create_task(_send_all(layer, rooms))
            _pending.add(task)
            task.add_done_callback(_pending.discard)
        else:
            async_to_sync(_send_all)(layer, rooms)
    except Exception:
        log.warning("minutes: could not announce an access change", exc_info=True)


_pending: set[asyncio.Task] = set()


def _later(rooms: list[str]) -> None:
    if rooms:
        transaction.on_commit(lambda: _send(rooms))


def _meeting_rooms(meeting_id: int) -> list[str]:
    from minutes.actions import group_name
    from minutes.models import Minutes

    ids = Minutes.objects.filter(occurrence__meeting_id=meeting_id).values_list("pk", flat=True)
    return [group_name(pk) for pk in ids]


def _attendee_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    if not kwargs.get("raw"):
        _later(_meeting_rooms(instance.meeting_id))


def _meeting_changed(sender: Any, instance: Any, created: bool = False, **kwargs: Any) -> None:
    if not kwargs.get("raw") and not created:
        _later(_meeting_rooms(instance.pk))


def _membership_changed(sender: Any, instance: Any, created: bool = False, **kwargs: Any) -> None:
    # A new membership only grants: nothing to take back from open sockets.
    if not kwargs.get("raw") and not created:
        _later([user_room(instance.user_id)])


def _user_changed(sender: Any, instance: Any, created: bool = False, **kwargs: Any) -> None:
    if not kwargs.get("raw") and not created and not instance.is_active:
        _later([user_room(instance.pk)])


def connect() -> None:
    from django.contrib.auth import get_user_model

    from meetings.models import Attendee, Meeting, Membership

    post_save.connect(_attendee_changed, sender=Attendee, dispatch_uid="minutes-revoke-attendee")
    post_delete.connect(_attendee_changed, sender=Attendee, dispatch_uid="minutes-revoke-attendee-del")
    post_save.connect(_meeting_changed, sender=Meeting, dispatch_uid="minutes-revoke-meeting")
    post_save.connect(_membership_changed, sender=Membership, dispatch_uid="minutes-revoke-membership")
    post_delete.connect(_membership_changed, sender=Membership, dispatch_uid="minutes-revoke-membership-del")
    post_save.connect(_user_changed, sender=get_user_model(), dispatch_uid="minutes-revoke-user")
