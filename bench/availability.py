"""Benchmark of the availability finder and the booking engine on PostgreSQL.

Usage (PostgreSQL must be running; nothing is written to the database named in the URL):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/quorum .venv/bin/python bench/availability.py

Options: --rooms-per-unit 20, --weeks 26 (≈ 208,000 occurrences), --queries 400,
--clients 16, --bookings-per-client 100, --keep (do not drop the bench database at the end).

What it does:
1. Drops and creates a dedicated database (BENCH_DATABASE_NAME, default `quorum_bench`) on the
   server of DATABASE_URL and migrates it.
2. Seeds 20 units × 20 rooms, 220 users, and weekly series in every room (5 slots × 5
   weekdays, ~80 % taken) over the next --weeks weeks: ≥ 200,000 booked occurrences, written
   with COPY (meetings, occurrences, bookings, room choices, attendees).
3. Availability, end to end through the API: GET /api/v1/availability/ with Django's test
   Client in-process (full middleware stack, Bearer-token authentication, view, finder,
   JSON rendering; no network socket), p50/p95 over --queries random questions (a working
   day in the horizon, a 60-minute slot, 5–40 people). The finder's own DB time (the queries
   it issues, timed at the driver) is compared with ONE hand-written SQL query answering the
   same question (free rooms the user's unit may use, buffers included): the floor.
4. Booking throughput: --clients processes (so that Python's GIL is not what is measured),
   each with its own DB connection, book random rooms
   of their unit through meetings.actions.create_meeting (the same code path as the API);
   then a SQL self-join verifies that no two confirmed bookings of a room overlap.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import statistics
import sys
import time
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlparse, urlunparse
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
SLOTS = [(7, 30), (9, 0), (10, 30), (13, 30), (15, 0)]  # 80-minute meetings, 10-minute buffers
LENGTH = timedelta(minutes=80)


def _pct(values: list[float], p: float) -> float:
    values = sorted(values)
    k = max(0, min(len(values) - 1, round(p / 100 * (len(values) - 1))))
    return values[k]


def create_database(url: str, name: str) -> str:
    import psycopg

    parts = urlparse(url)
    admin = urlunparse(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return urlunparse(parts._replace(path=f"/{name}"))


def drop_database(url: str, name: str) -> None:
    import psycopg

    admin = urlunparse(urlparse(url)._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def setup_django(bench_url: str) -> None:
    os.environ["DATABASE_URL"] = bench_url
    os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _copy(cursor, model, rows: list[dict]) -> None:
    """COPY rows (attname → value) into the model's table; missing fields take defaults."""
    fields = [f for f in model._meta.concrete_fields if not (f.primary_key and "id" not in rows[0])]
    defaults = {f.attname: f.get_default() for f in fields}
    cols = ", ".join(f'"{f.column}"' for f in fields)
    json_fields = {f.attname for f in fields if f.get_internal_type() == "JSONField"}
    with cursor.copy(f'COPY "{model._meta.db_table}" ({cols}) FROM STDIN') as copy:
        for row in rows:
            values = []
            for f in fields:
                v = row[f.attname] if f.attname in row else defaults[f.attname]
                values.append(json.dumps(v) if f.attname in json_fields and v is not None else v)
            copy.write_row(values)


def seed(args: argparse.Namespace) -> dict:
    from django.db import connection

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

    began = time.perf_counter()
    dept = Unit.objects.create(code="soyte", name="Sở Y tế", short_name="SYT", kind=Unit.Kind.DEPARTMENT)
    units = [dept] + [
        Unit.objects.create(code=f"dv{i:02}", name=f"Đơn vị {i}", short_name=f"ĐV{i}", kind=Unit.Kind.HOSPITAL, parent=dept)
        for i in range(1, 20)
    ]
    rooms: list[Room] = []
    for u in units:
        for j in range(args.rooms_per_unit):
            rooms.append(Room(unit=u, name=f"Phòng {j + 1:02}", capacity=random.choice([10, 20, 30, 50, 80]),
                              cleanup_buffer_minutes=10 if j % 2 else 0, shared=j < 5))
    Room.objects.bulk_create(rooms)
    users: dict[int, list[User]] = {}
    secretaries: dict[int, User] = {}
    for u in units:
        people = [User(email=f"u{k}@{u.code}.vn", full_name=f"Cán bộ {k} {u.short_name}") for k in range(11)]
        for p in people:
            p.set_unusable_password()
        User.objects.bulk_create(people)
        Membership.objects.bulk_create(
            [Membership(user=people[0], unit=u, role=Membership.Role.SECRETARY)]
            + [Membership(user=p, unit=u, role=Membership.Role.MEMBER) for p in people[1:]]
        )
        secretaries[u.pk], users[u.pk] = people[0], people[1:]

    today = date.today()
    first_monday = today + timedelta(days=(7 - today.weekday()) % 7 or 7)
    now = datetime.now(TZ)
    meetings, occurrences, bookings, choices, attendees = [], [], [], [], []
    mid = oid = 0
    for room in rooms:
        unit_users = users[room.unit_id]
        for weekday in range(5):
            for hh, mm in SLOTS:
                if random.random() > 0.8:
                    continue
                mid += 1
                start = datetime.combine(first_monday + timedelta(days=weekday), datetime.min.time(), TZ).replace(hour=hh, minute=mm)
                meetings.append({"id": mid, "uid": uuid.uuid4(), "title": f"Giao ban {mid}", "organizing_unit_id": room.unit_id,
                                 "created_by_id": secretaries[room.unit_id].pk, "start": start, "end": start + LENGTH,
                                 "rrule": f"FREQ=WEEKLY;COUNT={args.weeks}", "created_at": now, "updated_at": now,
                                 "online_details": {}})
                choices.append({"meeting_id": mid, "room_id": room.pk, "expected_attendees": 4})
                for person in random.sample(unit_users, 4):
                    attendees.append({"meeting_id": mid, "user_id": person.pk, "email": f"{mid}.{person.email}",
                                      "unit_id": room.unit_id, "join_token": secrets.token_urlsafe(16), "created_at": now})
                for w in range(args.weeks):
                    oid += 1
                    s = start + timedelta(weeks=w)
                    occurrences.append({"id": oid, "meeting_id": mid, "index": w, "recurrence_id": s, "start": s, "end": s + LENGTH})
                    bookings.append({"occurrence_id": oid, "room_id": room.pk, "start": s, "end": s + LENGTH, "blocked_start": s,
                                     "blocked_end": s + LENGTH + timedelta(minutes=room.cleanup_buffer_minutes),
                                     "expected_attendees": 4, "created_at": now})
    with connection.cursor() as cur:
        raw = cur.cursor
        for model, rows in ((Meeting, meetings), (MeetingRoom, choices), (Attendee, attendees), (Occurrence, occurrences), (Booking, bookings)):
            _copy(raw, model, rows)
        for table in ("meetings_meeting", "meetings_occurrence"):
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")  # noqa: S608 - fixed names
        cur.execute("ANALYZE")
    return {"units": units, "rooms": rooms, "secretaries": secretaries, "users": users, "first_monday": first_monday,
            "meetings": len(meetings), "occurrences": len(occurrences), "seconds": time.perf_counter() - began}


RAW_SQL = """
SELECT r.id, r.name, r.capacity, u.code
FROM meetings_room r JOIN meetings_unit u ON u.id = r.unit_id
WHERE r.is_active AND u.is_active AND r.capacity >= %(people)s
  AND (r.unit_id IN (SELECT m.unit_id FROM meetings_membership m WHERE m.user_id = %(user)s) OR r.shared)
  AND NOT EXISTS (
    SELECT 1 FROM meetings_booking b
    WHERE b.room_id = r.id AND b.status = 'confirmed'
      AND b.blocked_start < %(end)s + make_interval(mins => r.cleanup_buffer_minutes)
      AND b.blocked_end > %(start)s - make_interval(mins => r.setup_buffer_minutes))
ORDER BY r.capacity, r.unit_id, r.name
"""


def bench_availability(args: argparse.Namespace, data: dict) -> dict:
    from django.db import connection
    from django.test import Client

    from accounts.models import ApiToken
    from meetings import availability

    unit = data["units"][3]
    secretary = data["secretaries"][unit.pk]
    _, token = ApiToken.issue(secretary, "bench")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    rng = random.Random(7)
    questions = []
    for _ in range(args.queries + 20):
        day = data["first_monday"] + timedelta(days=rng.randrange(args.weeks * 7 - 7))
        while day.weekday() > 4:
            day += timedelta(days=1)
        start = datetime.combine(day, datetime.min.time(), TZ).replace(hour=rng.randrange(7, 16), minute=rng.choice([0, 30]))
        questions.append((start, start + timedelta(minutes=60), rng.randrange(5, 41)))

    state = {"in_finder": False, "finder_db": 0.0}

    def timer(execute, sql, params, many, context):
        t = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            if state["in_finder"]:
                state["finder_db"] += time.perf_counter() - t

    original = availability.find

    def timed_find(*a, **kw):
        state["in_finder"] = True
        try:
            return original(*a, **kw)
        finally:
            state["in_finder"] = False

    availability.find = timed_find
    api_ms, finder_db_ms, raw_ms, free_counts = [], [], [], []
    try:
        with connection.execute_wrapper(timer):
            for i, (start, end, people) in enumerate(questions):
                state["finder_db"] = 0.0
                t = time.perf_counter()
                r = client.get("/api/v1/availability/", {"start": start.isoformat(), "end": end.isoformat(), "people": people})
                elapsed = time.perf_counter() - t
                assert r.status_code == 200, r.content
                if i >= 20:  # warm-up
                    api_ms.append(elapsed * 1000)
                    finder_db_ms.append(state["finder_db"] * 1000)
                    free_counts.append(len(r.json()["rooms"]))
        with connection.cursor() as cur:
            for i, (start, end, people) in enumerate(questions):
                t = time.perf_counter()
                cur.execute(RAW_SQL, {"people": people, "user": secretary.pk, "start": start, "end": end})
                rows = cur.fetchall()
                if i >= 20:
                    raw_ms.append((time.perf_counter() - t) * 1000)
                    assert len(rows) == free_counts[i - 20], "the raw SQL and the finder disagree"
    finally:
        availability.find = original
    return {"api": api_ms, "finder_db": finder_db_ms, "raw": raw_ms, "free": free_counts}


def _booking_client(i: int, args: argparse.Namespace, unit_pk: int, secretary_pk: int, room_pks: list[int],
                    base: date, barrier, out) -> None:
    """One client: its own process (no shared GIL) and its own DB connection."""
    from django.db import connections

    from accounts.models import User
    from meetings.actions import MeetingInput, RoomChoice, create_meeting
    from meetings.booking import BookingConflict
    from meetings.models import Room, Unit

    connections.close_all()  # never reuse the parent's socket
    ok = clashed = 0
    try:
        unit = Unit.objects.get(pk=unit_pk)
        secretary = User.objects.get(pk=secretary_pk)
        rooms = list(Room.objects.filter(pk__in=room_pks).select_related("unit"))
        rng = random.Random(i)
        barrier.wait()
        for _ in range(args.bookings_per_client):
            day = base + timedelta(days=rng.randrange(5))
            start = datetime.combine(day, datetime.min.time(), TZ).replace(hour=rng.randrange(7, 17))
            data_in = MeetingInput(title="Họp", organizing_unit=unit, start=start, end=start + timedelta(minutes=60),
                                   rooms=[RoomChoice(rng.choice(rooms))])
            try:
                create_meeting(secretary, data_in)
                ok += 1
            except BookingConflict:
                clashed += 1
        out.put((ok, clashed, ""))
    except BaseException as exc:
        out.put((ok, clashed, repr(exc)))
    finally:
        connections.close_all()


def bench_booking(args: argparse.Namespace, data: dict) -> dict:
    import multiprocessing

    from django.db import connection, connections

    from meetings.models import Room

    rooms_by_unit: dict[int, list[int]] = {}
    for room in Room.objects.order_by("unit_id", "name"):
        rooms_by_unit.setdefault(room.unit_id, []).append(room.pk)
    base = data["first_monday"] + timedelta(weeks=args.weeks + 2)  # a fresh, contested window
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(args.clients + 1)
    out = ctx.Queue()
    connections.close_all()  # children must not inherit an open connection
    procs = []
    for i in range(args.clients):
        unit = data["units"][i % len(data["units"])]
        # 4 rooms per unit; clients of the same unit (and the series below) contend for them.
        procs.append(ctx.Process(target=_booking_client, args=(
            i, args, unit.pk, data["secretaries"][unit.pk].pk, rooms_by_unit[unit.pk][:4], base, barrier, out)))
    for p in procs:
        p.start()
    barrier.wait(timeout=120)
    began = time.perf_counter()
    results = [out.get(timeout=600) for _ in procs]
    wall = time.perf_counter() - began
    for p in procs:
        p.join()
    errors = [e for _, _, e in results if e]
    if errors:
        raise RuntimeError(errors[0])
    with connection.cursor() as cur:
        cur.execute("""
            SELECT count(*) FROM meetings_booking a JOIN meetings_booking b
              ON a.room_id = b.room_id AND a.id < b.id
             AND a.status = 'confirmed' AND b.status = 'confirmed'
             AND a.blocked_start < b.blocked_end AND b.blocked_start < a.blocked_end""")
        doubles = cur.fetchone()[0]
    return {"ok": sum(r[0] for r in results), "conflicts": sum(r[1] for r in results), "wall": wall, "doubles": doubles}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rooms-per-unit", type=int, default=20)
    parser.add_argument("--weeks", type=int, default=26)
    parser.add_argument("--queries", type=int, default=400)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--bookings-per-client", type=int, default=100)
    parser.add_argument("--keep", action="store_true", help="keep the bench database afterwards")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("Set DATABASE_URL=postgres://… (the bench runs on PostgreSQL only).")
    name = os.environ.get("BENCH_DATABASE_NAME", "quorum_bench")
    random.seed(42)
    total = time.perf_counter()
    bench_url = create_database(url, name)
    try:
        setup_django(bench_url)
        data = seed(args)
        print(f"seeded {len(data['units'])} units × {args.rooms_per_unit} rooms = {len(data['rooms'])} rooms, "
              f"{data['meetings']:,} weekly series, {data['occurrences']:,} booked occurrences in {data['seconds']:.1f} s")
        a = bench_availability(args, data)
        print(f"availability via API (Django test Client, in-process, Bearer token), n={len(a['api'])}: "
              f"p50 {_pct(a['api'], 50):.2f} ms, p95 {_pct(a['api'], 95):.2f} ms  (target p95 ≤ 30 ms)")
        print(f"  finder DB time: p50 {_pct(a['finder_db'], 50):.2f} ms, p95 {_pct(a['finder_db'], 95):.2f} ms, "
              f"mean {statistics.mean(a['finder_db']):.2f} ms")
        print(f"  raw SQL floor:  p50 {_pct(a['raw'], 50):.2f} ms, p95 {_pct(a['raw'], 95):.2f} ms, "
              f"mean {statistics.mean(a['raw']):.2f} ms")
        print(f"  finder DB / raw SQL (p50): {_pct(a['finder_db'], 50) / _pct(a['raw'], 50):.2f}×  (target ≤ 2×); "
              f"free rooms per answer: median {statistics.median(a['free']):.0f}")
        b = bench_booking(args, data)
        print(f"booking with {args.clients} concurrent clients (processes, own connections, actions.create_meeting): "
              f"{b['ok']} booked + {b['conflicts']} refused as conflicts in {b['wall']:.2f} s = "
              f"{b['ok'] / b['wall']:.0f} bookings/s ({(b['ok'] + b['conflicts']) / b['wall']:.0f} attempts/s)  (target ≥ 200/s)")
        print(f"double bookings (SQL self-join over confirmed bookings): {b['doubles']}  (target 0)")
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            drop_database(url, name)
    print(f"total {time.perf_counter() - total:.0f} s")


if __name__ == "__main__":
    main()
