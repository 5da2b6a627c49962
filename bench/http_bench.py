"""The code of bench/http.py (see its docstring); kept apart so that bench/http.py stays a
short entry point that other bench scripts never import in place of the standard `http`."""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import quote, urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import availability as ba  # noqa: E402 - after sys.path

APP_NAME = f"quorum-bench-http-{os.getpid()}"


def _per(spent: tuple[float, float], n: int) -> tuple[float, float]:
    return spent[0] * 1000 / n, spent[1] * 1000 / n


def _pct(values: list[float], p: float) -> float:
    return ba._pct(values, p) if values else float("nan")


# --- server and watcher -------------------------------------------------------------------


class Server:
    def __init__(self, app_dir: Path, env: dict[str, str], workers: int) -> None:
        # A free port by host and port, not `--fd`: uvicorn wraps an inherited descriptor as
        # AF_UNIX, so asyncio skips TCP_NODELAY and every response (headers, then body) waits
        # on Nagle and the client's delayed ACK, a fixed ~40 ms floor that production
        # (nginx in front, `--host/--port`) never pays.
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.log = open(f"/tmp/quorum-bench-http-{os.getpid()}.log", "w")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "config.asgi:application", "--host", "127.0.0.1",
             "--port", str(self.port), "--workers", str(workers),
             "--lifespan", "off", "--log-level", "warning", "--no-access-log", "--backlog", "2048"],
            cwd=app_dir, env=env, stdout=self.log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"uvicorn exited with {self.proc.returncode}, see {self.log.name}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=5) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.1)  # polling interval while the workers boot
        raise TimeoutError("uvicorn did not answer /healthz")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


class Watch(threading.Thread):
    """Peak sessions of the servers (by application name) on the bench database."""

    def __init__(self, url: str, db_name: str) -> None:
        super().__init__(daemon=True)
        import psycopg

        self.conn = psycopg.connect(url, autocommit=True)
        self.db_name = db_name
        self.peak = 0
        self.stopped = threading.Event()

    def count(self) -> int:
        return self.conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND application_name = %s",
                                 [self.db_name, APP_NAME]).fetchone()[0]

    def run(self) -> None:
        while not self.stopped.is_set():
            self.peak = max(self.peak, self.count())
            self.stopped.wait(0.02)  # 50 samples/s: more would load the server it watches


def _proc_cpu(pid: int) -> float:
    """CPU seconds (user + system) a process has used, from /proc (Linux)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class CpuMeter:
    """CPU time the servers (uvicorn and its workers) and their PostgreSQL sessions spend: a
    per-request cost that, unlike latency, barely moves when other work shares the machine."""

    def __init__(self, server: Server, watch: Watch) -> None:
        self.server, self.watch = server, watch
        self.backends: set[int] = set()  # PostgreSQL sessions seen so far

    def pids(self) -> tuple[list[int], list[int]]:
        root = self.server.proc.pid
        children = [int(p) for p in Path(f"/proc/{root}/task/{root}/children").read_text().split()]
        backends = [r[0] for r in self.watch.conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE application_name = %s", [APP_NAME]).fetchall()]
        return [root, *children], backends

    def sample(self) -> dict[int, float]:
        servers, backends = self.pids()
        self.backends.update(backends)
        return {pid: _proc_cpu(pid) for pid in servers + backends}

    def spent(self, before: dict[int, float], after: dict[int, float]) -> tuple[float, float]:
        """(servers, PostgreSQL sessions) CPU seconds between two samples."""
        used = {pid: cpu - before.get(pid, 0.0) for pid, cpu in after.items()}
        db = sum(v for pid, v in used.items() if pid in self.backends)
        return sum(used.values()) - db, db


class Client:
    def __init__(self, port: int, token: str, session: str | None = None) -> None:
        self.port = port
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        if session:  # a browser's session instead of a token (the HTML pages)
            self.headers = {"Cookie": f"sessionid={session}", "X-Forwarded-Proto": "https"}
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def get(self, path: str) -> tuple[int, bytes]:
        return self._do("GET", path, None)

    def post(self, path: str, body: dict) -> tuple[int, bytes]:
        return self._do("POST", path, json.dumps(body))

    def _do(self, method: str, path: str, body: str | None) -> tuple[int, bytes]:
        try:
            self.conn.request(method, path, body=body, headers=self.headers)
            r = self.conn.getresponse()
            return r.status, r.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
            raise


# --- phases ---------------------------------------------------------------------------------


def questions(data: dict, n: int, weeks: int) -> list[tuple[datetime, datetime, int]]:
    import random

    rng = random.Random(7)
    out = []
    for _ in range(n):
        day = data["first_monday"] + timedelta(days=rng.randrange(weeks * 7 - 7))
        while day.weekday() > 4:
            day += timedelta(days=1)
        start = datetime.combine(day, datetime.min.time(), ba.TZ).replace(hour=rng.randrange(7, 16), minute=rng.choice([0, 30]))
        out.append((start, start + timedelta(minutes=60), rng.randrange(5, 41)))
    return out


def avail_path(q: tuple[datetime, datetime, int]) -> str:
    start, end, people = q
    return f"/api/v1/availability/?start={quote(start.isoformat())}&end={quote(end.isoformat())}&people={people}"


def one_client(port: int, token: str, paths: list[str], warm: int = 10,
               session: str | None = None) -> tuple[list[float], list[bytes], list[int]]:
    c = Client(port, token, session)
    times, bodies, bad = [], [], []
    for i, path in enumerate(paths[:warm] + paths):
        t = time.perf_counter()
        status, body = c.get(path)
        elapsed = (time.perf_counter() - t) * 1000
        if status != 200:
            bad.append(status)
        if i >= warm:
            times.append(elapsed)
            bodies.append(body)
    return times, bodies, bad


def sql_floor(url: str, secretary_id: int, qs: list[tuple[datetime, datetime, int]]) -> list[float]:
    """The question as one hand-written query (the faster formulation of bench/availability.py),
    one round trip each, from this process."""
    import psycopg

    sql = ba.RAW_SQL["last booking before end (btree)"]
    times = []
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        for i, (start, end, people) in enumerate(qs[:10] + qs):
            t = time.perf_counter()
            cur.execute(sql, {"people": people, "user": secretary_id, "start": start, "end": end})
            cur.fetchall()
            if i >= 10:
                times.append((time.perf_counter() - t) * 1000)
    return times


def throughput(port: int, token: str, paths: list[str], clients: int, seconds: float) -> tuple[int, list[int], float]:
    done = [0] * clients
    bad: list[int] = []
    stop = threading.Event()
    barrier = threading.Barrier(clients + 1)

    def run(k: int) -> None:
        c = Client(port, token)
        c.get(paths[k])  # connect and warm before the clock
        barrier.wait()
        i = k
        while not stop.is_set():
            status, _ = c.get(paths[i % len(paths)])
            if status != 200:
                bad.append(status)
            done[k] += 1
            i += clients

    threads = [threading.Thread(target=run, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    barrier.wait()
    began = time.perf_counter()
    time.sleep(seconds)  # the measurement window
    stop.set()
    for t in threads:
        t.join()
    return sum(done), bad, time.perf_counter() - began


WRK_SCRIPT = """
local paths = {}
for line in io.lines(os.getenv("WRK_PATHS")) do paths[#paths + 1] = line end
local i = 0
wrk.headers["Authorization"] = "Bearer " .. os.getenv("WRK_TOKEN")
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i % #paths) + 1])
end
"""


def throughput_wrk(port: int, token: str, paths: list[str], clients: int, seconds: float) -> tuple[int, list[int], float]:
    """The same window with wrk (C, one thread per core): the Python client above spends as
    much CPU as the server it measures on a 2-core machine, so req/s there is a floor."""
    import shutil
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        lua, lst = Path(tmp, "paths.lua"), Path(tmp, "paths.txt")
        lua.write_text(WRK_SCRIPT)
        lst.write_text("\n".join(paths) + "\n")
        out = subprocess.run(
            [shutil.which("wrk") or "wrk", "-t2", f"-c{clients}", f"-d{seconds:.0f}s", "-s", str(lua), "--latency",
             f"http://127.0.0.1:{port}"],
            env={**os.environ, "WRK_PATHS": str(lst), "WRK_TOKEN": token}, capture_output=True, text=True, check=True,
        ).stdout
    requests = int(next(line.split()[0] for line in out.splitlines() if "requests in" in line))
    bad = []
    for line in out.splitlines():
        if "Non-2xx or 3xx responses:" in line:
            bad = [0] * int(line.split(":")[1])
    return requests, bad, seconds


def bookings(port: int, plans: list[dict], tokens: dict[int, str], codes: dict[int, str]) -> dict:
    results: list[tuple[int, float]] = []
    lock = threading.Lock()
    barrier = threading.Barrier(len(plans) + 1)
    spans: list[tuple[float, float]] = []

    def body(plan: dict, room: int, start: datetime) -> dict:
        return {"title": "Họp", "organizing_unit": codes[plan["unit"]], "start": start.isoformat(),
                "end": (start + ba.MEETING).isoformat(), "rooms": [{"room": room}]}

    def run(plan: dict) -> None:
        c = Client(port, tokens[plan["secretary"]])
        status, content = c.post("/api/v1/meetings/", body(plan, *plan["warm_up"]))
        assert status == 201, content[:300]
        barrier.wait()
        began = time.perf_counter()
        mine = []
        for room, start in plan["attempts"]:
            t = time.perf_counter()
            status, _ = c.post("/api/v1/meetings/", body(plan, room, start))
            mine.append((status, (time.perf_counter() - t) * 1000))
        with lock:
            results.extend(mine)
            spans.append((began, time.perf_counter()))

    threads = [threading.Thread(target=run, args=(p,)) for p in plans]
    for t in threads:
        t.start()
    barrier.wait()
    for t in threads:
        t.join()
    wall = max(e for _, e in spans) - min(b for b, _ in spans)
    statuses = [s for s, _ in results]
    return {"ok": statuses.count(201), "refused": statuses.count(409), "other": [s for s in statuses if s not in (201, 409)],
            "wall": wall, "latency": [ms for _, ms in results]}


# --- main -----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--bookings-per-client", type=int, default=60)
    parser.add_argument("--contested", type=float, default=0.1)
    parser.add_argument("--rooms-per-unit", type=int, default=20)
    parser.add_argument("--weeks", type=int, default=26)
    parser.add_argument("--app-dir", type=Path, default=ROOT)
    parser.add_argument("--env", action="append", default=[], help="K=V for the servers' environment")
    parser.add_argument("--answers", type=Path, help="store availability answers here, or compare with them")
    parser.add_argument("--label", default="")
    parser.add_argument("--only", default="avail,list,calendar,ics,mine,rps,book",
                        help="phases to run, comma-separated (default: all)")
    parser.add_argument("--client", choices=("auto", "wrk", "python"), default="auto",
                        help="the req/s phase's client: wrk if installed (auto), or Python threads")
    args = parser.parse_args()
    only = set(args.only.split(","))
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("Set DATABASE_URL=postgres://… (the bench runs on PostgreSQL only).")
    redis_url = os.environ.get("REDIS_URL", "")
    name = os.environ.get("BENCH_DATABASE_NAME", "quorum_bench")
    bench_url = urlunparse(urlparse(url)._replace(path=f"/{name}")) if args.reuse else ba.create_database(url, name)
    print(f"host: {os.cpu_count()} CPUs, load {ba.loadavg()}, reference loop {ba.reference_ms():.1f} ms; "
          f"serving {args.app_dir} {args.label} {' '.join(args.env)}")
    ba.setup_django(bench_url)  # this process: seeding, tokens, checks (bench.settings)
    from accounts.models import ApiToken
    from integrations.calendar.models import FeedToken
    from meetings.models import Room

    if args.reuse:
        data = ba.load_data()
    else:
        ns = argparse.Namespace(rooms_per_unit=args.rooms_per_unit, weeks=args.weeks)
        data = ba.seed(ns)
        print(f"seeded {len(data['rooms'])} rooms, {data['occurrences']:,} booked occurrences in {data['seconds']:.0f} s")
    unit = data["units"][3]
    secretary = data["secretaries"][unit.pk]
    _, token = ApiToken.issue(secretary, "bench-http")
    room = Room.objects.filter(unit=unit).order_by("name").first()
    _, feed = FeedToken.issue(secretary, FeedToken.Kind.ROOM, room=room)
    # My meetings is a page: a member of the unit (on about 190 weekly series, 5,000 sittings)
    # with a session made here (same secret key as the servers, sessions in the database).
    from django.test import Client as BrowserClient

    member = data["users"][unit.pk][0]
    browser = BrowserClient()
    browser.force_login(member)
    session = browser.cookies["sessionid"].value
    _, personal_feed = FeedToken.issue(member, FeedToken.Kind.PERSONAL)
    qs = questions(data, args.queries, args.weeks)
    week = data["first_monday"] + timedelta(weeks=2)
    cal_from = datetime.combine(week, datetime.min.time(), ba.TZ)
    cal = f"/api/v1/calendar/?from={quote(cal_from.isoformat())}&to={quote((cal_from + timedelta(days=7)).isoformat())}"

    booking_args = argparse.Namespace(clients=args.clients, bookings_per_client=args.bookings_per_client, contested=args.contested)
    from django.db.models import Max
    from django.utils import timezone

    from meetings.models import Booking

    last = timezone.localtime(Booking.objects.aggregate(last=Max("start"))["last"]).date()
    plans = ba._plans(booking_args, data, last + timedelta(days=14 - last.weekday()))
    tokens = {p["secretary"]: ApiToken.issue(data["secretaries"][p["unit"]], "bench-http")[1] for p in plans}
    codes = {u.pk: u.code for u in data["units"]}
    from django.db import connections

    connections.close_all()

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "DATABASE_URL": bench_url, "DEBUG": "false", "SECURE_SSL_REDIRECT": "false",
           "SECRET_KEY": os.environ["SECRET_KEY"], "PGAPPNAME": APP_NAME, "HUEY_NAME": APP_NAME,
           "CACHE_PREFIX": APP_NAME, "LOG_LEVEL": "ERROR", "HUEY_IMMEDIATE": "false"}
    if redis_url:
        env["REDIS_URL"] = redis_url
    for kv in args.env:
        k, _, v = kv.partition("=")
        env[k] = v
    for k in ("QUORUM_TESTING", "QUORUM_EMBEDDED"):
        env.pop(k, None)
    dsn = urlunparse(urlparse(url)._replace(path=f"/{name}"))
    watch = Watch(dsn, name)
    server = Server(args.app_dir, env, args.workers)
    watch.start()
    meter = CpuMeter(server, watch)
    cpu: dict[str, tuple[float, float]] = {}  # (server, database) CPU ms per request, by phase
    out: dict = {}
    try:
        if "avail" in only:
            load = ba.loadavg()
            before = meter.sample()
            times, bodies, bad = one_client(server.port, token, [avail_path(q) for q in qs])
            cpu["avail"] = _per(meter.spent(before, meter.sample()), (len(times) + 10))
            floor = sql_floor(dsn, secretary.pk, qs)
            out["avail"] = (times, floor, bad, load)
            if args.answers:
                answers = [json.loads(b) for b in bodies]
                if args.answers.exists():
                    stored = json.loads(args.answers.read_text())
                    same = sum(a == b for a, b in zip(answers, stored, strict=True))
                    print(f"answers: {same}/{len(answers)} identical to {args.answers}")
                else:
                    args.answers.write_text(json.dumps(answers))
                    print(f"answers stored in {args.answers}")
        for key, label, path in (("list", "meeting list (limit 50)", "/api/v1/meetings/?limit=50"),
                                 ("calendar", "calendar API, one week", cal),
                                 ("ics", "room ICS feed", f"/feeds/{feed}.ics"),
                                 ("mine", "My meetings page (/me/)", "/me/"),
                                 ("ics", "personal ICS feed", f"/feeds/{personal_feed}.ics")):
            if key in only:
                load = ba.loadavg()
                before = meter.sample()
                t, _b, bad = one_client(server.port, token, [path] * 100, session=session if key == "mine" else None)
                cpu[label] = _per(meter.spent(before, meter.sample()), (len(t) + 10))
                out[label] = (t, bad, load)
        if "rps" in only:
            import shutil

            use_wrk = args.client == "wrk" or (args.client == "auto" and shutil.which("wrk"))
            load = ba.loadavg()
            run = throughput_wrk if use_wrk else throughput
            before = meter.sample()
            n, bad, wall = run(server.port, token, [avail_path(q) for q in qs], args.clients, args.seconds)
            cpu["rps"] = _per(meter.spent(before, meter.sample()), max(n, 1))
            out["rps"] = (n / wall, bad, load, "wrk" if use_wrk else "Python threads")
        if "book" in only:
            load = ba.loadavg()
            before, mine = meter.sample(), time.process_time()
            out["book"] = (bookings(server.port, plans, tokens, codes), load)
            b = out["book"][0]
            n = b["ok"] + b["refused"] + len(b["other"]) + len(plans)
            cpu["book"] = _per(meter.spent(before, meter.sample()), n)
            b["client_cpu"] = (time.process_time() - mine) * 1000 / n  # this process: the 16 clients
        peak_now = watch.peak
    finally:
        watch.stopped.set()
        server.stop()
    import psycopg

    with psycopg.connect(dsn) as conn:
        doubles = conn.execute("""
            SELECT count(*) FROM meetings_booking a JOIN meetings_booking b
              ON a.room_id = b.room_id AND a.id < b.id AND a.status = 'confirmed' AND b.status = 'confirmed'
             AND a.blocked_start < b.blocked_end AND b.blocked_start < a.blocked_end""").fetchone()[0]
    if redis_url:
        import redis

        r = redis.Redis.from_url(redis_url)
        for key in r.scan_iter(f"*{APP_NAME}*"):
            r.delete(key)
    if not args.keep and not args.reuse:
        ba.drop_database(url, name)

    print()
    print(f"| {args.label or 'Quorum'} (load avg at each phase) | value |")
    print("|---|---|")
    if "avail" in out:
        times, floor, bad, load = out["avail"]
        print(f"| availability, 1 client, p50 / p95 (load {load}) | {_pct(times, 50):.1f} / {_pct(times, 95):.1f} ms"
              f"{f' ({len(bad)} non-200)' if bad else ''} |")
        print(f"| SQL floor of the same questions, p50 / p95 | {_pct(floor, 50):.1f} / {_pct(floor, 95):.1f} ms |")
    for label in ("meeting list (limit 50)", "calendar API, one week", "room ICS feed", "My meetings page (/me/)",
                  "personal ICS feed"):
        if label in out:
            t, bad, load = out[label]
            print(f"| {label}, 1 client, p50 / p95 (load {load}) | {_pct(t, 50):.1f} / {_pct(t, 95):.1f} ms"
                  f"{f' ({len(bad)} non-200)' if bad else ''} |")
    if "rps" in out:
        rps, bad, load, client = out["rps"]
        print(f"| availability, {args.clients} connections, {client} (load {load}) | {rps:.0f} req/s"
              f"{f' ({len(bad)} non-200)' if bad else ''} |")
    if "book" in out:
        b, bload = out["book"]
        print(f"| bookings, {args.clients} clients (load {bload}) | {b['ok'] / b['wall']:.0f} bookings/s, "
              f"{b['refused']} refused (409), {len(b['other'])} other{f' {sorted(set(b["other"]))}' if b['other'] else ''}; "
              f"p50 / p95 {_pct(b['latency'], 50):.0f} / {_pct(b['latency'], 95):.0f} ms; "
              f"the clients' own CPU {b['client_cpu']:.1f} ms a booking |")
    print(f"| double bookings (SQL self-join) | {doubles} |")
    print(f"| peak PostgreSQL sessions of the servers | {peak_now} |")
    print(f"| reference loop at the end (bench/availability.reference_ms) | {ba.reference_ms():.1f} ms |")
    if cpu:
        print()
        print("| CPU per request: uvicorn processes + their PostgreSQL sessions | ms |")
        print("|---|---|")
        names = {"avail": "availability, 1 client", "rps": "availability under load", "book": "one booking"}
        for key, (server, db) in cpu.items():
            print(f"| {names.get(key, key)} | {server + db:.1f} ({server:.1f} + {db:.1f}) |")


if __name__ == "__main__":
    main()
