"""Benchmark of calendar invitations and feeds (issue 4). Not a test: prints figures.

1. A 300-attendee all-unit briefing: time from calling create_meeting() until the local
   SMTP server (aiosmtpd on loopback, in this process) has accepted all 300 invitations, with
   a real huey consumer (`manage.py run_huey --workers 2 --worker-type process`, the
   production recommendation; BENCH_WORKER_TYPE=thread to compare) against SqliteHuey
   (embedded) or RedisHuey (when REDIS_URL is set). Target ≤ 15 s. Repeated BENCH_ROUNDS
   times (default 3, a new meeting in a new room each time); best and median are shown.
2. A personal feed of 5,000 events: first render (nothing serialised yet), render from the
   stored per-meeting fragments (cache empty), cached body (plain and gzip), and a 304 for
   an unchanged ETag, through Django's test client. Targets ≤ 250 ms and 304 ≤ 10 ms.

The machine's load average is printed before and after: on a shared 2-core machine other
processes move the figures, so repeat and quote the best steady run with its load.

Run (embedded, throwaway SQLite + SqliteHuey in a temp folder):
    .venv/bin/python bench/invitations.py
Production topology (a throwaway PostgreSQL database is created and dropped, Redis db 14):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/quorum_bench_inv REDIS_URL=redis://127.0.0.1:6379/14 \
        .venv/bin/python bench/invitations.py
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta
from datetime import time as dtime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
ATTENDEES = int(os.getenv("BENCH_ATTENDEES", "300"))
FEED_EVENTS = int(os.getenv("BENCH_FEED_EVENTS", "5000"))
ROUNDS = int(os.getenv("BENCH_ROUNDS", "3"))
WORKER_TYPE = os.getenv("BENCH_WORKER_TYPE", "process")
RESULTS: list[tuple[str, float, float, float | None, str]] = []  # (what, median, best, target, unit)


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Sink:
    def __init__(self) -> None:
        self.count = 0
        self.rcpts: set[str] = set()
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.target = 0
        self.last_at = 0.0
        self.first_at = 0.0

    async def handle_DATA(self, server, session, envelope) -> str:  # type: ignore[no-untyped-def]
        with self.lock:
            self.count += 1
            self.rcpts.update(envelope.rcpt_tos)
            if self.count == 1:
                self.first_at = time.perf_counter()
            self.last_at = time.perf_counter()
            if self.target and self.count >= self.target:
                self.done.set()
        return "250 OK"


def prepare_env(tmp: Path, smtp_port: int) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "QUORUM_DATA_DIR": str(tmp), "EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(smtp_port),
        "HUEY_NAME": f"bench-invitations-{os.getpid()}", "HUEY_IMMEDIATE": "false", "LOG_LEVEL": "ERROR",
        "SITE_URL": "https://lich.soyte.example.vn", "DJANGO_SETTINGS_MODULE": "config.settings",
        "CACHE_PREFIX": f"bench-inv-{os.getpid()}", "QUORUM_EMBEDDED": "true",  # dev SECRET_KEY is fine here
    })
    env.pop("QUORUM_TESTING", None)
    return env


def ensure_pg_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    if "bench" not in name:
        raise SystemExit(f"Refusing to recreate database {name!r}: give a throwaway name containing 'bench'.")
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def main() -> None:
    from aiosmtpd.controller import Controller

    tmp = Path(tempfile.mkdtemp(prefix="quorum-bench-inv-"))
    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    env = prepare_env(tmp, port)
    os.environ.update(env)
    if os.getenv("DATABASE_URL", "").startswith("postgres"):
        ensure_pg_database(os.environ["DATABASE_URL"])
    subprocess.run([sys.executable, "manage.py", "migrate", "--no-input", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run([sys.executable, "manage.py", "createcachetable"], cwd=ROOT, env=env, check=True)

    import django

    django.setup()
    from django.conf import settings

    backend = "RedisHuey" if settings.REDIS_URL else "SqliteHuey"
    db = "PostgreSQL" if settings.IS_POSTGRES else "SQLite"
    print(f"database: {db}; huey: {backend}, `run_huey --workers 2 --worker-type {WORKER_TYPE}`; "
          f"SMTP: aiosmtpd 127.0.0.1:{port}; {os.cpu_count()} CPUs; load average before: {load()}")

    consumer = subprocess.Popen(
        [sys.executable, "manage.py", "run_huey", "--workers", "2", "--worker-type", WORKER_TYPE, "--quiet"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    try:
        time.sleep(1.0)  # let the consumer start before the clock runs
        invitations(sink)
        feed()
        summary()
    finally:
        consumer.terminate()
        try:
            consumer.wait(timeout=10)
        except subprocess.TimeoutExpired:
            consumer.kill()
        controller.stop()
        if settings.IS_POSTGRES:
            from django.db import connections

            connections.close_all()


def seed_people(n: int):  # type: ignore[no-untyped-def]
    from accounts.models import User
    from meetings.models import Membership, Room, Unit

    dept = Unit.objects.create(code="soyte", name="Sở Y tế tỉnh", short_name="Sở Y tế", kind=Unit.Kind.DEPARTMENT)
    units = [Unit.objects.create(code=f"dv{i:02d}", name=f"Đơn vị số {i}", short_name=f"ĐV{i:02d}", kind=Unit.Kind.HOSPITAL, parent=dept)
             for i in range(20)]
    admin = User.objects.create_superuser("thuky@soyte.vn", "bench-only-password", full_name="Thư Ký Sở")
    Membership.objects.create(user=admin, unit=dept, role=Membership.Role.SECRETARY)
    users = User.objects.bulk_create(
        User(email=f"nguoi{i:03d}@dv{i % 20:02d}.vn", full_name=f"Nguyễn Văn {i:03d}", password="!") for i in range(n)
    )
    users = list(User.objects.filter(email__in=[u.email for u in users]).order_by("email"))
    Membership.objects.bulk_create(Membership(user=u, unit=units[i % 20], role=Membership.Role.MEMBER) for i, u in enumerate(users))
    hall = Room.objects.create(unit=dept, name="Hội trường lớn", capacity=n + 50, location="Tầng 1")
    return admin, dept, users, hall


def invitations(sink: Sink) -> None:
    from django.utils import timezone

    from integrations.calendar.models import Delivery
    from meetings import actions
    from meetings.actions import AttendeeInput, MeetingInput, RoomChoice
    from meetings.models import Room

    admin, dept, users, hall = seed_people(ATTENDEES)
    day = timezone.localdate() + timedelta(days=1)
    tz = timezone.get_default_timezone()
    times = []
    for n in range(ROUNDS):
        room = hall if n == 0 else Room.objects.create(unit=dept, name=f"Hội trường {n + 1}", capacity=ATTENDEES + 50)
        data = MeetingInput(
            title=f"Hội nghị giao ban toàn ngành {n + 1}", organizing_unit=dept,
            start=datetime.combine(day, dtime(8, 30), tzinfo=tz), end=datetime.combine(day, dtime(11, 0), tzinfo=tz),
            agenda="Triển khai nhiệm vụ trọng tâm quý tới.", is_urgent=True, urgent_reason="Chỉ đạo của UBND tỉnh",
            rooms=[RoomChoice(room, expected=ATTENDEES)], attendees=[AttendeeInput(email=u.email) for u in users],
        )
        with sink.lock:
            sink.count, sink.rcpts = 0, set()
            sink.done.clear()
            sink.target = ATTENDEES
        t0 = time.perf_counter()
        meeting = actions.create_meeting(admin, data)
        t_commit = time.perf_counter()
        ok = sink.done.wait(timeout=180)
        t1 = time.perf_counter()
        times.append(t1 - t0)
        time.sleep(0.5)  # let the last row be marked sent
        sent = Delivery.objects.filter(meeting=meeting, status=Delivery.Status.SENT).count()
        print(f"invitations round {n + 1}: {sink.count}/{ATTENDEES} accepted by SMTP in {t1 - t0:.2f} s "
              f"(create_meeting {t_commit - t0:.2f} s, first mail at {sink.first_at - t0:.2f} s; {len(sink.rcpts)} distinct recipients; "
              f"{sent} deliveries marked sent; load {load()}){'' if ok else ' TIMED OUT'}")
    RESULTS.append((f"{ATTENDEES} invitations accepted by SMTP ({ROUNDS} rounds)", statistics.median(times), min(times), 15.0, "s"))


def feed() -> None:
    from django.core.cache import cache
    from django.test import Client
    from django.utils import timezone

    from accounts.models import User
    from integrations.calendar.models import FeedFragment, FeedToken
    from meetings.models import Attendee, Meeting, Occurrence, Unit

    user = User.objects.create_user("doc-lich@soyte.vn", None, full_name="Người Đọc Lịch")
    unit = Unit.objects.get(code="soyte")
    admin = User.objects.get(email="thuky@soyte.vn")
    tz = timezone.get_default_timezone()
    base = timezone.localdate() - timedelta(days=50)
    meetings = []
    for i in range(FEED_EVENTS):
        day = base + timedelta(days=i * 400 // FEED_EVENTS)
        start = datetime.combine(day, dtime(7 + i % 10, 0), tzinfo=tz)
        meetings.append(Meeting(title=f"Cuộc họp số {i}", organizing_unit=unit, created_by=admin, start=start,
                                end=start + timedelta(hours=1), agenda="Nội dung " * 5))
    created = Meeting.objects.bulk_create(meetings, batch_size=1000)
    created = list(Meeting.objects.filter(title__startswith="Cuộc họp số ").order_by("pk"))
    Occurrence.objects.bulk_create(
        (Occurrence(meeting=m, index=0, recurrence_id=m.start, start=m.start, end=m.end) for m in created), batch_size=1000)
    Attendee.objects.bulk_create(
        (Attendee(meeting=m, email=user.email, user=user, name=user.full_name) for m in created), batch_size=1000)
    _row, token = FeedToken.issue(user, FeedToken.Kind.PERSONAL)
    from django.db import connection

    with connection.cursor() as cursor:  # planner statistics, as autovacuum would have them
        cursor.execute("ANALYZE")
    client = Client()
    path = f"/feeds/{token}.ics"

    def timed(**headers: str) -> tuple[float, int, int, str]:
        t = time.perf_counter()
        r = client.get(path, **headers)
        return (time.perf_counter() - t) * 1000, r.status_code, len(r.content), r.headers.get("ETag", "")

    t = time.perf_counter()
    first = client.get(path)
    cold = (time.perf_counter() - t) * 1000
    assert first.status_code == 200, first.status_code
    etag = first.headers["ETag"]
    in_window = first.content.count(b"BEGIN:VEVENT")
    print(f"feed: {in_window} events in the window, {len(first.content) / 1e6:.2f} MB; "
          f"{FeedFragment.objects.count()} fragments stored")
    warm = []
    for _ in range(5):
        cache.clear()
        warm.append(timed()[0])
    cached = [timed()[0] for _ in range(10)]
    cached_gz = [timed(HTTP_ACCEPT_ENCODING="gzip")[0] for _ in range(10)]
    nm = [timed(HTTP_IF_NONE_MATCH=etag) for _ in range(20)]
    assert all(s == 304 for _ms, s, _n, _e in nm)
    RESULTS.append((f"feed of {in_window} events, first render (nothing stored, 1 run)", cold, cold, None, "ms"))
    RESULTS.append(("feed rebuilt from stored fragments, cache empty (5 runs)", statistics.median(warm), min(warm), 250.0, "ms"))
    RESULTS.append(("feed, cached body (10 runs)", statistics.median(cached), min(cached), None, "ms"))
    RESULTS.append(("feed, cached body, gzip (10 runs)", statistics.median(cached_gz), min(cached_gz), None, "ms"))
    nm_ms = [x[0] for x in nm]
    RESULTS.append(("feed, 304 Not Modified (20 runs)", statistics.median(nm_ms), min(nm_ms), 10.0, "ms"))


def summary() -> None:
    """The table: pass/fail is judged on the median, the best run is shown beside it."""
    print(f"\nload average after: {load()}")
    print(f"| {'measure':<62} | {'median':>10} | {'best':>10} | {'target':>9} | pass |")
    print(f"|{'-' * 64}|{'-' * 12}|{'-' * 12}|{'-' * 11}|------|")
    def shown(v: float, unit: str) -> str:
        return f"{v:.2f} s" if unit == "s" else f"{v:.1f} ms"

    for what, median, best, target, unit in RESULTS:
        goal = f"≤ {target:g} {unit}" if target is not None else "–"
        verdict = ("PASS" if median <= target else "FAIL") if target is not None else "–"
        print(f"| {what:<62} | {shown(median, unit):>10} | {shown(best, unit):>10} | {goal:>9} | {verdict:<4} |")


if __name__ == "__main__":
    main()
