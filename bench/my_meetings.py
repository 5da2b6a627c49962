"""Benchmark of "My meetings" (GET /me/) for a person with 500 meetings.

Usage (SQLite in a temporary folder, the default):

    .venv/bin/python -u bench/my_meetings.py

or on PostgreSQL (a throwaway database whose name contains "bench"; it is recreated):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/quorum_bench_me .venv/bin/python -u bench/my_meetings.py

Seeds 500 meetings for one person (250 past, 250 ahead; rooms in two units, 20 other
attendees each, minutes for 100 of them, some answers delegated), then requests the page
with Django's test Client in-process (full middleware stack, session login, view,
template; no socket): p50/p95 over --requests requests after a warm-up. The query count is
taken with 50 and with 500 meetings: it must not grow. The load average is printed with
the figures (the machine is shared). Target: p95 ≤ 80 ms.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def prepare() -> None:
    env = {"QUORUM_DATA_DIR": tempfile.mkdtemp(prefix="quorum-bench-me-"), "LOG_LEVEL": "ERROR",
           "DJANGO_SETTINGS_MODULE": "config.settings", "QUORUM_EMBEDDED": "true", "HUEY_IMMEDIATE": "true"}
    os.environ.update(env)
    url = os.getenv("DATABASE_URL", "")
    if url.startswith("postgres"):
        import psycopg

        name = url.rsplit("/", 1)[1]
        if "bench" not in name:
            raise SystemExit(f"Refusing to recreate database {name!r}: give a throwaway name containing 'bench'.")
        with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    subprocess.run([sys.executable, "manage.py", "migrate", "--no-input", "-v0"], cwd=ROOT, check=True)
    subprocess.run([sys.executable, "manage.py", "createcachetable"], cwd=ROOT, check=True)


def seed(total: int, start_index: int = 0) -> None:
    from django.utils import timezone

    from accounts.models import User
    from meetings.models import Attendee, Booking, Meeting, Membership, Occurrence, Room, Unit
    from minutes.models import Minutes

    dept, _ = Unit.objects.get_or_create(code="soyte", defaults={"name": "Sở Y tế", "short_name": "Sở Y tế", "kind": Unit.Kind.DEPARTMENT})
    unit, _ = Unit.objects.get_or_create(code="bvdk", defaults={"name": "Bệnh viện Đa khoa tỉnh", "short_name": "BVĐK tỉnh", "kind": Unit.Kind.HOSPITAL, "parent": dept})
    me, created = User.objects.get_or_create(email="bench.me@bvdk.vn", defaults={"full_name": "Người Đo Hiệu Năng"})
    if created:
        Membership.objects.create(user=me, unit=unit, role=Membership.Role.MEMBER)
    others = list(User.objects.filter(email__startswith="bench.other"))
    if not others:
        others = User.objects.bulk_create(User(email=f"bench.other{i}@bvdk.vn", full_name=f"Người {i}") for i in range(20))
    chair = others[0]
    rooms = list(Room.objects.filter(name__startswith="Bench"))
    if not rooms:
        rooms = [Room.objects.create(unit=u, name=f"Bench {u.code}", capacity=40) for u in (dept, unit)]
    now = timezone.now()
    meetings = []
    for i in range(start_index, start_index + total):
        start = now + timedelta(days=i - 250, hours=(i % 5))  # one a day: 250 past, 250 ahead at the end
        meetings.append(Meeting(title=f"Họp số {i}", organizing_unit=unit, chair=chair, created_by=chair, start=start,
                                end=start + timedelta(hours=1), mode=[Meeting.Mode.IN_PERSON, Meeting.Mode.HYBRID][i % 2],
                                status=Meeting.Status.SCHEDULED))
    meetings = Meeting.objects.bulk_create(meetings)
    occs = Occurrence.objects.bulk_create(
        Occurrence(meeting=m, index=0, recurrence_id=m.start, start=m.start, end=m.end) for m in meetings)
    Booking.objects.bulk_create(
        Booking(occurrence=o, room=rooms[k % 2], start=o.start + timedelta(minutes=k), end=o.end, blocked_start=o.start + timedelta(minutes=k),
                blocked_end=o.end, status=Booking.Status.CONFIRMED) for o in occs for k in range(2))
    rows = []
    for j, m in enumerate(meetings):
        rsvp = [Attendee.Rsvp.ACCEPTED, Attendee.Rsvp.NEEDS_ACTION, Attendee.Rsvp.DELEGATED, Attendee.Rsvp.DECLINED][j % 4]
        rows.append(Attendee(meeting=m, email=me.email, user=me, unit=unit, rsvp=rsvp))
        rows += [Attendee(meeting=m, email=o.email, user=o, unit=unit) for o in others]
    Attendee.objects.bulk_create(rows)
    Minutes.objects.bulk_create(Minutes(occurrence=o) for o in occs[: len(occs) // 5])


def measure(requests: int) -> tuple[list[float], int]:
    from django.db import connection
    from django.test import Client

    from accounts.models import User

    client = Client()
    client.force_login(User.objects.get(email="bench.me@bvdk.vn"))
    for _ in range(10):
        assert client.get("/me/").status_code == 200
    executed = []
    with connection.execute_wrapper(lambda execute, sql, params, many, context: executed.append(sql) or execute(sql, params, many, context)):
        client.get("/me/")
    times, cpu = [], []
    for _ in range(requests):
        t, c = time.perf_counter(), time.thread_time()
        response = client.get("/me/")
        times.append((time.perf_counter() - t) * 1000)
        cpu.append((time.thread_time() - c) * 1000)
        assert response.status_code == 200
    measure.cpu = sorted(cpu)  # type: ignore[attr-defined]
    return times, len(executed)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    prepare()
    import django

    django.setup()
    from django.conf import settings
    db = "PostgreSQL" if settings.IS_POSTGRES else "SQLite"
    print(f"database: {db}; {os.cpu_count()} CPUs; load average before: {load()}")
    seed(50)
    _, queries_50 = measure(5)
    seed(450, start_index=50)
    if settings.IS_POSTGRES:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # as autovacuum would after the load: the plans users get
    times, queries_500 = measure(args.requests)
    times.sort()
    p50, p95 = statistics.median(times), times[int(len(times) * 0.95) - 1]
    print(f"My meetings, 500 meetings: p50 {p50:.1f} ms, p95 {p95:.1f} ms over {len(times)} requests "
          f"(target p95 ≤ 80 ms: {'OK' if p95 <= 80 else 'MISSED'}); load average after: {load()}")
    cpu = measure.cpu  # type: ignore[attr-defined]
    print(f"CPU time of this thread per request (what other processes cannot inflate as much): "
          f"p50 {statistics.median(cpu):.1f} ms, p95 {cpu[int(len(cpu) * 0.95) - 1]:.1f} ms "
          f"(SQLite runs in-process, so this includes the database)")
    print(f"queries per page: {queries_50} with 50 meetings, {queries_500} with 500 "
          f"({'constant' if queries_50 == queries_500 else 'GROWS'})")


if __name__ == "__main__":
    main()
