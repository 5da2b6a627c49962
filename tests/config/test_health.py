"""/healthz (alive), /readyz (each dependency within bounds → 200, else 503 JSON)."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from config import health
from integrations.online.models import OnlineRoom
from integrations.online.tests.helpers import schedule
from meetings.models import OutboxMessage

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_heartbeat():
    cache.delete(health.HEARTBEAT_KEY)
    yield
    cache.delete(health.HEARTBEAT_KEY)


def test_healthz_answers_without_touching_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_readyz_is_ready_with_every_check_listed(client):
    response = client.get("/readyz")
    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "redis", "queue", "outbox", "online_rooms"}
    assert all(check["ok"] for check in body["checks"].values())


def test_readyz_503_when_the_outbox_backlog_is_too_old(client, org, settings):
    settings.READY_MAX_OUTBOX_AGE = 600
    OutboxMessage.objects.create(topic="x", available_at=timezone.now() - timedelta(minutes=20))
    response = client.get("/readyz")
    assert response.status_code == 503
    outbox = response.json()["checks"]["outbox"]
    assert outbox["ok"] is False and outbox["due"] == 1 and outbox["oldest_due_seconds"] >= 1200


def test_readyz_503_when_too_many_online_rooms_failed(client, org, settings):
    settings.READY_MAX_FAILED_ROOMS = 0
    meeting = schedule(org, "jitsi")
    OnlineRoom.objects.filter(occurrence__meeting=meeting).update(state=OnlineRoom.State.FAILED)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["online_rooms"] == {"failed": 1, "max_failed": 0, "ok": False}


def test_readyz_503_when_the_database_is_unreachable(client, monkeypatch):
    from django.db import OperationalError

    def broken() -> dict:
        raise OperationalError("connection refused")

    monkeypatch.setattr(health, "_check_database", broken)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == {"ok": False, "error": "OperationalError: connection refused"}
    assert "outbox" not in response.json()["checks"]  # not queried while the database is away


def test_queue_check_reads_the_probe_lag_and_its_age(settings, monkeypatch):
    from huey.contrib.djhuey import HUEY

    monkeypatch.setattr(HUEY, "immediate", False)
    monkeypatch.setattr(HUEY, "pending_count", lambda: 3)
    settings.READY_MAX_QUEUE_LAG = 60
    health.record_heartbeat(time.time() - 5)  # the probe waited 5 s in the queue
    check = health._check_queue()
    assert check["ok"] is True and check["pending"] == 3 and 5 <= check["lag_seconds"] < 60

    health.record_heartbeat(time.time() - 90)  # workers far behind
    assert health._check_queue()["ok"] is False

    cache.set(health.HEARTBEAT_KEY, {"ran": time.time() - 600, "lag": 0.1})  # nobody ran it since
    assert health._check_queue()["ok"] is False


def test_queue_check_without_any_heartbeat_fails_once_the_start_grace_is_over(monkeypatch):
    from huey.contrib.djhuey import HUEY

    monkeypatch.setattr(HUEY, "immediate", False)
    monkeypatch.setattr(HUEY, "pending_count", lambda: 0)
    monkeypatch.setattr(health, "STARTED", time.time())
    assert health._check_queue()["ok"] is True
    monkeypatch.setattr(health, "STARTED", time.time() - 600)
    assert health._check_queue()["ok"] is False


def test_the_probe_task_records_its_queue_lag():
    from meetings.tasks import huey_probe

    huey_probe.call_local(time.time() - 2)
    beat = cache.get(health.HEARTBEAT_KEY)
    assert 2 <= beat["lag"] < 60 and time.time() - beat["ran"] < 60
