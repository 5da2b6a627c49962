"""Bounded drills in the suite: a huey consumer SIGKILLed in the middle of creating Zoom
meetings, and in the middle of sending invitations. After a new consumer and the reconcilers,
every meeting has exactly one Zoom meeting and every attendee its one invitation.
(The full drills with figures: bench/drills.py.)"""

from __future__ import annotations

import uuid

import pytest
from django.conf import settings
from django.core.cache import cache

from bench import drill_kit as k
from integrations.calendar.models import Delivery
from integrations.online.models import OnlineRoom

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not settings.IS_POSTGRES or not settings.REDIS_URL,
                       reason="needs PostgreSQL and Redis shared with real consumer processes"),
]


@pytest.fixture
def rig(settings, monkeypatch, tmp_path):
    """Fake Zoom + SMTP sink on loopback; this process enqueues, consumer processes work."""
    from huey.contrib.djhuey import HUEY

    from integrations.zoom.client import CONFIG_ERROR_KEY, Credentials
    from integrations.zoom.fake import FakeZoom

    fake = FakeZoom(account_id="acct-1", client_id="cid-1", client_secret="secret-1").start()
    sink = k.Sink().start()
    settings.ZOOM_ACCOUNT_ID, settings.ZOOM_CLIENT_ID, settings.ZOOM_CLIENT_SECRET = "acct-1", "cid-1", "secret-1"
    settings.ZOOM_API_BASE_URL, settings.ZOOM_OAUTH_TOKEN_URL = f"{fake.root}/v2", f"{fake.root}/oauth/token"
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                                    "OPTIONS": {"host": "127.0.0.1", "port": sink.port, "timeout": 10}}}
    cache.delete(CONFIG_ERROR_KEY)
    cache.delete(Credentials.from_settings().cache_key)
    monkeypatch.setattr(HUEY, "immediate", False)  # kicks go to Redis, as in production
    HUEY.flush()
    db = settings.DATABASES["default"]
    env = k.consumer_env(
        database_url=f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        redis_url=settings.REDIS_URL, huey_name=HUEY.name, secret="drill-" + uuid.uuid4().hex * 2,
        zoom_root=fake.root, smtp_port=sink.port)
    consumers: list[k.Consumer] = []

    def consumer() -> k.Consumer:
        consumers.append(k.Consumer(env, workers=2, log=tmp_path / f"huey-{len(consumers)}.log"))
        return consumers[-1]

    try:
        yield fake, sink, consumer
    finally:
        for c in consumers:
            c.stop()
        HUEY.flush()
        fake.stop()
        sink.stop()
        cache.delete(Credentials.from_settings().cache_key)


def test_killed_mid_zoom_creation_every_meeting_gets_exactly_one_zoom_meeting(rig):
    fake, _sink, consumer = rig
    w = k.world(uuid.uuid4().hex[:4])
    fake.fail("lost", count=1000, path="/meetings", method="POST", delay=0.5)  # slow answers
    first = consumer()
    ids = k.create_meetings(w, 6, provider="zoom")
    k.wait_until(lambda: first.alive() and len(fake.meetings) >= 2, 60, "two meetings created at Zoom")
    first.kill()
    fake.heal()
    k.expire_leases()
    consumer()
    k.wait_until(lambda: OnlineRoom.objects.filter(occurrence__meeting_id__in=ids, state="ready").count() == 6,
                 120, "every room ready", step=k.reconcile_once)
    figures = k.zoom_figures(ids, fake)
    assert figures == {"attempted": 6, "completed": 6, "lost": 0, "duplicates_at_zoom": 0, "rooms_sharing_an_id": 0}


def test_killed_mid_sending_every_attendee_gets_one_invitation_per_sequence(rig):
    _fake, sink, consumer = rig
    w = k.world(uuid.uuid4().hex[:4])
    sink.delay = 0.1
    first = consumer()
    ids = k.create_meetings(w, 4, attendees=3)
    k.wait_until(lambda: first.alive() and len(sink.received) >= 3, 60, "a few invitations sent")
    first.kill()
    sink.delay = 0.0
    k.expire_leases()
    consumer()
    k.wait_until(lambda: Delivery.objects.filter(meeting_id__in=ids, status="sent").count() == 12, 120,
                 "every invitation sent", step=k.reconcile_once)
    figures = k.invitation_figures(ids, sink)
    assert figures["attempted"] == 12 and figures["completed"] == 12 and figures["lost"] == 0
    assert figures["distinct_messages_per_invitation_max"] == 1  # a re-send carries the same Message-ID
    assert figures["resent_same_message_id"] <= 2  # at most the messages in flight at the kill (2 threads)
