"""Under concurrent load over real HTTP, production mode keeps PostgreSQL sessions bounded.

A real uvicorn with 2 worker processes on production settings (DEBUG off, a real secret,
PostgreSQL through Django's psycopg pool) serves a few hundred concurrent requests:
availability, the meeting list, bookings (some racing for the same room and hour) and
requests whose client hangs up before the answer. Every answer must be 2xx or 409 (never
5xx), the sessions the servers hold on the test database must never exceed workers × pool
max, no dropped request may keep a connection, and the sessions drop back afterwards.

Before issue 15 this failed both ways: with the pool switched off (DATABASE_POOL=0, the old
persistent connection per request thread under ASGI) 50+ sessions were open within the first
burst; with the pool but Django's stock ASGI handler, each dropped request lost its pooled
connection and later requests timed out waiting for one.
"""

from __future__ import annotations

import time
import uuid

import pytest
from django.conf import settings
from django.db import connection

from meetings.models import Booking
from tests.config import loadtools as lt

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_concurrent_load_keeps_sessions_bounded_and_never_fails(tmp_path):
    if not settings.IS_POSTGRES:
        pytest.skip("PostgreSQL only: the pool and pg_stat_activity")
    token, rooms, unit_code = lt.seed()
    app_name = f"quorum-load-{uuid.uuid4().hex[:8]}"
    server = lt.Uvicorn(lt.server_env(tmp_path, app_name))
    watch = lt.SessionWatch(lt.admin_dsn(), connection.settings_dict["NAME"], app_name)
    try:
        server.wait_ready()
        with watch:
            statuses, errors = lt.run_load(server.port, token, lt.workload(rooms, unit_code), watch)
            # After the dropped requests: the pools still lend connections (none was lost).
            more, more_errors = lt.run_load(server.port, token, [("list", "/api/v1/meetings/?limit=5", None, "")] * 12, watch, threads=2)
        assert not watch.over.is_set(), f"{watch.peak} sessions on the test database, more than {lt.BOUND} (workers × pool max)"
        assert errors + more_errors == []
        assert all(200 <= s < 300 or s == 409 for codes in statuses.values() for s in codes), statuses
        assert sorted(set(statuses["contested"])) == [201, 409] and statuses["contested"].count(201) == 1
        assert set(statuses["book"]) == {201} and set(statuses["availability"]) == {200}
        assert len(statuses["book"]) == 120 and len(statuses["availability"]) == 120 and more["list"] == [200] * 12
        # Drop back: no request holds a connection, and idle ones beyond the minimum close.
        deadline = time.monotonic() + 30
        while (watch.count() > lt.WORKERS or watch.count(("active", "idle in transaction"))) and time.monotonic() < deadline:
            time.sleep(0.1)  # polling interval: the pools close idle connections every second
        assert watch.count() <= lt.WORKERS
        assert 0 < watch.peak <= lt.BOUND
    finally:
        log = server.stop()
        watch.conn.close()
        lt.cleanup_redis(app_name)
    assert "CurrentThreadExecutor" not in log and "Traceback" not in log, log[-3000:]
    assert lt.double_bookings() == 0
    assert Booking.objects.count() == 121
