"""A failed online room is retried by the reconciler with a growing wait until the sitting
starts; the secretaries are told once, not on every try; nothing is created twice."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from integrations.online import lifecycle
from integrations.online.models import OnlineRoom
from integrations.online.tests.helpers import run_online_outbox, schedule

pytestmark = pytest.mark.django_db


def _due_now(room: OnlineRoom) -> None:
    """Let the backoff pass (instead of waiting for it)."""
    OnlineRoom.objects.filter(pk=room.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))


def test_failed_room_is_retried_with_backoff_and_the_secretary_is_told_once(org, fake_zoom, zoom_host):
    fake_zoom.fail("scope", count=2, path="/meetings", method="POST")
    meeting = schedule(org, "zoom")
    run_online_outbox()
    room = OnlineRoom.objects.get(occurrence__meeting=meeting)
    assert room.state == OnlineRoom.State.FAILED and room.attempts == 1
    first_wait = room.next_attempt_at - timezone.now()
    assert timedelta(seconds=0) < first_wait <= timedelta(seconds=30)
    notices = [m for m in mail.outbox if org.secretary.email in m.to]
    assert len(notices) == 1 and "cho đến giờ họp" in notices[0].body

    assert lifecycle.reconcile()["synced"] == 0  # the wait has not passed: Zoom is not called
    assert len(fake_zoom.calls("POST", "/meetings")) == 1

    _due_now(room)
    lifecycle.reconcile()  # second try: fails again, waits longer, nobody is mailed again
    room.refresh_from_db()
    assert room.state == OnlineRoom.State.FAILED and room.attempts == 2
    assert room.next_attempt_at - timezone.now() > first_wait
    assert len([m for m in mail.outbox if org.secretary.email in m.to]) == 1

    _due_now(room)
    lifecycle.reconcile()  # Zoom fixed: the room is made, once
    room.refresh_from_db()
    assert room.state == OnlineRoom.State.READY and room.join_url
    assert len(fake_zoom.meetings) == 1 and len(fake_zoom.calls("POST", "/meetings")) == 3
    assert len([m for m in mail.outbox if org.secretary.email in m.to]) == 1


def test_no_retry_once_the_sitting_has_started(org, fake_zoom, zoom_host):
    fake_zoom.fail("scope", path="/meetings", method="POST")
    meeting = schedule(org, "zoom")
    run_online_outbox()
    room = OnlineRoom.objects.get(occurrence__meeting=meeting)
    assert room.state == OnlineRoom.State.FAILED
    occ = room.occurrence
    type(occ).objects.filter(pk=occ.pk).update(start=timezone.now() - timedelta(minutes=1))
    _due_now(room)
    lifecycle.reconcile()
    room.refresh_from_db()
    assert room.state == OnlineRoom.State.FAILED
    assert len(fake_zoom.calls("POST", "/meetings")) == 1
