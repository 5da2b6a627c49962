"""Two schedulers (two nodes) sharing Redis enqueue each periodic task once per minute."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest
from django.conf import settings
from huey import crontab

from config.hueyclass import ClusterRedisHuey

pytestmark = [
    pytest.mark.redis,
    pytest.mark.skipif(not settings.REDIS_URL, reason="needs Redis: set REDIS_URL"),
]


def _node(name: str) -> ClusterRedisHuey:
    huey = ClusterRedisHuey(name, url=settings.REDIS_URL)

    @huey.periodic_task(crontab(minute="*"), name="sweep")
    def sweep() -> None:
        pass

    return huey


def test_each_periodic_task_is_enqueued_once_per_minute_across_nodes():
    name = f"test-cluster-{uuid.uuid4().hex[:8]}"
    node_a, node_b = _node(name), _node(name)
    try:
        minute = datetime(2026, 12, 2, 8, 0, 5)
        enqueued = []
        for ts in (minute, minute + timedelta(seconds=30), minute + timedelta(minutes=1)):
            # Both schedulers wake up in the same minute (in either order).
            enqueued.append(len(node_a.read_periodic(ts)) + len(node_b.read_periodic(ts + timedelta(seconds=1))))
        assert enqueued == [1, 0, 1]
    finally:
        conn = node_a.storage.conn
        for key in conn.scan_iter(f"{name}:periodic:*"):
            conn.delete(key)
