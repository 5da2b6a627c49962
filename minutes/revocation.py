"""Open minutes sockets re-check their access when it may have changed (D7).

Any change to a meeting's attendees or to the meeting itself tells the sockets of its
minutes; a change to a person's memberships or account tells every socket of that person.
Each socket then re-evaluates `minutes.permissions.access` and closes with 4403 if it lost
access (or turns read-only). The heartbeat re-checks too, as a safety net.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from django.db.models.signals import post_delete, post_save

EVENT = {"type": "access_changed"}


def user_room(user_id: int) -> str:
    return f"minutes.user.{user_id}"


def _send(rooms: list[str]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return

    def run() -> None:
        for room in rooms:
            async_to_sync(layer.group_send)(room, {"type": "minutes.event", "room": room, "event": EVENT})

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        run()
        return
    # A thread that runs an event loop (e.g. a test driving a browser) may not call
    # async_to_sync: send from a helper thread instead.
    helper = threading.Thread(target=run, name="minutes-revocation")
    helper.start()
    helper.join()


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


def _membership_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    if not kwargs.get("raw"):
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
