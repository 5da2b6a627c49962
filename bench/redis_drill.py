"""Redis restarted under load: presence and live editing recover as clients reconnect, no
minutes text is lost, and queued jobs still run.

    .venv/bin/python bench/redis_drill.py [--clients 20] [--port 8145]

Uses a PRIVATE redis-server on --port (never the shared one), a fresh PostgreSQL database, two
uvicorn servers, a huey consumer and an SMTP sink. While an editor types, 10 meetings are
created with the consumer stopped (their kicks wait in Redis); Redis is then restarted
without saving (everything in it is lost: queue, presence, channel groups). Clients whose
socket closed reconnect (as minutes.js does), then: every typed piece must be in the text of
every client and of the database, presence must be complete, and every invitation of the 10
meetings must arrive (re-driven from the outbox in PostgreSQL).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import subprocess
import sys
import time
import types
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def redis_server(port: int, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(["redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "--port", str(port), "--save", "",
                    "--appendonly", "no", "--dir", str(folder), "--logfile", str(folder / "redis.log")], check=True)
    for _ in range(100):
        if subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True).returncode == 0:
            return
        time.sleep(0.1)  # polling while redis binds
    raise SystemExit("private redis did not start")


def redis_stop(port: int) -> None:
    subprocess.run(["redis-cli", "-p", str(port), "shutdown", "nosave"], capture_output=True)


async def drill(args: argparse.Namespace, world: dict, env: dict, sink) -> dict:
    from minutes.testing import Server

    servers = [Server(env) for _ in range(2)]
    try:
        return await _drill(args, world, env, sink, servers)
    finally:
        for s in servers:
            s.stop()


async def _drill(args: argparse.Namespace, world: dict, env: dict, sink, servers: list) -> dict:
    from bench import drill_kit as k
    from minutes.testing import LiveClient

    for s in servers:
        s.wait_ready()
    section = world["section"]
    clients = [await LiveClient(servers[i % 2], world["occ"], c).connect() for i, c in enumerate(world["cookies"][: args.clients])]
    editor = await LiveClient(servers[0], world["occ"], world["editor"]).connect()
    everyone = [editor, *clients]
    conns = {c.conn for c in everyone}
    for c in everyone:
        await c.wait_for(lambda c=c: conns <= set(c.presence), timeout=60, what="presence before")
    typed: list[str] = []
    stop = asyncio.Event()
    send_errors = 0

    async def typing() -> None:
        nonlocal send_errors
        n = 0
        while not stop.is_set():
            piece = f"<{n}>"
            try:
                await editor.type(section, len(editor.text(section)), piece)
            except Exception:  # socket closed by the outage: typed offline, sent on reconnect
                editor.replicas[section].insert(len(editor.text(section)), piece)
                send_errors += 1
            typed.append(piece)
            n += 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.2)

    typer = asyncio.create_task(typing())
    await asyncio.sleep(2)  # some edits before the outage
    # Jobs queued in Redis while no worker runs; Redis then loses them.
    w = await asyncio.to_thread(k.world, "rd")
    ids = await asyncio.to_thread(k.create_meetings, w, 10, attendees=3)
    redis_stop(args.port)
    restarted_at = time.monotonic()
    await asyncio.sleep(args.down)
    redis_server(args.port, ROOT / "var" / "redis-drill")
    await asyncio.sleep(2)
    stop.set()
    await typer
    consumer = k.Consumer(env, workers=2, periodic=True)
    try:
        return await _after_restart(args, world, sink, ids, everyone, editor, typed, send_errors, consumer,
                                    servers, restarted_at)
    finally:
        consumer.stop()


async def _after_restart(args, world, sink, ids, everyone, editor, typed, send_errors, consumer, servers,
                         restarted_at) -> dict:
    from bench import drill_kit as k
    from integrations.calendar.models import Delivery
    from minutes.testing import LiveClient

    section = world["section"]
    closed = [c for c in everyone if c.ws.close_code is not None or c.ws.state.name != "OPEN"]
    attempts = 0
    for c in closed:  # what the browser does when its socket closes: reconnect, with a pause
        for _ in range(20):
            attempts += 1
            try:
                await c.connect()
                break
            except Exception:
                await asyncio.sleep(0.5)
    reconnected = len(closed)
    still_open = [c for c in everyone if c not in closed]
    conns = {c.conn for c in everyone}
    presence_ok = True
    try:
        for c in everyone:
            await c.wait_for(lambda c=c: conns <= set(c.presence), timeout=60, what="presence after the restart")
    except AssertionError:
        presence_ok = False
    presence_after = min(len(conns & set(c.presence)) for c in everyone)
    # Every typed piece reaches the server (re-sent on reconnect if it was lost) and everyone.
    with contextlib.suppress(AssertionError):
        await editor.wait_for(lambda: all(p in editor.text(section) for p in typed), timeout=30, what="editor text")
    fresh = await LiveClient(servers[1], world["occ"], world["cookies"][-1]).connect()
    stored = fresh.text(section)
    lost = [p for p in typed if p not in stored]
    behind = 0
    for c in everyone:
        with contextlib.suppress(AssertionError):
            await c.wait_for(lambda c=c: c.text(section) == stored, timeout=20, what="same text")
        behind += c.text(section) != stored
    took = await asyncio.to_thread(
        k.wait_until, lambda: Delivery.objects.filter(meeting_id__in=ids, status="sent").count() == 30, 300,
        "queued invitations sent", k.reconcile_once)
    figures = await asyncio.to_thread(k.invitation_figures, ids, sink)
    for c in [*everyone, fresh]:
        await c.close()
    return {
        "minutes": {"edits_attempted": len(typed), "edits_in_database": len(typed) - len(lost), "lost": len(lost),
                    "send_errors_during_outage": send_errors, "clients_not_matching_text": behind},
        "presence": {"clients": len(everyone), "sockets_closed_and_reconnected": reconnected, "reconnect_attempts": attempts,
                     "sockets_that_stayed_open": len(still_open), "complete_after_restart": presence_ok,
                     "fewest_seen_by_a_client": presence_after},
        "queued_jobs": {**figures, "seconds_to_deliver_after_restart": round(took, 1)},
        "redis_down_seconds": args.down, "drill_seconds": round(time.monotonic() - restarted_at, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--port", type=int, default=8145)
    parser.add_argument("--down", type=float, default=3.0, help="seconds Redis stays down")
    args = parser.parse_args()
    import psycopg

    redis_server(args.port, ROOT / "var" / "redis-drill")
    redis_url = f"redis://127.0.0.1:{args.port}/0"
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/quorum")
    name = f"quorum_redisdrill_{os.getpid()}"
    admin = base.rsplit("/", 1)[0].replace("postgres://", "postgresql://", 1) + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = base.rsplit("/", 1)[0] + "/" + name
    from bench import drill_kit as k

    sink = k.Sink().start()
    env = k.consumer_env(database_url=url, redis_url=redis_url, huey_name="quorum-redis-drill",
                         secret="rd-" + uuid.uuid4().hex * 2, smtp_port=sink.port)
    env.update({"CHANNELS_PREFIX": "qrdrill", "MINUTES_PRESENCE_TTL": "6"})
    os.environ.update({key: env[key] for key in ("DATABASE_URL", "REDIS_URL", "HUEY_NAME", "SECRET_KEY", "QUORUM_EMBEDDED",
                                                 "HUEY_IMMEDIATE", "EMAIL_HOST", "EMAIL_PORT", "DJANGO_SETTINGS_MODULE",
                                                 "CHANNELS_PREFIX", "MINUTES_PRESENCE_TTL")})
    os.environ["LOG_LEVEL"] = "ERROR"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from bench.load import seed

    world = seed(types.SimpleNamespace(sockets=args.clients + 1, meetings=0))
    try:
        result = asyncio.run(drill(args, world, env, sink))
    finally:
        sink.stop()
        redis_stop(args.port)
        from django.db import connections

        connections.close_all()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
