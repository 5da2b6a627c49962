"""The read path in-process: the meeting list, the calendar API, My meetings and the personal
ICS feed, on the bench data that bench/http.py --keep left (BENCH_DATABASE_NAME, default
`quorum_bench`), without a socket, so that the figures say where a request's time goes.

Usage:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/quorum BENCH_DATABASE_NAME=quorum_bench \\
        .venv/bin/python -u bench/read_path.py [--runs 50] [--profile list] [--answers FILE]

For each endpoint (Django's test Client: full middleware stack, token or session auth,
view, rendering): queries per request, and per request the process CPU time, the SQL time
(summed over the queries, measured around each execute) and the wall time, p50/p95 over
--runs requests after a warm-up. CPU time, not wall time, is the figure to compare on a
shared machine. --profile NAME prints cProfile's top functions for one endpoint.
--answers FILE stores every JSON answer of a set of users and queries (a secretary, a unit
member, a department leader, a superuser) or, if FILE exists, compares them with it.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import quote, urlparse, urlunparse

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import availability as ba


def _pct(values: list[float], p: float) -> float:
    return ba._pct(values, p)


class SqlTimer:
    def __init__(self) -> None:
        self.seconds = 0.0
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        t = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - t
            self.count += 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--profile", default="")
    parser.add_argument("--answers", type=Path)
    parser.add_argument("--explain", default="", help="EXPLAIN ANALYZE the queries of this endpoint")
    parser.add_argument("--only", default="list,calendar,me,feed")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("Set DATABASE_URL=postgres://… and BENCH_DATABASE_NAME (a database bench/http.py --keep left).")
    name = os.environ.get("BENCH_DATABASE_NAME", "quorum_bench")
    os.environ["SECURE_SSL_REDIRECT"] = "false"  # plain HTTP in-process, as the benches' servers
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    # bench.settings as availability.setup_django sets it up, but with Redis (the cache of
    # production: token lookups and feed ETags) when REDIS_URL is given.
    os.environ["DATABASE_URL"] = urlunparse(urlparse(url)._replace(path=f"/{name}"))
    os.environ.setdefault("SECRET_KEY", "bench-read-path-" + "x" * 40)
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    if not os.environ.get("REDIS_URL"):
        call_command("createcachetable", verbosity=0)
    from django.db import connection
    from django.test import Client

    from accounts.models import ApiToken, User
    from integrations.calendar.models import FeedToken
    from meetings.models import Membership, Unit

    data = ba.load_data()
    unit = data["units"][3]
    secretary = data["secretaries"][unit.pk]
    member = data["users"][unit.pk][0]
    leader, _ = User.objects.get_or_create(email="leader@soyte.vn", defaults={"full_name": "Lãnh đạo Sở"})
    Membership.objects.get_or_create(user=leader, unit=Unit.objects.get(code="soyte"), role=Membership.Role.LEADER)
    admin, _ = User.objects.get_or_create(email="root@soyte.vn", defaults={"full_name": "Quản trị", "is_superuser": True, "is_staff": True})
    tokens = {u.pk: ApiToken.issue(u, "bench-read")[1] for u in (secretary, member, leader, admin)}
    FeedToken.objects.filter(owner=member, kind=FeedToken.Kind.PERSONAL).delete()
    _, feed = FeedToken.issue(member, FeedToken.Kind.PERSONAL)

    week = data["first_monday"] + timedelta(weeks=2)
    lo = datetime.combine(week, datetime.min.time(), ba.TZ)

    def rng(days: int, start: datetime = lo) -> str:
        return f"from={quote(start.isoformat())}&to={quote((start + timedelta(days=days)).isoformat())}"

    cal = f"/api/v1/calendar/?{rng(7)}"
    endpoints = {
        "list": (secretary, "/api/v1/meetings/?limit=50", "token"),
        "calendar": (secretary, cal, "token"),
        "me": (member, "/me/", "session"),
        "feed": (member, f"/feeds/{feed}.ics", "none"),
    }

    def client_for(user: User, auth: str) -> Client:
        if auth == "token":
            return Client(HTTP_AUTHORIZATION=f"Bearer {tokens[user.pk]}")
        c = Client()
        if auth == "session":
            c.force_login(user)
        return c

    if args.answers:
        paths = [
            "/api/v1/meetings/?limit=50", "/api/v1/meetings/?limit=50&offset=150", "/api/v1/meetings/?limit=200&offset=1000",
            f"/api/v1/meetings/?limit=20&{rng(7)}", f"/api/v1/meetings/?limit=30&{rng(3)}&unit=dv05",
            "/api/v1/meetings/?status=scheduled&q=Giao%20ban%201&limit=40", "/api/v1/meetings/",
            cal, f"{cal}&unit=dv03", f"{cal}&unit=dv07", f"/api/v1/calendar/?{rng(31, lo - timedelta(days=3))}",
            f"/api/v1/calendar/?{rng(1)}",
        ]
        got = {}
        for user in (secretary, member, leader, admin):
            c = client_for(user, "token")
            for p in paths:
                r = c.get(p)
                assert r.status_code in (200, 400), (user.email, p, r.status_code, r.content[:200], dict(r.headers))
                if not r.content.startswith((b"{", b"[")):
                    sys.exit(f"{user.email} {p} {r.status_code} {r.content[:300]!r}")
                got[f"{user.email} {p}"] = [r.status_code, json.loads(r.content)]
        from meetings import mine

        for user in (member, secretary):  # My meetings: the sittings on each page, in order
            for past, ahead in ((1, 1), (2, 1), (1, 2), (3, 4)):
                pg = mine.page_for(user, past_page=past, ahead_page=ahead)
                got[f"{user.email} /me/?past={past}&ahead={ahead}"] = [
                    [[c.occurrence.pk, c.attendee.pk if c.attendee else None, [b.pk for b in c.rooms]] for c in cards]
                    for cards in (pg.today, pg.upcoming, pg.past)] + [pg.more_upcoming, pg.more_past]
        if args.answers.exists():
            stored = json.loads(args.answers.read_text())
            diff = [k for k in stored if stored[k] != got.get(k)]
            print(f"answers: {len(stored) - len(diff)}/{len(stored)} identical to {args.answers}")
            for k in diff[:10]:
                print("  differs:", k)
        else:
            args.answers.write_text(json.dumps(got, ensure_ascii=False, sort_keys=True))
            sizes = {k: len(v[1]["results"]) if isinstance(v[1], dict) and "results" in v[1] else len(v[1]) for k, v in got.items()}
            print(f"answers stored in {args.answers} ({len(got)} answers; sizes {sorted(set(sizes.values()))})")

    print(f"host: {os.cpu_count()} CPUs, load {ba.loadavg()}; {args.runs} requests each after 5 warm-up")
    print("| endpoint | queries | CPU p50 / p95 ms | SQL seen by Django p50 / p95 ms | SQL execution (EXPLAIN ANALYZE) ms "
          "| wall p50 / p95 ms | bytes |")
    print("|---|---|---|---|---|---|---|")
    from django.test.utils import CaptureQueriesContext

    from config.sqlplans import custom_plans

    for key in args.only.split(","):
        user, path, auth = endpoints[key]
        c = client_for(user, auth)
        for _ in range(5):
            r = c.get(path)
            assert r.status_code == 200, (path, r.status_code, r.content[:300])
        cpu, sql, wall, counts = [], [], [], set()
        for _ in range(args.runs):
            timer = SqlTimer()
            with connection.execute_wrapper(timer):
                c0, w0 = time.process_time(), time.perf_counter()
                r = c.get(path)
                cpu.append((time.process_time() - c0) * 1000)
                wall.append((time.perf_counter() - w0) * 1000)
            sql.append(timer.seconds * 1000)
            counts.add(timer.count)
        # The server's own planning + execution time of the request's statements (planned
        # for their values), summed per request; the median of 5.
        with CaptureQueriesContext(connection) as ctx:
            c.get(path)
        server = []
        with custom_plans(), connection.cursor() as cur:
            for _ in range(5):
                total = 0.0
                for q in ctx.captured_queries:
                    if not q["sql"].lstrip().upper().startswith("SELECT"):
                        continue
                    cur.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + q["sql"])
                    plan = cur.fetchone()[0]
                    plan = json.loads(plan) if isinstance(plan, str) else plan
                    total += plan[0]["Planning Time"] + plan[0]["Execution Time"]
                server.append(total)
        print(f"| {key} | {'/'.join(map(str, sorted(counts)))} | {_pct(cpu, 50):.1f} / {_pct(cpu, 95):.1f} "
              f"| {_pct(sql, 50):.1f} / {_pct(sql, 95):.1f} | {_pct(server, 50):.1f} "
              f"| {_pct(wall, 50):.1f} / {_pct(wall, 95):.1f} | {len(r.content):,} |")
        if key == args.explain:
            for q in ctx.captured_queries:
                print("\n" + q["sql"][:1500])
                with connection.cursor() as cur:
                    cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + q["sql"])
                    print("\n".join("    " + row[0] for row in cur.fetchall()))
        if key == args.profile:
            prof = cProfile.Profile()
            prof.enable()
            for _ in range(20):
                c.get(path)
            prof.disable()
            stats = pstats.Stats(prof)
            stats.sort_stats("tottime").print_stats(25)
            stats.sort_stats("cumulative").print_stats(45)


if __name__ == "__main__":
    main()
