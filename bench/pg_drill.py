"""PostgreSQL restarted under requests: clean 503s (Vietnamese page / JSON) during the outage,
success afterwards, and no booking left partial.

    .venv/bin/python bench/pg_drill.py [--port 8146] [--down 6]

Uses a PRIVATE PostgreSQL cluster (initdb into /tmp, run as the postgres user, on --port),
never the shared server. One uvicorn app server on it; a client keeps booking rooms and
opening pages while the cluster is stopped (fast shutdown: open transactions are cut) and
started again.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import shutil
import subprocess
import sys
import threading
import time
import types
import uuid
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATA = Path("/tmp/quorum-pg-drill")


def pg_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else (shutil.which(name) or name)


def as_postgres(*cmd: str) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else list(cmd)


def cluster(action: str, port: int) -> None:
    if action == "init":
        shutil.rmtree(DATA, ignore_errors=True)
        DATA.mkdir(parents=True)
        if os.geteuid() == 0:
            shutil.chown(DATA, "postgres", "postgres")
        subprocess.run(as_postgres(pg_bin("initdb"), "-D", str(DATA / "data"), "-U", "postgres", "--auth=trust",
                                   "-E", "UTF8", "--locale=C.UTF-8"), check=True, capture_output=True)
        return
    if action == "start":
        subprocess.run(as_postgres(pg_bin("pg_ctl"), "-D", str(DATA / "data"), "-l", str(DATA / "pg.log"), "-w",
                                   "-o", f"-p {port} -k {DATA} -c listen_addresses=127.0.0.1 -c max_connections=50",
                                   "start"), check=True, capture_output=True)
    elif action == "stop":
        subprocess.run(as_postgres(pg_bin("pg_ctl"), "-D", str(DATA / "data"), "-m", "fast", "-w", "stop"),
                       check=True, capture_output=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8146)
    parser.add_argument("--down", type=float, default=6.0)
    args = parser.parse_args()
    import httpx
    import psycopg

    cluster("init", args.port)
    cluster("start", args.port)
    url = f"postgres://postgres@127.0.0.1:{args.port}/quorum"
    with psycopg.connect(f"postgresql://postgres@127.0.0.1:{args.port}/postgres", autocommit=True) as conn:
        conn.execute("CREATE DATABASE quorum")
    secret = "pg-" + uuid.uuid4().hex * 2
    os.environ.update({"DATABASE_URL": url, "SECRET_KEY": secret, "QUORUM_EMBEDDED": "false", "HUEY_IMMEDIATE": "false",
                       "DJANGO_SETTINGS_MODULE": "config.settings", "LOG_LEVEL": "ERROR",
                       "HUEY_SQLITE_PATH": str(DATA / "huey.sqlite3"), "EMAIL_FILE_PATH": str(DATA / "mail")})
    os.environ.pop("REDIS_URL", None)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("createcachetable")
    from bench.load import seed
    from minutes.testing import Server

    world = seed(types.SimpleNamespace(sockets=2, meetings=0))
    from django.db import connections

    connections.close_all()
    server = Server({k: os.environ[k] for k in ("DATABASE_URL", "SECRET_KEY", "QUORUM_EMBEDDED", "HUEY_IMMEDIATE",
                                                 "HUEY_SQLITE_PATH", "EMAIL_FILE_PATH", "LOG_LEVEL")}).wait_ready()
    phase = {"name": "before"}
    seen: dict[str, Counter[str]] = {p: Counter() for p in ("before", "outage", "after")}
    samples: dict[str, str] = {}
    created: list[str] = []
    stop = threading.Event()

    def client() -> None:
        n = 0
        headers = {"Authorization": f"Bearer {world['tokens'][0]}"}
        # As nginx in front would say: the production settings redirect plain HTTP (301).
        with httpx.Client(base_url=server.url, timeout=30, headers={"X-Forwarded-Proto": "https"}) as http:
            while not stop.is_set():
                d, h = world["slots"][n % len(world["slots"])]
                try:
                    if n % 2 == 0:
                        r = http.post("/api/v1/meetings/", headers=headers, json={
                            "title": f"Họp {n}", "organizing_unit": world["units"][0],
                            "start": f"{d}T{h:02d}:00:00+07:00", "end": f"{d}T{h:02d}:50:00+07:00",
                            "rooms": [world["rooms"][world["units"][0]][n // len(world["slots"]) % 5]]})
                        kind = "booking"
                        if r.status_code == 201:
                            created.append(r.json()["uid"])
                    else:
                        r = http.get("/", cookies={"sessionid": world["cookies"][0]}, headers={"Accept": "text/html"})
                        kind = "page"
                    key = f"{kind} {r.status_code}"
                    seen[phase["name"]][key] += 1
                    if r.status_code == 503:
                        samples.setdefault(kind, r.text[:400])
                except httpx.HTTPError as exc:
                    seen[phase["name"]][f"transport {type(exc).__name__}"] += 1
                n += 1

    worker = threading.Thread(target=client)
    worker.start()
    try:
        time.sleep(3)  # requests before the outage
        phase["name"] = "outage"
        cluster("stop", args.port)
        time.sleep(args.down)
        cluster("start", args.port)
        phase["name"] = "after"
        recovered_at = time.monotonic()
        while time.monotonic() - recovered_at < 5 and not any(k.endswith(("200", "201")) for k in seen["after"]):
            time.sleep(0.1)  # polling for the first success
        first_success = round(time.monotonic() - recovered_at, 2)
        time.sleep(3)
    finally:
        stop.set()
        worker.join(60)
        server.stop()
    with psycopg.connect(f"postgresql://postgres@127.0.0.1:{args.port}/quorum") as conn:
        partial = conn.execute(
            "SELECT count(*) FROM meetings_meeting m WHERE m.title LIKE 'Họp %%' AND NOT EXISTS ("
            " SELECT 1 FROM meetings_occurrence o JOIN meetings_booking b ON b.occurrence_id = o.id"
            " WHERE o.meeting_id = m.id AND b.status = 'confirmed')").fetchone()[0]
        saved = conn.execute("SELECT count(*) FROM meetings_meeting WHERE title LIKE 'Họp %%'").fetchone()[0]
        double = conn.execute(
            "SELECT count(*) FROM meetings_booking a JOIN meetings_booking b ON a.room_id = b.room_id AND a.id < b.id"
            " AND a.status = 'confirmed' AND b.status = 'confirmed'"
            " AND tstzrange(a.blocked_start, a.blocked_end) && tstzrange(b.blocked_start, b.blocked_end)").fetchone()[0]
    cluster("stop", args.port)
    result = {
        "requests": {p: dict(c) for p, c in seen.items()},
        "outage_5xx_other_than_503": sum(v for k, v in seen["outage"].items() if k.split()[-1].startswith("5") and not k.endswith("503")),
        "after_5xx": sum(v for k, v in seen["after"].items() if k.split()[-1].startswith("5")),
        "seconds_to_first_success_after_restart": first_success,
        "bookings_answered_201": len(created), "meetings_saved": saved, "meetings_without_their_booking": partial,
        "double_bookings": double, "sample_503": samples,
    }
    print(json.dumps(result, indent=2, ensure_ascii=False))
    shutil.rmtree(DATA, ignore_errors=True)


if __name__ == "__main__":
    main()
