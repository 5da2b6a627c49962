"""Quorum behind PgBouncer in transaction mode (DATABASE_PGBOUNCER=1).

A server session serves many clients, one transaction at a time, so nothing may outlive a
transaction: no prepared statements, no server-side binding, no named cursors. `.ci/run`
starts PgBouncer (transaction mode) on 127.0.0.1:$PGBOUNCER_PORT in front of the test
server; skipped without it. The test database itself is created directly (PgBouncer
would keep server sessions on it and block its DROP); the servers under test go through
PgBouncer for everything.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import pytest
from django.conf import settings
from django.db import connection

from tests.config import loadtools as lt

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
PORT = int(os.getenv("PGBOUNCER_PORT", "0"))


@pytest.fixture
def bouncer():
    if not settings.IS_POSTGRES or not PORT:
        pytest.skip("needs PostgreSQL and PgBouncer on PGBOUNCER_PORT (started by .ci/run)")
    yield PORT
    # Close PgBouncer's server sessions on the test database so that it can be dropped.
    import psycopg

    db = connection.settings_dict
    with psycopg.connect(host="127.0.0.1", port=PORT, user=db["USER"], dbname="pgbouncer", autocommit=True) as admin:
        admin.execute(f"KILL {db['NAME']}", prepare=False)
        admin.execute(f"RESUME {db['NAME']}", prepare=False)  # KILL also pauses the database


def _env(tmp_path, app_name: str, port: int, pgbouncer: str = "1") -> dict[str, str]:
    env = lt.server_env(tmp_path, app_name, host="127.0.0.1", port=port)
    env["DATABASE_PGBOUNCER"] = pgbouncer
    return env


def test_settings_behind_pgbouncer_prepare_nothing_and_use_no_named_cursors(tmp_path, bouncer):
    lt.seed()
    code = (
        "import django; django.setup()\n"
        "from django.conf import settings; from django.db import connection\n"
        "from meetings.models import Room\n"
        "db = settings.DATABASES['default']\n"
        "assert db['DISABLE_SERVER_SIDE_CURSORS'] and db['OPTIONS']['prepare_threshold'] is None\n"
        "assert not db['OPTIONS']['server_side_binding']\n"
        "for _ in range(8):  # more than psycopg's default prepare threshold\n"
        "    names = [r.name for r in Room.objects.filter(capacity__gte=1).iterator(chunk_size=3)]\n"
        "print(len(names))\n"
    )
    env = _env(tmp_path, f"quorum-pgb-{uuid.uuid4().hex[:8]}", bouncer)
    result = subprocess.run([sys.executable, "-c", code], cwd=lt.ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["8"]


def test_concurrent_load_through_pgbouncer_never_fails(tmp_path, bouncer):
    token, rooms, unit_code = lt.seed()
    app_name = f"quorum-pgb-{uuid.uuid4().hex[:8]}"
    server = lt.Uvicorn(_env(tmp_path, app_name, bouncer))
    watch = lt.SessionWatch(lt.admin_dsn(), connection.settings_dict["NAME"], app_name, bound=10_000)
    try:
        server.wait_ready()
        with watch:
            statuses, errors = lt.run_load(server.port, token, lt.workload(rooms, unit_code), watch)
    finally:
        log = server.stop()
        watch.conn.close()
        lt.cleanup_redis(app_name)
    assert errors == [], errors[:5]
    assert set(statuses["book"]) == {201} and len(statuses["book"]) == 120
    assert set(statuses["availability"]) == {200} and set(statuses["list"]) == {200}
    assert statuses["contested"].count(201) == 1 and statuses["contested"].count(409) == 19
    assert "Traceback" not in log, log[-3000:]
    assert lt.double_bookings() == 0
