"""Presence and live-edit fan-out: 300 WebSocket clients on one minutes page, 2 servers, Redis.

    REDIS_URL=redis://127.0.0.1:6379/15 .venv/bin/python bench/presence.py [--clients 300]

Measures, from the clients' side (all in this process, so figures include its own load):
- join: from a newcomer starting its WebSocket handshake until every other client has its
  presence "join" (p50/p95 over the trials; newcomers alternate between the servers);
- edit: from one editor sending a Yjs update until every other client has received it;
- burst: 100 edits sent back to back; every client must receive all, in order (checked);
- memory: server RSS growth per connection.
The database is a throw-away SQLite file unless DATABASE_URL is given (then: a new database).
Targets (issue 5): p95 ≤ 200 ms, zero lost or reordered edits.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def setup_django(db_path: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["QUORUM_TESTING"] = "true"
    if not os.environ.get("DATABASE_URL"):
        os.environ["SQLITE_PATH"] = db_path
    # The meeting's 340 invitations go to files beside the database, not 50,000 lines of console.
    os.environ.setdefault("EMAIL_FILE_PATH", str(Path(db_path).parent / "mail"))
    import django

    django.setup()


def build_world(n_clients: int) -> dict:
    """A unit, a secretary, n attendees and one meeting; a session cookie for each person."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from accounts.models import User
    from meetings.actions import AttendeeInput, MeetingInput, RoomChoice, create_meeting
    from meetings.models import Membership, Room, Unit
    from minutes.actions import ensure_minutes
    from tests.factories import at, working_day

    tag = uuid.uuid4().hex[:6]
    dept = Unit.objects.create(code=f"so{tag}", name="Sở Y tế", short_name="Sở Y tế", kind="department")
    unit = Unit.objects.create(code=f"bv{tag}", name="Bệnh viện", short_name="BV", kind="hospital", parent=dept)
    room = Room.objects.create(unit=unit, name=f"Hội trường {tag}", capacity=500)
    secretary = User.objects.create_user(email=f"thuky{tag}@bench.vn", password=None, full_name="Thư Ký")
    Membership.objects.create(user=secretary, unit=unit, role=Membership.Role.SECRETARY)
    people = User.objects.bulk_create(
        User(email=f"p{i}-{tag}@bench.vn", full_name=f"Người {i}", password="!") for i in range(n_clients + 40))
    meeting = create_meeting(secretary, MeetingInput(
        title="Bench", organizing_unit=unit, start=at(working_day(5), 8), end=at(working_day(5), 11),
        agenda="Nội dung", rooms=[RoomChoice(room)],
        attendees=[AttendeeInput(email=p.email, user=p) for p in people]))
    minutes = ensure_minutes(meeting.occurrences.get())

    def cookie(user: User) -> str:
        s = SessionStore()
        s[SESSION_KEY], s[BACKEND_SESSION_KEY] = str(user.pk), settings.AUTHENTICATION_BACKENDS[0]
        s[HASH_SESSION_KEY] = user.get_session_auth_hash()
        s.create()
        return s.session_key

    return {
        "occ": minutes.occurrence_id,
        "section": minutes.sections.first().pk,
        "editor": cookie(secretary),
        "cookies": [cookie(p) for p in people],
    }


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def run(args: argparse.Namespace, world: dict) -> dict:
    from minutes.testing import LiveClient, Server

    env = {"CHANNELS_PREFIX": f"qbench{uuid.uuid4().hex[:6]}", "MINUTES_WS_BURST": "1000", "LOG_LEVEL": "ERROR",
           "QUORUM_TESTING": "true"}
    if not os.environ.get("DATABASE_URL"):
        env["SQLITE_PATH"] = os.environ["SQLITE_PATH"]
    servers = [Server(env) for _ in range(2)]
    try:
        for s in servers:
            s.wait_ready()
        occ, section = world["occ"], world["section"]
        cookies = iter(world["cookies"])
        # Warm both servers (imports, first DB connection) before measuring memory.
        warm = [await LiveClient(s, occ, next(cookies)).connect() for s in servers]
        for c in warm:
            await c.close()
        await asyncio.sleep(0.5)  # let the warm-up leaves settle before the RSS baseline
        rss0 = [s.rss_bytes() for s in servers]

        clients: list[LiveClient] = []
        sem = asyncio.Semaphore(50)

        async def join(i: int, cookie: str) -> LiveClient:
            async with sem:
                return await LiveClient(servers[i % 2], occ, cookie, lazy=True).connect()

        t = time.perf_counter()
        clients = list(await asyncio.gather(*(join(i, next(cookies)) for i in range(args.clients - 1))))
        editor = await LiveClient(servers[0], occ, world["editor"]).connect()
        clients.append(editor)
        ramp = time.perf_counter() - t
        everyone = {c.conn for c in clients}
        try:
            for c in clients:
                await c.wait_for(lambda c=c: everyone <= set(c.presence), timeout=60, what="full presence")
        except AssertionError:
            counts = sorted(len(everyone & set(c.presence)) for c in clients)
            print("presence counts min/median/max", counts[0], counts[len(counts)//2], counts[-1], file=sys.stderr)
            missing = {}
            for c in clients:
                for m in everyone - set(c.presence):
                    missing[m] = missing.get(m, 0) + 1
            print("most missing", sorted(missing.values())[-5:], len(missing), file=sys.stderr)
            raise
        rss1 = [s.rss_bytes() for s in servers]
        per_conn = (sum(rss1) - sum(rss0)) / len(clients)

        # --- join fan-out -------------------------------------------------------------
        join_all, join_each = [], []
        for trial in range(args.join_trials):
            seen: dict[int, float] = {}
            newcomer_conn: list[str] = []

            def hook(idx: int, seen: dict = seen, newcomer_conn: list = newcomer_conn):
                def on(msg: dict, now: float) -> None:
                    if msg["type"] == "presence" and msg["event"] == "join" and newcomer_conn and \
                            msg["who"]["conn"] == newcomer_conn[0]:
                        seen.setdefault(idx, now)
                return on

            for idx, c in enumerate(clients):
                c.on_message = hook(idx)
            t0 = time.perf_counter()
            newcomer = LiveClient(servers[trial % 2], occ, next(cookies))
            # The conn id is known only from init; joins that arrive first are matched on it below.
            await newcomer.connect()
            newcomer_conn.append(newcomer.conn)
            for idx, c in enumerate(clients):  # a join that raced ahead of our hook
                for m in c.messages[-5:]:
                    if m["type"] == "presence" and m.get("who", {}).get("conn") == newcomer.conn:
                        seen.setdefault(idx, time.perf_counter())
            await clients[0].wait_for(lambda seen=seen: len(seen) == len(clients), timeout=30, what="join everywhere")
            join_each += [v - t0 for v in seen.values()]
            join_all.append(max(seen.values()) - t0)
            await newcomer.close()
            await clients[0].wait_for(lambda n=newcomer: all(n.conn not in c.presence for c in clients), timeout=30)

        # --- single edits -------------------------------------------------------------
        edit_all, edit_each = [], []
        others = [c for c in clients if c is not editor]
        for i in range(args.edits):
            got: dict[int, float] = {}

            def ehook(idx: int, want: int, got: dict = got):
                def on(msg: dict, now: float) -> None:
                    if msg["type"] == "update" and msg.get("version") == want:
                        got.setdefault(idx, now)
                return on

            want = i + 1
            for idx, c in enumerate(others):
                c.on_message = ehook(idx, want)
            t0 = time.perf_counter()
            await editor.type(section, len(editor.text(section)), f"<e{i}>")
            await editor.wait_for(lambda got=got: len(got) == len(others), timeout=30, what="edit everywhere")
            edit_each += [v - t0 for v in got.values()]
            edit_all.append(max(got.values()) - t0)
        for c in clients:
            c.on_message = None

        # --- burst: order and loss ----------------------------------------------------
        for i in range(args.burst):
            await editor.type(section, len(editor.text(section)), f"<b{i}>")
        try:
            await editor.wait_for(lambda: len(editor.acked) == args.edits + args.burst, timeout=60, what="burst acks")
        except AssertionError:
            print("acks", len(editor.acked), "errors", editor.errors[:3], "closed", editor.ws.close_code,
                  editor.ws.close_reason, file=sys.stderr)
            raise
        final = editor.text(section)
        for c in others:
            await c.wait_for(lambda c=c: c.text(section) == final, timeout=60, what="burst everywhere")
        lost = reordered = 0
        expected = list(range(1, args.edits + args.burst + 1))
        for c in others:
            versions = [m["version"] for m in c.messages if m["type"] == "update" and m["section"] == section]
            lost += len(set(expected) - set(versions))
            reordered += sum(1 for a, b in itertools.pairwise(versions) if b < a)
        for c in clients:
            await c.close()
        ms = 1000
        return {
            "clients": len(clients), "servers": 2, "ramp_seconds": round(ramp, 2),
            "join_ms": {"p50": round(pct(join_all, 50) * ms, 1), "p95": round(pct(join_all, 95) * ms, 1),
                        "trials": len(join_all),
                        "per_recipient_p50": round(pct(join_each, 50) * ms, 1),
                        "per_recipient_p95": round(pct(join_each, 95) * ms, 1)},
            "edit_ms": {"p50": round(pct(edit_all, 50) * ms, 1), "p95": round(pct(edit_all, 95) * ms, 1),
                        "trials": len(edit_all),
                        "per_recipient_p50": round(pct(edit_each, 50) * ms, 1),
                        "per_recipient_p95": round(pct(edit_each, 95) * ms, 1),
                        "mean_all": round(statistics.mean(edit_all) * ms, 1)},
            "burst_edits": args.burst, "lost_edits": lost, "reordered_edits": reordered,
            "rss_per_connection_kib": round(per_conn / 1024, 1),
            "rss_mib": {"before": [round(r / 2**20, 1) for r in rss0], "after": [round(r / 2**20, 1) for r in rss1]},
        }
    finally:
        for s in servers:
            s.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=300)
    parser.add_argument("--join-trials", type=int, default=30)
    parser.add_argument("--edits", type=int, default=100)
    parser.add_argument("--burst", type=int, default=100)
    args = parser.parse_args()
    if not os.environ.get("REDIS_URL"):
        sys.exit("bench/presence.py needs REDIS_URL (two server processes share presence through Redis).")
    with tempfile.TemporaryDirectory(prefix="quorum-bench-") as tmp:
        setup_django(str(Path(tmp) / "bench.sqlite3"))
        world = build_world(args.clients)
        try:
            import uvloop  # installed with uvicorn[standard]; the servers use it too

            result = uvloop.run(run(args, world))
        except ImportError:
            result = asyncio.run(run(args, world))
    print(json.dumps(result, indent=2, ensure_ascii=False))
    ok = result["join_ms"]["p95"] <= 200 and result["edit_ms"]["p95"] <= 200 and not result["lost_edits"] \
        and not result["reordered_edits"]
    print("targets (p95 ≤ 200 ms, no lost/reordered edits):", "met" if ok else "NOT met")


if __name__ == "__main__":
    main()
