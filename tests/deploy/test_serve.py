"""`make serve` for real: nginx in front of two uvicorn workers and two huey consumers, on
the test's PostgreSQL database and Redis. One bounded start, several checks, one stop."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from email.message import Message
from pathlib import Path

import pytest
import websockets
from django.conf import settings

from tests.asyncrun import run_in_own_loop

ROOT = Path(__file__).resolve().parents[2]
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not settings.IS_POSTGRES or not settings.REDIS_URL, reason="needs PostgreSQL and Redis"),
    pytest.mark.skipif(NGINX is None, reason="nginx is not installed (.ci/run installs it)"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def database_url() -> str:
    db = settings.DATABASES["default"]
    return f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


METRICS_TOKEN = "serve-test-metrics-" + "y" * 24


def get(url: str, data: bytes | None = None, headers: dict[str, str] | None = None) -> tuple[int, Message, bytes]:
    request = urllib.request.Request(url, data=data, method="POST" if data is not None else "GET",
                                     headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()


@pytest.fixture
def served(tmp_path):
    serve_port, app_port = free_port(), free_port()
    env = {
        **os.environ, "DATABASE_URL": database_url(), "REDIS_URL": settings.REDIS_URL,
        "SERVE_PORT": str(serve_port), "APP_PORT": str(app_port), "WEB_WORKERS": "2", "HUEY_WORKERS": "1",
        "SERVE_RUN_DIR": str(tmp_path / "run"), "STATIC_ROOT": str(tmp_path / "static"),
        "HUEY_NAME": f"serve-test-{app_port}", "SECRET_KEY": "serve-test-" + "x" * 40,
        "METRICS_TOKEN": METRICS_TOKEN,
    }
    env.pop("QUORUM_TESTING", None)
    proc = subprocess.Popen([str(ROOT / "deploy/serve.sh")], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    lines = []
    deadline = time.monotonic() + 180
    assert proc.stdout is not None
    for line in proc.stdout:
        lines.append(line)
        if "serve: ready on" in line or time.monotonic() > deadline:
            break
    assert any("serve: ready on" in x for x in lines), "".join(lines)
    try:
        yield {"url": f"http://127.0.0.1:{serve_port}", "ws": f"ws://127.0.0.1:{serve_port}",
               "run": tmp_path / "run", "proc": proc}
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(60)


def test_make_serve_topology(served):
    url, run = served["url"], served["run"]
    status, headers, body = get(url + "/healthz")
    assert status == 200 and headers["Server"] == "nginx"
    assert re.fullmatch(r"[0-9a-f]{32}", headers["X-Request-ID"])  # nginx's $request_id, kept by Django

    status, _h, body = get(url + "/readyz")
    checks = json.loads(body)["checks"]
    assert status == 200, checks
    assert checks["redis"] == {"ok": True} and checks["database"] == {"ok": True}

    status, headers, body = get(url + "/static/minutes/minutes.js")
    assert status == 200 and "javascript" in headers["Content-Type"] and len(body) > 1000

    status, _h, _b = get(url + "/healthz", data=b"x" * (21 * 1024 * 1024))
    assert status == 413  # nginx's body-size limit, before any app server sees it

    async def websocket_through_nginx() -> int:
        async with websockets.connect(served["ws"] + "/ws/minutes/1/", origin=url) as ws:
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await asyncio.wait_for(ws.recv(), 10)
            return closed.value.rcvd.code

    assert run_in_own_loop(websocket_through_nginx()) == 4401  # upgraded, then refused: not logged in

    # Prometheus through nginx: Django asks for the bearer token (METRICS_TOKEN), even on loopback.
    status, headers, body = get(url + "/metrics")
    assert status == 403 and b"quorum_" not in body and headers["Cache-Control"] == "no-store"
    status, _h, body = get(url + "/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    text = body.decode()
    assert status == 200 and "quorum_http_responses_total" in text and "quorum_outbox_backlog" in text

    status, headers, _b = get(url + "/api/v1/meetings/")  # 401/403: still never cached
    assert status in (401, 403) and headers["Cache-Control"] == "no-store" and headers["Pragma"] == "no-cache"

    # Secret link tokens never reach nginx's access log (nor Django's).
    secrets_in_paths = ["/j/JOINSECRET123", "/feeds/FEEDSECRET456.ics", "/invitations/answer/ANSWERSECRET789/?r=yes"]
    for path in secrets_in_paths:
        get(url + path)
    get(url + "/healthz?after-secrets")
    access = run / "nginx-access.log"
    os.kill(int((run / "nginx.pid").read_text()), signal.SIGUSR1)  # reopen: flushes the log buffer
    deadline = time.monotonic() + 30
    while "after-secrets" not in (text := access.read_text()) and time.monotonic() < deadline:
        time.sleep(0.05)  # polling for the flushed file, not timing anything
    assert '"GET /j/*** HTTP/1.1"' in text and '"GET /feeds/*** HTTP/1.1"' in text
    assert '"GET /invitations/answer/***/?r=yes HTTP/1.1"' in text
    assert not any(secret in text for secret in ("JOINSECRET123", "FEEDSECRET456", "ANSWERSECRET789"))

    huey_logs = [(run / f"huey-{i}.log").read_text() for i in (1, 2)]
    assert [("Periodic tasks are enabled" in log) for log in huey_logs] == [True, False]
    assert all("Periodic tasks are disabled" in log for log in huey_logs[1:])
    assert (run / "uvicorn.log").read_text().count("Started server process") == 2
    line = next(x for x in huey_logs[0].splitlines() if x.startswith("{"))
    assert json.loads(line)["logger"].startswith("huey")  # structured logs in production mode
