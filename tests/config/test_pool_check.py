"""The pool checks a connection before lending it only if it sat idle (config/pool.py):
no round trip per request under load, and a connection the database dropped while it
idled is still replaced before anyone uses it."""

from __future__ import annotations

import subprocess
import sys

import pytest
from django.conf import settings
from django.db import connection
from psycopg_pool import ConnectionPool

from config import pool as quorum_pool
from tests.config import loadtools as lt

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def pg_pool(monkeypatch):
    if not settings.IS_POSTGRES:
        pytest.skip("PostgreSQL only: psycopg's pool")
    checks = []
    original = ConnectionPool.check_connection

    def counted(conn):
        checks.append(conn.info.backend_pid)
        original(conn)

    monkeypatch.setattr(ConnectionPool, "check_connection", staticmethod(counted))
    p = ConnectionPool(lt.admin_dsn(), min_size=1, max_size=1, open=True, check=quorum_pool.check,
                       kwargs={"autocommit": True})
    try:
        yield p, checks
    finally:
        p.close()


def _age(conn, seconds: float) -> None:
    conn._quorum_lent_at -= seconds


def test_the_servers_pool_takes_connections_back_without_its_worker_threads(tmp_path):
    """A `reset` callback makes psycopg_pool hand every returned connection to a worker
    thread: a thread wake-up per request (config/pool.py). Read from the settings the
    servers run with (the test process itself runs without the pool)."""
    if not settings.IS_POSTGRES:
        pytest.skip("PostgreSQL only: psycopg's pool")
    script = ("from django.conf import settings; o = settings.DATABASES['default']['OPTIONS']['pool']; "
              "print(o['check'].__module__, o['check'].__name__, sorted(o))")
    out = subprocess.run([sys.executable, "-c", f"import django; django.setup(); {script}"], cwd=lt.ROOT,
                         env=lt.server_env(tmp_path, "quorum-pool-settings"), capture_output=True, text=True, check=True)
    module, name, keys = out.stdout.strip().split(" ", 2)
    assert (module, name) == ("config.pool", "check") and "'reset'" not in keys and "'max_size'" in keys


def test_a_connection_lent_just_now_is_lent_again_without_a_round_trip(pg_pool):
    p, checks = pg_pool
    with p.connection() as conn:  # new: checked once
        first = conn.info.backend_pid
    assert checks == [first]
    for _ in range(5):
        with p.connection() as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
    assert checks == [first]


def test_a_connection_dropped_while_idle_is_checked_and_replaced_before_use(pg_pool):
    p, checks = pg_pool
    with p.connection() as conn:
        dead = conn.info.backend_pid
    with connection.cursor() as cursor:  # the server ends that session (a restart, a kill)
        cursor.execute("SELECT pg_terminate_backend(%s)", [dead])
    _age(conn, quorum_pool.IDLE_BEFORE_CHECK)
    with p.connection() as conn:
        assert conn.info.backend_pid != dead
        assert conn.execute("SELECT 1").fetchone() == (1,)
    assert checks.count(dead) == 2  # checked when new, then found dead after its idle second
