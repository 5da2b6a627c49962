"""Fault drills with figures (attempted / completed / lost): nothing may be lost or duplicated.

    REDIS_URL=redis://127.0.0.1:6379/4 .venv/bin/python bench/drills.py [zoom-kill invite-kill zoom-outage smtp-outage]
        [--meetings 40] [--outage 60]

A fresh PostgreSQL database (quorum_drill_<pid>, on the server of DATABASE_URL), Redis from
REDIS_URL (a huey queue of its own), the fake Zoom and an SMTP sink on loopback, and real
`manage.py run_huey` consumers:

  zoom-kill     create N online meetings while Zoom answers slowly; SIGKILL the consumer
                mid-creation; a new consumer + the reconcilers → exactly one Zoom meeting each.
  invite-kill   N meetings × 6 attendees; SIGKILL the consumer mid-sending; a new consumer +
                the reconcilers → every attendee has its invitation (one Message-ID per
                invitation; a message in flight at the kill may arrive twice, same Message-ID).
  zoom-outage   Zoom answers 429 and 500 for --outage seconds, then heals → every meeting
                completes, no duplicate at Zoom.
  smtp-outage   the mail server answers 451 for --outage seconds, then recovers → every
                invitation goes out, once.

The leases of a killed worker (3–5 minutes) are moved to "now" instead of being waited for;
the periodic reconcilers are called by the drill instead of waiting for their minute.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def setup(args: argparse.Namespace, zoom_root: str) -> str:
    import psycopg

    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/quorum")
    name = f"quorum_drill_{os.getpid()}"
    admin = base.rsplit("/", 1)[0].replace("postgres://", "postgresql://", 1) + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = base.rsplit("/", 1)[0] + "/" + name
    from bench.drill_kit import consumer_env

    env = consumer_env(database_url=url, redis_url=os.environ["REDIS_URL"], huey_name=f"quorum-drill-{os.getpid()}",
                       secret=args.secret, zoom_root=zoom_root, smtp_port=args.smtp_port)
    os.environ.update({k: v for k, v in env.items() if k not in ("PATH",)})
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return url


def drop(url: str) -> None:
    import psycopg
    from django.db import connections

    connections.close_all()
    admin = url.rsplit("/", 1)[0].replace("postgres://", "postgresql://", 1) + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')


def zoom_kill(args, fake, sink, env) -> dict:
    from bench import drill_kit as k
    from integrations.online.models import OnlineRoom

    w = k.world("zk")
    fake.fail("lost", count=10_000, path="/meetings", method="POST", delay=0.4)  # slow answers
    consumer = k.Consumer(env, workers=4)
    try:
        ids = k.create_meetings(w, args.meetings, provider="zoom")
        k.wait_until(lambda: len(fake.meetings) >= args.meetings // 3, 120, "a third created at Zoom")
    finally:
        consumer.kill()
    at_kill = {"zoom_meetings_at_kill": len(fake.meetings),
               "rooms_ready_at_kill": OnlineRoom.objects.filter(occurrence__meeting_id__in=ids, state="ready").count()}
    fake.heal()
    k.expire_leases()
    consumer = k.Consumer(env, workers=4)
    try:
        took = k.wait_until(
            lambda: OnlineRoom.objects.filter(occurrence__meeting_id__in=ids, state="ready").count() == len(ids),
            300, "every room ready", step=k.reconcile_once)
    finally:
        consumer.stop()
    return {**k.zoom_figures(ids, fake), **at_kill, "recovery_seconds": round(took, 1)}


def invite_kill(args, fake, sink, env) -> dict:
    from bench import drill_kit as k
    from integrations.calendar.models import Delivery

    w = k.world("ik")
    sink.delay = 0.05
    consumer = k.Consumer(env, workers=4)
    try:
        ids = k.create_meetings(w, args.meetings, attendees=6)
        k.wait_until(lambda: len(sink.received) >= args.meetings * 2, 120, "a third of the invitations sent")
    finally:
        consumer.kill()
    at_kill = {"received_at_kill": len(sink.received),
               "rows_sent_at_kill": Delivery.objects.filter(meeting_id__in=ids, status="sent").count()}
    sink.delay = 0.0
    k.expire_leases()
    consumer = k.Consumer(env, workers=4)
    try:
        took = k.wait_until(
            lambda: not Delivery.objects.filter(meeting_id__in=ids).exclude(status="sent").exists()
            and Delivery.objects.filter(meeting_id__in=ids).count() == args.meetings * 6,
            300, "every invitation sent", step=k.reconcile_once)
    finally:
        consumer.stop()
    return {**k.invitation_figures(ids, sink), **at_kill, "recovery_seconds": round(took, 1)}


def zoom_outage(args, fake, sink, env) -> dict:
    from bench import drill_kit as k
    from integrations.online.models import OnlineRoom

    w = k.world("zo")
    consumer = k.Consumer(env, workers=4, periodic=True)
    began = time.monotonic()
    try:
        fake.fail("429", count=10_000, path="/meetings", method="POST", retry_after="2")
        ids = k.create_meetings(w, args.meetings, provider="zoom")
        while time.monotonic() - began < args.outage:
            # 429 (Retry-After 2 s) and 500 in turns of 10 seconds.
            kind = "429" if int(time.monotonic() - began) // 10 % 2 == 0 else "500"
            fake.heal()
            fake.fail(kind, count=10_000, path="/meetings", method="POST", retry_after="2")
            time.sleep(1)  # the outage lasts --outage seconds (the consumer's periodic jobs run meanwhile)
        refused = len(fake.calls("POST", "/meetings"))
        fake.heal()
        healed = time.monotonic()
        k.wait_until(
            lambda: OnlineRoom.objects.filter(occurrence__meeting_id__in=ids, state="ready").count() == len(ids),
            600, "every room ready after the outage", step=k.expire_and_reconcile if args.fast else k.reconcile_once)
        took = time.monotonic() - healed
    finally:
        consumer.stop()
    return {**k.zoom_figures(ids, fake), "zoom_calls_refused_during_outage": refused,
            "recovery_seconds": round(took, 1)}


def smtp_outage(args, fake, sink, env) -> dict:
    from bench import drill_kit as k
    from integrations.calendar.models import Delivery

    w = k.world("so")
    sink.refusing = True
    consumer = k.Consumer(env, workers=4, periodic=True)
    began = time.monotonic()
    try:
        ids = k.create_meetings(w, args.meetings, attendees=6, day_offset=20)
        while time.monotonic() - began < args.outage:
            time.sleep(1)  # the outage lasts --outage seconds (the consumer's periodic jobs run meanwhile)
        refused = sink.refused
        sink.refusing = False
        healed = time.monotonic()
        k.wait_until(lambda: not Delivery.objects.filter(meeting_id__in=ids).exclude(status="sent").exists(),
                     900, "every invitation sent after the outage",
                     step=k.expire_and_reconcile if args.fast else k.reconcile_once)
        took = time.monotonic() - healed
    finally:
        consumer.stop()
    return {**k.invitation_figures(ids, sink), "smtp_refusals_during_outage": refused, "recovery_seconds": round(took, 1)}


DRILLS = {"zoom-kill": zoom_kill, "invite-kill": invite_kill, "zoom-outage": zoom_outage, "smtp-outage": smtp_outage}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("drills", nargs="*", default=list(DRILLS), choices=list(DRILLS))
    parser.add_argument("--meetings", type=int, default=40)
    parser.add_argument("--outage", type=int, default=60, help="seconds Zoom / SMTP stay down")
    parser.add_argument("--fast", action="store_true",
                        help="after an outage, skip the retry backoff (move retry times to now) instead of waiting it out")
    args = parser.parse_args()
    if not os.environ.get("REDIS_URL"):
        sys.exit("bench/drills.py needs REDIS_URL (the huey consumers share a Redis queue).")
    args.secret = "drill-" + uuid.uuid4().hex * 2
    from bench.drill_kit import Sink
    from integrations.zoom.fake import FakeZoom

    fake = FakeZoom(account_id="acct-1", client_id="cid-1", client_secret="secret-1").start()
    sink = Sink().start()
    args.smtp_port = sink.port
    url = setup(args, fake.root)
    from bench.drill_kit import consumer_env

    env = consumer_env(database_url=url, redis_url=os.environ["REDIS_URL"], huey_name=os.environ["HUEY_NAME"],
                       secret=args.secret, zoom_root=fake.root, smtp_port=sink.port)
    results = {}
    try:
        for name in args.drills:
            fake.heal()
            t = time.monotonic()
            results[name] = DRILLS[name](args, fake, sink, env)
            results[name]["drill_seconds"] = round(time.monotonic() - t, 1)
            print(name, json.dumps(results[name]), file=sys.stderr)
    finally:
        fake.stop()
        sink.stop()
        drop(url)
    print(json.dumps(results, indent=2))
    lost = sum(r["lost"] for r in results.values())
    dup = sum(r.get("duplicates_at_zoom", 0) + r.get("rooms_sharing_an_id", 0) for r in results.values())
    print(f"lost: {lost}, duplicates at Zoom: {dup}")
    sys.exit(1 if lost or dup else 0)


if __name__ == "__main__":
    main()
