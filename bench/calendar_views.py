"""Benchmark of the calendar: the unit week view and the rooms-side-by-side day view with
1,000 meetings in the week; query counts; the calendar page's compressed weight.

Usage (SQLite in a temporary folder by default; PostgreSQL when DATABASE_URL is set, in its
own database BENCH_DATABASE_NAME, default `quorum_bench_calendar`, dropped at the end):

    .venv/bin/python -u bench/calendar_views.py [--runs 60] [--background 20000]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/quorum .venv/bin/python -u bench/calendar_views.py

What it does:
1. Seeds 20 units × 20 rooms and, in one unit, 1,000 50-minute meetings in one week (10 a
   day in each of its 20 rooms, Monday to Friday; some confidential or internal, some
   waiting for approval, some booked by other units, 3 attendees each), plus --background
   meetings of other units and other weeks.
2. Requests the pages with Django's test Client in-process (full middleware stack, session
   login, view, templates; no socket) as the unit's secretary: --runs times each after a
   warm-up, p50/p95 of the server time. The number of queries of each page is counted for
   the full week and for an almost empty week: it must be the same.
3. Weighs the calendar page on first load: the week view's HTML and every stylesheet and
   script it links, each gzip-compressed (level 6, as a reverse proxy would).
The load average is printed with the figures: the machine may be shared.
"""

from __future__ import annotations

import argparse
import gzip
import os
import random
import re
import secrets
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.availability import _pct, create_database, drop_database, loadavg  # noqa: E402
from bench.clients import page_client  # noqa: E402

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def setup(args: argparse.Namespace) -> tuple[str, str | None]:
    url = os.getenv("DATABASE_URL", "")
    os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    name = None
    if url.startswith("postgres"):
        name = os.getenv("BENCH_DATABASE_NAME", "quorum_bench_calendar")
        os.environ["DATABASE_URL"] = create_database(url, name)
        kind = "PostgreSQL"
    else:
        os.environ["QUORUM_DATA_DIR"] = tempfile.mkdtemp(prefix="quorum-bench-calendar-")
        kind = "SQLite"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)  # without REDIS_URL the cache is a database table
    return kind, name


def seed(args: argparse.Namespace, monday: date) -> dict:
    from django.db import transaction

    from accounts.models import User
    from meetings.models import (
        Attendee,
        Booking,
        Meeting,
        MeetingRoom,
        Membership,
        Occurrence,
        Room,
        Unit,
    )

    rnd = random.Random(9)
    with transaction.atomic():
        dept = Unit.objects.create(code="soyte", name="Sở Y tế", short_name="Sở Y tế", kind=Unit.Kind.DEPARTMENT)
        units = [dept] + [
            Unit.objects.create(code=f"dv{i:02d}", name=f"Bệnh viện {i}", short_name=f"BV {i}", kind=Unit.Kind.HOSPITAL, parent=dept)
            for i in range(1, 20)
        ]
        rooms = Room.objects.bulk_create([
            Room(unit=u, name=f"Phòng {j + 1:02d}", capacity=20 + j * 5, shared=j % 4 == 0, requires_approval=j % 7 == 0)
            for u in units for j in range(20)
        ])
        users = User.objects.bulk_create([
            User(email=f"u{i}@bench.vn", full_name=f"Người {i}", password="!") for i in range(len(units) * 6)
        ])
        members, people = [], {}
        for k, u in enumerate(units):
            team = users[k * 6:(k + 1) * 6]
            people[u.pk] = team
            members.append(Membership(user=team[0], unit=u, role=Membership.Role.SECRETARY))
            members += [Membership(user=x, unit=u, role=Membership.Role.MEMBER) for x in team[1:]]
        Membership.objects.bulk_create(members)
        unit = units[3]
        unit_rooms = [r for r in rooms if r.unit_id == unit.pk]
        plans = []  # (organising unit, room, start, sensitivity, requested)
        for d in range(5):
            for h in range(10):
                for r in unit_rooms:
                    start = datetime.combine(monday + timedelta(days=d), datetime.min.time(), TZ).replace(hour=7 + h)
                    org = unit if rnd.random() < 0.8 else rnd.choice(units)
                    sens = rnd.choices(["normal", "internal", "confidential"], [85, 10, 5])[0]
                    plans.append((org, r, start, sens, r.requires_approval))
        # A quiet week ten weeks later (5 meetings), to show the query count does not grow.
        for h in range(5):
            start = datetime.combine(monday + timedelta(days=72), datetime.min.time(), TZ).replace(hour=8 + h)
            plans.append((unit, unit_rooms[h], start, "normal", False))
        others = [r for r in rooms if r.unit_id != unit.pk]
        by_pk = {u.pk: u for u in units}
        taken: set[tuple[int, datetime]] = set()
        while len(taken) < args.background:  # never two confirmed bookings of a room at once
            r = rnd.choice(others)
            week = rnd.choice([0, 0, 1, 2, 3, -1, -2])
            start = datetime.combine(monday + timedelta(days=7 * week + rnd.randrange(5)), datetime.min.time(), TZ).replace(hour=rnd.randrange(7, 17))
            if (r.pk, start) not in taken:
                taken.add((r.pk, start))
                plans.append((by_pk[r.unit_id], r, start, "normal", False))
        meetings = Meeting.objects.bulk_create([
            Meeting(title=f"Họp số {i}", organizing_unit=org, created_by=people[org.pk][0], start=s, end=s + timedelta(minutes=50),
                    sensitivity=sens, status="requested" if req else "scheduled")
            for i, (org, r, s, sens, req) in enumerate(plans)
        ], batch_size=2000)
        occs = Occurrence.objects.bulk_create([
            Occurrence(meeting=m, recurrence_id=m.start, start=m.start, end=m.end) for m in meetings
        ], batch_size=2000)
        MeetingRoom.objects.bulk_create([MeetingRoom(meeting=m, room=p[1], expected_attendees=3) for m, p in zip(meetings, plans, strict=True)], batch_size=2000)
        Booking.objects.bulk_create([
            Booking(occurrence=o, room=p[1], start=o.start, end=o.end, blocked_start=o.start, blocked_end=o.end,
                    status="requested" if p[4] else "confirmed", expected_attendees=3)
            for o, p in zip(occs, plans, strict=True)
        ], batch_size=2000)
        Attendee.objects.bulk_create([
            Attendee(meeting=m, user=x, email=x.email, name=x.full_name, unit=p[0])
            for m, p in zip(meetings, plans, strict=True) for x in people[p[0].pk][1:4]
        ], batch_size=5000)
    from django.db import connection

    if connection.vendor == "postgresql":
        # What autovacuum does after a bulk load in production: planning on statistics of
        # empty tables measured other plans than users get.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return {"unit": unit, "secretary": people[unit.pk][0], "meetings": len(meetings)}


def measure(client, url: str, runs: int) -> tuple[list[float], list[float], int, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(5):
        client.get(url)
    times, cpu = [], []
    for _ in range(runs):
        t, c = time.perf_counter(), time.process_time()
        r = client.get(url)
        times.append((time.perf_counter() - t) * 1000)
        cpu.append((time.process_time() - c) * 1000)  # this process only: less sensitive to the load
        assert r.status_code == 200, (url, r.status_code)
    with CaptureQueriesContext(connection) as q:
        r = client.get(url)
    return times, cpu, len(q.captured_queries), len(r.content)


def weigh(client, url: str) -> dict[str, int]:
    from django.contrib.staticfiles import finders

    html = client.get(url).content
    sizes = {"html": len(gzip.compress(html, 6))}
    for ref in re.findall(rb'(?:href|src)="/static/([^"]+\.(?:css|js))"', html):
        path = finders.find(ref.decode())
        sizes[ref.decode()] = len(gzip.compress(Path(path).read_bytes(), 6))
    return sizes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=60)
    parser.add_argument("--background", type=int, default=20000)
    args = parser.parse_args()
    kind, name = setup(args)
    try:

        monday = date.today() + timedelta(days=28 - date.today().weekday())
        print(f"[{kind}] seeding… load {loadavg()}", flush=True)
        t = time.perf_counter()
        data = seed(args, monday)
        print(f"seeded {data['meetings']:,} meetings (1,000 in the unit's week) in {time.perf_counter() - t:.0f} s", flush=True)
        client = page_client(data["secretary"])
        empty = monday + timedelta(days=70)
        pages = {
            "unit week view": f"/calendar/?view=week&d={monday:%Y-%m-%d}",
            "rooms side by side, day": f"/calendar/?view=rooms&d={monday + timedelta(days=2):%Y-%m-%d}",
            "rooms × days, week": f"/calendar/?view=roomweek&d={monday:%Y-%m-%d}",
            "month view": f"/calendar/?view=month&d={monday:%Y-%m-%d}",
        }
        rows = []
        for label, url in pages.items():
            times, cpu, queries, size = measure(client, url, args.runs)
            _, _, q_empty, _ = measure(client, url.replace(f"{monday:%Y-%m-%d}", f"{empty:%Y-%m-%d}").replace(
                f"{monday + timedelta(days=2):%Y-%m-%d}", f"{empty + timedelta(days=2):%Y-%m-%d}"), 3)
            rows.append((label, statistics.median(times), _pct(times, 95), queries, q_empty, size))
            print(f"  {label:28} p50 {rows[-1][1]:6.1f} ms  p95 {rows[-1][2]:6.1f} ms  (CPU p50 {statistics.median(cpu):5.1f} ms)"
                  f"  queries {queries} (quiet week {q_empty})"
                  f"  html {size / 1024:.0f} KiB  load {loadavg()}", flush=True)
        sizes = weigh(client, pages["unit week view"])
        total = sum(sizes.values())
        print("\ncalendar page, first load, gzip: " + ", ".join(f"{k} {v / 1024:.1f} KiB" for k, v in sizes.items()))
        print(f"\n{'benchmark':34} {'figure':>26}  target")
        for label, _p50, p95, q, qe, _ in rows:
            ok = "ok" if p95 <= 80 and q == qe else "MISSED"
            print(f"{label:34} {f'p95 {p95:.1f} ms, {q} queries':>26}  p95 ≤ 80 ms, same queries in a quiet week ({qe})  {ok}")
        print(f"{'calendar page weight (gzip)':34} {f'{total / 1024:.1f} KiB':>26}  ≤ 300 KB  {'ok' if total <= 300_000 else 'MISSED'}")
        print(f"load average {loadavg()} on {os.cpu_count()} CPUs ({kind})")
    finally:
        if name:
            from django.db import connections

            connections.close_all()
            drop_database(os.environ["DATABASE_URL"], name)


if __name__ == "__main__":
    main()
