"""Shared by the load tests: a real uvicorn with 2 workers on production settings, a
pg_stat_activity watcher, a keep-alive HTTP client, and the workload."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from django.db import connection

from accounts.models import ApiToken
from meetings.models import Membership, Unit
from tests.factories import at, make_room, make_unit, make_user, working_day

ROOT = Path(__file__).resolve().parents[2]
WORKERS = 2
POOL_MAX = 3
BOUND = WORKERS * POOL_MAX


def server_env(tmp_path: Path, app_name: str, *, host: str | None = None, port: int | None = None) -> dict[str, str]:
    """Production settings on the test database (directly, or through PgBouncer at host:port)."""
    db = connection.settings_dict
    host = host or db["HOST"] or "127.0.0.1"
    port = port or db["PORT"] or 5432
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "QUORUM_TESTING", "QUORUM_EMBEDDED"}}
    env.update({
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": f"postgres://{auth}@{host}:{port}/{db['NAME']}",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DEBUG": "false",
        "DATABASE_POOL_MIN": "1",
        "DATABASE_POOL_MAX": str(POOL_MAX),
        "DATABASE_POOL_MAX_IDLE": "1",  # idle connections beyond the minimum close after ~1 s
        "PGAPPNAME": app_name,  # libpq: lets pg_stat_activity tell the servers' sessions apart
        "HUEY_NAME": app_name,
        "HUEY_SQLITE_PATH": str(tmp_path / "huey.sqlite3"),
        "CACHE_PREFIX": app_name,
        "LOG_LEVEL": "ERROR",
        # Plain HTTP on loopback: in production the TLS redirect happens behind the proxy.
        "SECURE_SSL_REDIRECT": "false",
    })
    return env


class Uvicorn:
    """`uvicorn --workers 2` on a loopback port bound here (no race for a free port)."""

    def __init__(self, env: dict[str, str]) -> None:
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        fd = self.sock.fileno()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "config.asgi:application", "--fd", str(fd),
             "--workers", str(WORKERS), "--lifespan", "off", "--log-level", "warning", "--no-access-log"],
            cwd=ROOT, env=env, pass_fds=(fd,), stderr=subprocess.PIPE, text=True,
        )

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"uvicorn exited with {self.proc.returncode}: {self.proc.stderr.read()}")
            with contextlib.suppress(OSError), urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=5) as r:
                if r.status == 200:
                    return
            time.sleep(0.05)  # polling interval while the workers boot
        raise TimeoutError("uvicorn did not answer /healthz")

    def stop(self) -> str:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.sock.close()
        return self.proc.stderr.read() if self.proc.stderr else ""


class SessionWatch:
    """Samples the servers' sessions in pg_stat_activity (own connection) until stopped;
    sets `over` as soon as the bound is exceeded, so the load stops early rather than
    filling a shared server's max_connections."""

    def __init__(self, dsn: str, db_name: str, app_name: str, bound: int = BOUND) -> None:
        import psycopg

        self.conn = psycopg.connect(dsn, autocommit=True)
        self.db_name, self.app_name, self.bound = db_name, app_name, bound
        self.peak = 0
        self.over = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def count(self, states: tuple[str, ...] | None = None) -> int:
        sql = "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND application_name = %s"
        params: list[object] = [self.db_name, self.app_name]
        if states:
            sql += " AND state = ANY(%s)"
            params.append(list(states))
        return self.conn.execute(sql, params).fetchone()[0]

    def _run(self) -> None:
        while not self._stop.is_set():
            n = self.count()
            self.peak = max(self.peak, n)
            if n > self.bound:
                self.over.set()
            self._stop.wait(0.005)  # sampling interval

    def __enter__(self) -> SessionWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(10)


class Client:
    """One keep-alive HTTP connection per thread, with a Bearer token."""

    local = threading.local()

    def __init__(self, port: int, token: str) -> None:
        self.port, self.headers = port, {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def request(self, method: str, path: str, body: dict | None = None) -> tuple[int, bytes]:
        conn = getattr(self.local, "conn", None)
        if conn is None:
            conn = self.local.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=self.headers)
            response = conn.getresponse()
            return response.status, response.read()
        except (ConnectionError, http.client.HTTPException):
            conn.close()
            self.local.conn = None
            raise

    def drop(self, path: str, wait: float) -> None:
        """Send a request and hang up before (or while) it is answered."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as s:
            head = "".join(f"{k}: {v}\r\n" for k, v in self.headers.items())
            s.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{head}\r\n".encode())
            time.sleep(wait)  # hang up at a chosen point of the request's life, not a timing wait


def seed() -> tuple[str, list[int], str]:
    dept = make_unit("soyte", kind=Unit.Kind.DEPARTMENT)
    unit = make_unit("bvdk", parent=dept)
    secretary = make_user("thuky@bvdk.vn", unit, Membership.Role.SECRETARY)
    rooms = [make_room(unit, f"Phòng {i}", capacity=30).pk for i in range(8)]
    _token, raw = ApiToken.issue(secretary, "load test")
    return raw, rooms, unit.code


def workload(rooms: list[int], unit_code: str) -> list[tuple[str, str, dict | None, str]]:
    """(kind, method/path, body): distinct bookings, 20 bookings of one contested room and
    hour, availability questions, meeting lists and dropped requests, interleaved."""
    days = [working_day(15 + i) for i in range(6)]
    jobs: list[tuple[str, str, dict | None, str]] = []
    n = 0
    for day in days:
        for hour in (8, 10, 13, 15):
            for room in rooms[1:6]:
                n += 1
                jobs.append(("book", "/api/v1/meetings/", {
                    "title": f"Họp {n}", "organizing_unit": unit_code, "start": at(day, hour).isoformat(),
                    "end": at(day, hour + 1).isoformat(), "rooms": [{"room": room}]}, ""))
    contested = {"title": "Họp tranh phòng", "organizing_unit": unit_code, "start": at(days[0], 9).isoformat(),
                 "end": at(days[0], 10).isoformat(), "rooms": [{"room": rooms[0]}]}
    jobs += [("contested", "/api/v1/meetings/", contested, "")] * 20
    for i in range(120):
        day = days[i % len(days)]
        q = f"start={at(day, 8 + i % 8).isoformat()}&end={at(day, 9 + i % 8).isoformat()}&people={1 + i % 20}"
        jobs.append(("availability", "/api/v1/availability/?" + q.replace("+", "%2B"), None, ""))
    jobs += [("list", "/api/v1/meetings/?limit=20", None, "")] * 60
    path = f"/api/v1/availability/?start={at(days[1], 9).isoformat()}&duration=60".replace("+", "%2B")
    jobs += [("drop", path, None, str(0.0005 * (i % 10))) for i in range(40)]
    # A fixed interleaving: bursts of every kind at once.
    return [jobs[i] for i in sorted(range(len(jobs)), key=lambda i: (i * 7919) % len(jobs))]


def admin_dsn() -> str:
    """libpq DSN of the test database (direct), for the watcher and checks."""
    db = connection.settings_dict
    dsn = f"host={db['HOST'] or '127.0.0.1'} port={db['PORT'] or 5432} user={db['USER']} dbname={db['NAME']}"
    return dsn + (f" password={db['PASSWORD']}" if db.get("PASSWORD") else "")


def run_load(port: int, token: str, jobs: list, watch: SessionWatch, threads: int = 24) -> tuple[dict[str, list[int]], list[str]]:
    """Send `jobs` with `threads` concurrent clients; status codes per kind, and errors
    (5xx, broken connections). Stops early once the watcher saw the bound broken."""
    from concurrent.futures import ThreadPoolExecutor

    client = Client(port, token)
    statuses: dict[str, list[int]] = {}
    errors: list[str] = []

    def run(job: tuple[str, str, dict | None, str]) -> None:
        kind, path, body, extra = job
        if watch.over.is_set():
            return  # the bound is already broken: spare the shared server
        try:
            if kind == "drop":
                client.drop(path, float(extra))
                return
            status, content = client.request("POST" if body else "GET", path, body)
        except (OSError, http.client.HTTPException) as exc:
            errors.append(f"{kind}: {exc!r}")
            return
        statuses.setdefault(kind, []).append(status)
        if status >= 500:
            errors.append(f"{kind}: HTTP {status} {content[:200]!r}")

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(run, jobs))
    return statuses, errors


def cleanup_redis(app_name: str) -> None:
    """The servers' huey queue and cache keys on the shared Redis."""
    from django.conf import settings

    if settings.REDIS_URL:
        import redis

        r = redis.Redis.from_url(settings.REDIS_URL)
        for key in r.scan_iter(f"*{app_name}*"):
            r.delete(key)


def double_bookings() -> int:
    with connection.cursor() as cur:
        cur.execute("""
            SELECT count(*) FROM meetings_booking a JOIN meetings_booking b
              ON a.room_id = b.room_id AND a.id < b.id AND a.status = 'confirmed' AND b.status = 'confirmed'
             AND a.blocked_start < b.blocked_end AND b.blocked_start < a.blocked_end""")
        return cur.fetchone()[0]
