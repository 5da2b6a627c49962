"""Benchmark of the secretary's pages on PostgreSQL: the meeting page of a weekly series with
300 attendees, and the composer's room-finder partial at 400 rooms and ~200,000 occurrences.

Usage (PostgreSQL must be running; nothing is written to the database named in the URL):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/quorum .venv/bin/python -u bench/meeting_pages.py

Options: --requests 300 (per measurement), --weeks 26 (≈ 208,000 occurrences), --keep, --reuse
(both as in bench/availability.py, whose seeder and database helpers this script reuses:
BENCH_DATABASE_NAME, default `quorum_bench_pages`). Requests go through Django's test Client
in-process (full middleware stack, session login, view, template; no socket): "server time".
The query count of each page is measured on a small and on the big case and must be equal.
The host's load average is printed beside the figures: the machine may be shared.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.availability import (  # noqa: E402 - after the path set-up
    TZ,
    _pct,
    create_database,
    drop_database,
    load_data,
    loadavg,
    seed,
    setup_django,
)
from bench.clients import page_client  # noqa: E402 - after the path set-up

TARGET_PAGE_MS = 80.0
TARGET_FINDER_MS = 50.0


def _series(data: dict, people: int, weeks: int, title: str, slot_day: int) -> object:
    """A weekly hybrid-looking series organised by the department, `people` attendees (seeded
    users first, then outside addresses), one delivered invitation per person, and refused
    and requested rooms so that every part of the page has rows."""
    from integrations.calendar.models import Delivery
    from meetings import actions
    from meetings.models import Attendee, Booking, Meeting, Room

    existing = Meeting.objects.filter(title=title).first()
    if existing is not None:  # --reuse
        return existing
    dept = data["units"][0]
    secretary = data["secretaries"][dept.pk]
    users = [u for unit in data["units"] for u in data["users"][unit.pk]]
    emails = [u.email for u in users[:people]] + [f"khach{i}@benhvien{i % 7}.vn" for i in range(max(0, people - len(users)))]
    # A free evening slot: the seeded meetings end by 16:20 on weekdays.
    base = data["first_monday"] + timedelta(days=slot_day)
    start = datetime.combine(base, datetime.min.time(), TZ).replace(hour=16, minute=30)
    rooms = [r for r in Room.objects.filter(unit=dept).order_by("-capacity")][:1]
    big_rooms = list(Room.objects.filter(shared=True).exclude(unit=dept).order_by("-capacity")[:2])
    meeting = actions.create_meeting(secretary, actions.MeetingInput(
        title=title, organizing_unit=dept, start=start, end=start + timedelta(minutes=90), rrule=f"FREQ=WEEKLY;COUNT={weeks}",
        rooms=[actions.RoomChoice(r, min(people, r.capacity)) for r in rooms + big_rooms], is_urgent=True, urgent_reason="bench",
        attendees=[actions.AttendeeInput(email=e) for e in emails]))
    attendees = list(Attendee.objects.filter(meeting=meeting))
    Delivery.objects.bulk_create(Delivery(attendee=a, meeting=meeting, uid=str(meeting.uid), kind="request", sequence=0,
                                          first=True, status="sent") for a in attendees)
    rsvps = ["accepted", "tentative", "declined", "needs_action"]
    for i, a in enumerate(attendees):
        a.rsvp = rsvps[i % 4]
    Attendee.objects.bulk_update(attendees, ["rsvp"])
    Booking.objects.filter(occurrence__meeting=meeting, occurrence__index=1, room=big_rooms[0]).update(
        status="rejected", decision_note="bench")
    return meeting


def _measure(client, method: str, url: str, n: int, payload=None) -> tuple[list[float], int, list[float]]:
    """Wall-clock server time per request, the query count, and this process's CPU time per
    request (less disturbed by other processes on a shared machine; excludes PostgreSQL's)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    call = client.get if method == "get" else client.post
    call(url, payload() if payload else None)  # the session's first request does its own bookkeeping
    with CaptureQueriesContext(connection) as ctx:
        response = call(url, payload() if payload else None)
    assert response.status_code == 200, response.status_code
    queries = len(ctx.captured_queries)
    times, cpu = [], []
    for _ in range(n):
        data = payload() if payload else None
        began, began_cpu = time.perf_counter(), time.process_time()
        response = call(url, data)
        times.append((time.perf_counter() - began) * 1000)
        cpu.append((time.process_time() - began_cpu) * 1000)
        assert response.status_code == 200
    return times, queries, cpu


def bench_meeting_page(args: argparse.Namespace, data: dict) -> dict:

    small = _series(data, 30, 4, "Giao ban nhỏ (bench)", slot_day=0)
    big = _series(data, 300, args.series_weeks, "Giao ban toàn ngành (bench)", slot_day=1)
    client = page_client(data["secretaries"][data["units"][0].pk])
    _, small_queries, _cpu = _measure(client, "get", f"/meetings/{small.uid}/", 3)
    load = loadavg()
    times, big_queries, cpu = _measure(client, "get", f"/meetings/{big.uid}/", args.requests)
    return {"p50": statistics.median(times), "p95": _pct(times, 95), "queries": (small_queries, big_queries), "load": load,
            "after": loadavg(), "cpu95": _pct(cpu, 95)}


def bench_finder(args: argparse.Namespace, data: dict) -> dict:

    unit = data["units"][3]
    client = page_client(data["secretaries"][unit.pk])
    rng = random.Random(7)

    def payload() -> dict:
        day = data["first_monday"] + timedelta(days=rng.randrange(0, args.weeks * 7 - 7))
        while day.weekday() > 4:
            day += timedelta(days=1)
        hour = rng.choice([8, 9, 10, 13, 14, 15])
        return {"organizing_unit": unit.pk, "start": f"{day:%Y-%m-%d}T{hour:02}:00", "end": f"{day:%Y-%m-%d}T{hour + 1:02}:00",
                "people": str(rng.randint(5, 40)), "title": "x", "mode": "in_person", "sensitivity": "normal", "token": "t"}

    _measure(client, "post", "/meetings/new/rooms/", 5, payload)  # warm-up: returns (times, queries, cpu)
    load = loadavg()
    times, queries, cpu = _measure(client, "post", "/meetings/new/rooms/", args.requests, payload)
    return {"p50": statistics.median(times), "p95": _pct(times, 95), "queries": queries, "load": load, "after": loadavg(),
            "cpu95": _pct(cpu, 95)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--weeks", type=int, default=26)
    parser.add_argument("--series-weeks", type=int, default=26, help="sittings of the 300-attendee series")
    parser.add_argument("--rooms-per-unit", type=int, default=20)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--reuse", action="store_true")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("Set DATABASE_URL=postgres://… (the benchmark runs on PostgreSQL).")
    name = os.environ.get("BENCH_DATABASE_NAME", "quorum_bench_pages")
    print(f"host: {os.cpu_count()} CPUs, load average (1/5/15 min) {loadavg()}")
    began = time.perf_counter()
    if args.reuse:
        from urllib.parse import urlparse, urlunparse

        setup_django(urlunparse(urlparse(url)._replace(path=f"/{name}")))
        data = load_data()
        print("reusing the seeded database")
    else:
        setup_django(create_database(url, name))
        data = seed(args)
        print(f"seeded {data['occurrences']:,} occurrences of {data['meetings']:,} series in {data['seconds']:.0f} s "
              f"(load {loadavg()})")
    from meetings.models import Occurrence, Room

    print(f"database: {Room.objects.count()} rooms, {Occurrence.objects.count():,} occurrences")
    try:
        page = bench_meeting_page(args, data)
        finder = bench_finder(args, data)
    finally:
        if not args.keep:
            from django.db import connections

            connections.close_all()
            drop_database(url, name)
    ok_page = page["p95"] <= TARGET_PAGE_MS and page["queries"][0] == page["queries"][1]
    ok_finder = finder["p95"] <= TARGET_FINDER_MS
    print()
    print(f"Summary ({time.perf_counter() - began:.0f} s; load average before/after each measurement shown)")
    print("| measurement | p50 | p95 | p95 CPU (Django) | queries | target | load avg | ok |")
    print("|---|---|---|---|---|---|---|---|")
    print(f"| meeting page, weekly series × {args.series_weeks}, 300 attendees | {page['p50']:.1f} ms | {page['p95']:.1f} ms | {page['cpu95']:.1f} ms | "
          f"{page['queries'][1]} (30 attendees × 4: {page['queries'][0]}) | p95 ≤ {TARGET_PAGE_MS:.0f} ms, constant | "
          f"{page['load']} → {page['after']} | {'yes' if ok_page else 'NO'} |")
    print(f"| composer room finder, 400 rooms | {finder['p50']:.1f} ms | {finder['p95']:.1f} ms | {finder['cpu95']:.1f} ms | {finder['queries']} | "
          f"p95 ≤ {TARGET_FINDER_MS:.0f} ms | {finder['load']} → {finder['after']} | {'yes' if ok_finder else 'NO'} |")


if __name__ == "__main__":
    main()
