"""Load test of the production topology (`make serve`: nginx, uvicorn workers, huey, PostgreSQL,
Redis), on loopback only, bounded in time and concurrency.

    REDIS_URL=redis://127.0.0.1:6379/4 .venv/bin/python bench/load.py \
        [--steps 8,16] [--seconds 60] [--sockets 300] [--web-workers 2]

It creates a fresh database (quorum_load_<pid> on the PostgreSQL of DATABASE_URL, default
127.0.0.1:5432), seeds a department, starts deploy/serve.sh on ports 8140/8141 with an SMTP
sink of its own (aiosmtpd, so the invitations of new bookings really go out), opens
--sockets WebSocket clients on one live minutes page (one editor types every second), and
then runs each concurrency step of closed-loop HTTP clients for --seconds:

  availability  GET /api/v1/availability/          (token)
  booking       POST /api/v1/meetings/             (token; 30 % aim at a small hot set of
                                                    room+slot pairs: deliberate collisions → 409)
  home          GET /                               (session: the "My meetings" list)
  meeting       GET /meetings/<uid>/                (session of an invitee: the meeting page)
  calendar      GET /api/v1/calendar/               (token, a 4-week window)
  meetings      GET /api/v1/meetings/               (token)
  answer        GET /invitations/answer/<token>/    (anonymous answer link)

Printed per step and kind: requests, throughput, p50/p95/p99, 5xx, other errors; then double
bookings (SQL self-join on confirmed bookings), minutes text lost, and the load average. The
machine may be shared: read the figures next to the load average.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
import types
import uuid
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
KINDS = {"availability": 20, "booking": 10, "home": 15, "meeting": 15, "calendar": 15, "meetings": 10, "answer": 15}
TARGET_MS = {"booking": 300}  # pages and reads: 150
DOUBLE_BOOKINGS_SQL = """
SELECT count(*) FROM meetings_booking a JOIN meetings_booking b
  ON a.room_id = b.room_id AND a.id < b.id AND a.status = 'confirmed' AND b.status = 'confirmed'
 AND tstzrange(a.blocked_start, a.blocked_end) && tstzrange(b.blocked_start, b.blocked_end)
"""


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


# --- database and world -----------------------------------------------------------------------

def setup(args: argparse.Namespace) -> str:
    import psycopg

    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/quorum")
    name = f"quorum_load_{os.getpid()}"
    admin = base.rsplit("/", 1)[0].replace("postgres://", "postgresql://", 1) + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = base.rsplit("/", 1)[0] + "/" + name
    os.environ.update({
        "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings", "QUORUM_EMBEDDED": "false", "SECURE_SSL_REDIRECT": "false",
        "SECRET_KEY": args.secret, "HUEY_IMMEDIATE": "false", "HUEY_NAME": f"quorum-load-seed-{os.getpid()}",
        "LOG_LEVEL": "ERROR", "EMAIL_FILE_PATH": tempfile.mkdtemp(prefix="quorum-load-mail-"),
    })
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return url


def drop_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0].replace("postgres://", "postgresql://", 1) + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def seed(args: argparse.Namespace) -> dict:
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.utils import timezone

    from accounts.models import ApiToken, User
    from integrations.calendar.answers import make_token
    from meetings.actions import AttendeeInput, MeetingInput, RoomChoice, create_meeting
    from meetings.models import Attendee, Membership, OutboxMessage, Room, Unit
    from minutes.actions import ensure_minutes
    from tests.factories import at, working_day

    rng = random.Random(7)
    dept = Unit.objects.create(code="soyte", name="Sở Y tế", short_name="Sở Y tế", kind="department")
    units = [Unit.objects.create(code=f"bv{i}", name=f"Bệnh viện {i}", short_name=f"BV{i}", kind="hospital", parent=dept)
             for i in range(10)]
    rooms = {u.pk: [Room.objects.create(unit=u, name=f"Phòng {j}", capacity=30) for j in range(5)] for u in units}
    hall = Room.objects.create(unit=units[0], name="Hội trường", capacity=500)
    secretaries = []
    for u in units:
        s = User.objects.create_user(email=f"thuky@{u.code}.vn", password=None, full_name=f"Thư ký {u.code}")
        Membership.objects.create(user=s, unit=u, role=Membership.Role.SECRETARY)
        secretaries.append(s)
    people = User.objects.bulk_create(
        User(email=f"nv{i}@bv.vn", full_name=f"Nhân viên {i}", password="!") for i in range(args.sockets + 20))
    Membership.objects.bulk_create(Membership(user=p, unit=units[i % 10], role=Membership.Role.MEMBER)
                                   for i, p in enumerate(people))
    # Existing meetings over the next four weeks, a few attendees each (pages have content).
    first = working_day(4)
    for i in range(args.meetings):
        u = i % 10
        day = first + timedelta(days=(i // 10) % 20)
        hour = 7 + (i // 200) % 10
        create_meeting(secretaries[u], MeetingInput(
            title=f"Giao ban {i}", organizing_unit=units[u], start=at(day, hour), end=at(day, hour, 50),
            rooms=[RoomChoice(rooms[units[u].pk][(i // 10) % 5])],
            attendees=[AttendeeInput(email=p.email, user=p) for p in rng.sample(people, 4)]))
    live = create_meeting(secretaries[0], MeetingInput(
        title="Họp trực tiếp", organizing_unit=units[0], start=at(first, 13), end=at(first, 16),
        rooms=[RoomChoice(hall)], attendees=[AttendeeInput(email=p.email, user=p) for p in people]))
    minutes = ensure_minutes(live.occurrences.get())
    # The seed's side effects are not part of the measurement.
    OutboxMessage.objects.update(status="done", done_at=timezone.now())

    def cookie(user: User) -> str:
        s = SessionStore()
        s[SESSION_KEY], s[BACKEND_SESSION_KEY] = str(user.pk), settings.AUTHENTICATION_BACKENDS[0]
        s[HASH_SESSION_KEY] = user.get_session_auth_hash()
        s.create()
        return s.session_key

    answer_tokens = [make_token(a) for a in Attendee.objects.select_related("meeting").exclude(meeting=live)[:300]]
    cookies = [cookie(p) for p in people[: args.sockets + 10]]
    by_user = {p.pk: c for p, c in zip(people, cookies, strict=False)}
    pages = [(str(uid), by_user[user_id]) for uid, user_id in Attendee.objects.exclude(meeting=live)
             .filter(user_id__in=list(by_user)).values_list("meeting__uid", "user_id")[:300]]
    # Booking targets two weeks ahead and later (QĐ 45 notice), 9 slots a day, 20 working days.
    days = [working_day(12) + timedelta(days=d) for d in range(28)]
    days = [d for d in days if d.weekday() < 5][:20]
    slots = [(d, h) for d in days for h in range(7, 16)]
    return {
        "units": [u.code for u in units],
        "rooms": {u.code: [r.pk for r in rooms[u.pk]] for u in units},
        "tokens": [ApiToken.issue(s, "load")[1] for s in secretaries],
        "emails": [p.email for p in people],
        "cookies": cookies,
        "pages": pages,
        "editor": cookie(secretaries[0]),
        "occ": minutes.occurrence_id,
        "section": minutes.sections.first().pk,
        "answers": answer_tokens,
        "slots": [(d.isoformat(), h) for d, h in slots],
        "from": datetime.combine(first, datetime.min.time()).isoformat() + "+07:00",
    }


# --- SMTP sink and serve -----------------------------------------------------------------------

class Sink:
    def __init__(self) -> None:
        self.count = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope) -> str:
        with self.lock:
            self.count += 1
        return "250 OK"


def start_serve(args: argparse.Namespace, url: str, smtp_port: int) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": url, "SERVE_PORT": str(args.port), "APP_PORT": str(args.port + 1),
           "WEB_WORKERS": str(args.web_workers), "HUEY_NAME": f"quorum-load-{os.getpid()}",
           "CHANNELS_PREFIX": f"qload{os.getpid()}", "EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(smtp_port),
           "LOG_LEVEL": "WARNING", "SERVE_RUN_DIR": str(ROOT / "var" / "load-serve")}
    for key in ("HUEY_IMMEDIATE", "EMAIL_FILE_PATH", "QUORUM_TESTING", "DJANGO_SETTINGS_MODULE"):
        env.pop(key, None)
    proc = subprocess.Popen([str(ROOT / "deploy/serve.sh")], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    assert proc.stdout is not None
    for line in proc.stdout:
        print("  " + line.rstrip(), file=sys.stderr)
        if "serve: ready" in line:
            return proc
    raise SystemExit("deploy/serve.sh did not start: see var/load-serve/*.log")


# --- load ----------------------------------------------------------------------------------------

class Stats:
    def __init__(self) -> None:
        self.ms: dict[str, list[float]] = {k: [] for k in KINDS}
        self.status: dict[str, dict[int, int]] = {k: {} for k in KINDS}
        self.errors: dict[str, int] = dict.fromkeys(KINDS, 0)

    def add(self, kind: str, ms: float, status: int) -> None:
        self.ms[kind].append(ms)
        self.status[kind][status] = self.status[kind].get(status, 0) + 1


async def http_worker(client, world: dict, stats: Stats, stop: float, seed: int) -> None:
    rng = random.Random(seed)
    kinds, weights = list(KINDS), list(KINDS.values())
    hot = [(u, r, s) for u in world["units"][:3] for r in world["rooms"][u][:2] for s in world["slots"][:4]]
    while time.monotonic() < stop:
        kind = rng.choices(kinds, weights)[0]
        i = rng.randrange(len(world["tokens"]))
        auth = {"Authorization": f"Bearer {world['tokens'][i]}"}
        try:
            t = time.perf_counter()
            if kind == "availability":
                d, h = rng.choice(world["slots"])
                r = await client.get("/api/v1/availability/", headers=auth, params={
                    "start": f"{d}T{h:02d}:00:00+07:00", "duration": 60, "people": rng.choice([5, 10, 20])})
            elif kind == "booking":
                unit = world["units"][i]
                if rng.random() < 0.3:
                    unit, room, (d, h) = rng.choice(hot)
                    auth = {"Authorization": f"Bearer {world['tokens'][world['units'].index(unit)]}"}
                else:
                    room, (d, h) = rng.choice(world["rooms"][unit]), rng.choice(world["slots"])
                body = {"title": "Họp tải", "organizing_unit": unit, "start": f"{d}T{h:02d}:00:00+07:00",
                        "end": f"{d}T{h:02d}:50:00+07:00", "rooms": [room],
                        "attendees": [{"email": e} for e in rng.sample(world["emails"], 2)]}
                r = await client.post("/api/v1/meetings/", headers=auth, json=body)
            elif kind == "home":
                r = await client.get("/", cookies={"sessionid": rng.choice(world["cookies"])})
            elif kind == "meeting":
                uid, session = rng.choice(world["pages"])
                r = await client.get(f"/meetings/{uid}/", cookies={"sessionid": session})
            elif kind == "calendar":
                start = datetime.fromisoformat(world["from"])
                r = await client.get("/api/v1/calendar/", headers=auth, params={
                    "from": start.isoformat(), "to": (start + timedelta(days=28)).isoformat()})
            elif kind == "meetings":
                r = await client.get("/api/v1/meetings/", headers=auth)
            else:
                r = await client.get(f"/invitations/answer/{rng.choice(world['answers'])}/")
            stats.add(kind, (time.perf_counter() - t) * 1000, r.status_code)
        except Exception:
            stats.errors[kind] += 1


async def run_step(args: argparse.Namespace, world: dict, concurrency: int) -> dict:
    import httpx

    stats = Stats()
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{args.port}", limits=limits, timeout=30) as client:
        load0 = loadavg()
        began = time.monotonic()
        stop = began + args.seconds
        await asyncio.gather(*(http_worker(client, world, stats, stop, 100 * concurrency + n) for n in range(concurrency)))
        elapsed = time.monotonic() - began
    rows = {}
    for kind in KINDS:
        ms, status = stats.ms[kind], stats.status[kind]
        rows[kind] = {
            "requests": len(ms), "rps": round(len(ms) / elapsed, 1),
            "p50": round(pct(ms, 50), 1), "p95": round(pct(ms, 95), 1), "p99": round(pct(ms, 99), 1),
            "5xx": sum(v for k, v in status.items() if k >= 500), "errors": stats.errors[kind],
            "status": dict(sorted(status.items())),
        }
    total = sum(r["requests"] for r in rows.values())
    return {"concurrency": concurrency, "seconds": round(elapsed, 1), "requests": total,
            "rps": round(total / elapsed, 1), "load_before": load0, "load_after": loadavg(), "kinds": rows}


async def sockets_open(args: argparse.Namespace, world: dict) -> tuple[list, dict]:
    from minutes.testing import LiveClient

    server = types.SimpleNamespace(url=f"http://127.0.0.1:{args.port}", ws_url=f"ws://127.0.0.1:{args.port}")
    sem = asyncio.Semaphore(25)
    connect_ms: list[float] = []

    async def join(cookie: str):
        async with sem:
            t = time.perf_counter()
            c = await LiveClient(server, world["occ"], cookie, lazy=True).connect()
            connect_ms.append((time.perf_counter() - t) * 1000)
            return c

    clients = list(await asyncio.gather(*(join(c) for c in world["cookies"][: args.sockets])))
    editor = await LiveClient(server, world["occ"], world["editor"]).connect()
    return [editor, *clients], {"p50": round(pct(connect_ms, 50), 1), "p95": round(pct(connect_ms, 95), 1)}


async def typing(editor, section: int, stop: asyncio.Event, typed: list[str]) -> None:
    n = 0
    while not stop.is_set():
        piece = f"<{n}>"
        await editor.type(section, len(editor.text(section)), piece)
        typed.append(piece)
        n += 1
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 1.0)


async def main_async(args: argparse.Namespace, world: dict) -> dict:
    sockets, connect = await sockets_open(args, world)
    editor, section = sockets[0], world["section"]
    stop, typed = asyncio.Event(), []
    typer = asyncio.create_task(typing(editor, section, stop, typed))
    steps = []
    try:
        for concurrency in args.steps:
            steps.append(await run_step(args, world, concurrency))
            print(json.dumps(steps[-1]), file=sys.stderr)
    finally:
        stop.set()
        await typer
    await editor.wait_for(lambda: len(editor.acked) >= len(typed), timeout=60, what="editor acks")
    final = editor.text(section)
    lost_text = sum(1 for piece in typed if piece not in final)
    behind = 0
    for c in sockets[1:]:
        try:
            await c.wait_for(lambda c=c: c.text(section) == final, timeout=30, what="minutes text")
        except AssertionError:
            behind += 1
    dropped = sum(1 for c in sockets if c.ws.close_code is not None)
    for c in sockets:
        await c.close()
    return {"steps": steps, "sockets": len(sockets), "socket_connect_ms": connect, "sockets_dropped": dropped,
            "edits_typed": len(typed), "edits_lost": lost_text, "sockets_with_wrong_text": behind}


def print_table(result: dict) -> None:
    print("\n| step | kind | requests | req/s | p50 ms | p95 ms | p99 ms | 5xx | errors | target p95 |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for step in result["steps"]:
        for kind, r in step["kinds"].items():
            target = TARGET_MS.get(kind, 150)
            mark = "ok" if r["p95"] <= target else "MISSED"
            print(f"| c={step['concurrency']} | {kind} | {r['requests']} | {r['rps']} | {r['p50']} | {r['p95']} | "
                  f"{r['p99']} | {r['5xx']} | {r['errors']} | ≤{target} {mark} |")
        print(f"| c={step['concurrency']} | **all** | {step['requests']} | {step['rps']} | | | | | | "
              f"load {step['load_before']} → {step['load_after']} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", default="8,16", help="HTTP client concurrencies, one step each")
    parser.add_argument("--seconds", type=int, default=60, help="length of each step")
    parser.add_argument("--sockets", type=int, default=300)
    parser.add_argument("--meetings", type=int, default=400)
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=8140, help="nginx; the app server takes port+1")
    args = parser.parse_args()
    args.steps = [int(x) for x in args.steps.split(",")]
    args.secret = "load-" + uuid.uuid4().hex * 2
    if not os.environ.get("REDIS_URL"):
        sys.exit("bench/load.py needs REDIS_URL (e.g. redis://127.0.0.1:6379/4): make serve runs on Redis.")
    from aiosmtpd.controller import Controller

    url = setup(args)
    serve = None
    sink = Sink()
    smtp = Controller(sink, hostname="127.0.0.1", port=args.port + 2)
    smtp.start()
    try:
        t = time.perf_counter()
        world = seed(args)
        print(f"seeded in {time.perf_counter() - t:.1f}s; starting make serve", file=sys.stderr)
        serve = start_serve(args, url, args.port + 2)
        try:
            import uvloop

            result = uvloop.run(main_async(args, world))
        except ImportError:
            result = asyncio.run(main_async(args, world))
        from django.db import connection

        with connection.cursor() as cur:
            cur.execute(DOUBLE_BOOKINGS_SQL)
            result["double_bookings"] = cur.fetchone()[0]
            cur.execute("SELECT count(*) FROM meetings_booking WHERE status = 'confirmed'")
            result["confirmed_bookings"] = cur.fetchone()[0]
        result["invitations_received_by_smtp"] = sink.count
        result["web_workers"] = args.web_workers
        result["cpus"] = os.cpu_count()
    finally:
        if serve is not None:
            os.killpg(serve.pid, signal.SIGTERM)
            serve.wait(60)
        smtp.stop()
        from django.db import connections

        connections.close_all()
        drop_database(url)
    print(json.dumps({k: v for k, v in result.items() if k != "steps"}, indent=2))
    print_table(result)
    fivexx = sum(r["5xx"] for s in result["steps"] for r in s["kinds"].values())
    print(f"\n5xx: {fivexx}, double bookings: {result['double_bookings']}, minutes edits lost: {result['edits_lost']}")


if __name__ == "__main__":
    main()
