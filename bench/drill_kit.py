"""Fault drills: real huey consumers (killed with SIGKILL), the fake Zoom on loopback, an SMTP
sink that can refuse mail. Used by bench/drills.py (full drills, with figures) and by
tests/drills (a bounded version in the suite). Django must be set up by the caller, on
PostgreSQL + Redis, with huey not immediate (the consumers do the work)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Sink:
    """SMTP server that records (recipient, Message-ID, UID, SEQUENCE) and can refuse."""

    refusing: bool = False
    delay: float = 0.0
    received: list[tuple[str, str, str, int]] = field(default_factory=list)
    refused: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refusing:
            with self.lock:
                self.refused += 1
            return "451 4.3.0 Mail server busy, try again later"
        if self.delay:
            await asyncio.sleep(self.delay)
        msg = message_from_bytes(envelope.content, policy=policy.default)
        uid, seq = "", -1
        for part in msg.walk():
            if part.get_content_type() == "text/calendar":
                text = part.get_content() if isinstance(part.get_content(), str) else part.get_content().decode()
                for line in text.splitlines():
                    if line.startswith("UID:"):
                        uid = line[4:].strip()
                    elif line.startswith("SEQUENCE:"):
                        seq = int(line[9:].strip())
                break
        with self.lock:
            for rcpt in envelope.rcpt_tos:
                self.received.append((rcpt.lower(), str(msg["Message-ID"]).strip(), uid, seq))
        return "250 OK"

    def start(self) -> Sink:
        from aiosmtpd.controller import Controller

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def per_invitation(self) -> Counter[tuple[str, str, int]]:
        """Distinct messages (Message-IDs) per attendee, meeting UID and SEQUENCE."""
        with self.lock:
            distinct = {(to, uid, seq, mid) for to, mid, uid, seq in self.received}
        return Counter((to, uid, seq) for to, uid, seq, _mid in distinct)

    def resent(self) -> int:
        """Messages received more than once (the same Message-ID: a re-send of the one in flight)."""
        with self.lock:
            counts = Counter((to, mid) for to, mid, _u, _s in self.received)
        return sum(n - 1 for n in counts.values())


class Consumer:
    """`manage.py run_huey` in its own process group, on the caller's database and Redis."""

    def __init__(self, env: dict[str, str], *, workers: int = 4, periodic: bool = False, log: Path | None = None) -> None:
        args = [sys.executable, "manage.py", "run_huey", "-w", str(workers), "-k", "thread", "--logfile", "/dev/null"]
        if not periodic:
            args.append("--no-periodic")
        self.log = open(log or os.devnull, "ab")  # noqa: SIM115 - closed in stop()/kill()
        self.proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)

    def alive(self) -> bool:
        if self.proc.poll() is not None:
            raise RuntimeError(f"the huey consumer exited with {self.proc.returncode} (see its log)")
        return True

    def kill(self) -> None:
        """SIGKILL: no task finishes, no lease is released, nothing is re-enqueued."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(30)
        self.log.close()

    def stop(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGINT)  # huey's graceful stop
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()
                return
        self.log.close()


def consumer_env(*, database_url: str, redis_url: str, huey_name: str, secret: str,
                 zoom_root: str = "", smtp_port: int = 0) -> dict[str, str]:
    env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url, "HUEY_NAME": huey_name,
           "SECRET_KEY": secret, "QUORUM_EMBEDDED": "false", "HUEY_IMMEDIATE": "false", "LOG_LEVEL": "WARNING",
           "DJANGO_SETTINGS_MODULE": "config.settings"}
    env.pop("QUORUM_TESTING", None)
    env.pop("EMAIL_FILE_PATH", None)
    if zoom_root:
        env.update({"ZOOM_ACCOUNT_ID": "acct-1", "ZOOM_CLIENT_ID": "cid-1", "ZOOM_CLIENT_SECRET": "secret-1",
                    "ZOOM_API_BASE_URL": f"{zoom_root}/v2", "ZOOM_OAUTH_TOKEN_URL": f"{zoom_root}/oauth/token",
                    "ZOOM_TIMEOUT": "10"})
    if smtp_port:
        env.update({"EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(smtp_port), "EMAIL_TIMEOUT": "10"})
    return env


def wait_until(check: Callable[[], bool], timeout: float, what: str, step: Callable[[], Any] | None = None) -> float:
    """Poll `check` (running `step` between polls, e.g. a reconciler); seconds it took."""
    began = time.monotonic()
    while not check():
        if time.monotonic() - began > timeout:
            raise TimeoutError(f"drill: {what} not reached in {timeout:.0f}s")
        if step:
            step()
        time.sleep(0.2)  # polling interval of the drill, not a timing assumption
    return time.monotonic() - began


def expire_leases() -> None:
    """What the clock does after LEASE (3–5 minutes): the dead worker's claims lapse. The drills
    move the lease ends to now instead of waiting for them."""
    from django.db.models import F
    from django.utils import timezone

    from integrations.calendar.models import Delivery
    from integrations.online.models import OnlineRoom
    from meetings.models import OutboxMessage

    now = timezone.now()
    past = now - timezone.timedelta(seconds=1)
    OnlineRoom.objects.filter(lease_until__isnull=False).update(lease_until=past)
    OnlineRoom.objects.filter(state="pending", next_attempt_at__gt=now).update(next_attempt_at=past)
    OutboxMessage.objects.filter(status="processing").update(locked_until=past)
    OutboxMessage.objects.filter(status="pending", available_at__gt=now).update(available_at=past)
    Delivery.objects.filter(status="sending").update(locked_until=past)
    Delivery.objects.filter(status="queued", available_at__gt=now).update(available_at=past, attempts=F("attempts"))


def reconcile_once() -> None:
    """The periodic safety nets, run now (the scheduler would run them within 1–2 minutes)."""
    from integrations.calendar import delivery
    from integrations.online import lifecycle
    from meetings import outbox

    outbox.drain()
    lifecycle.reconcile()
    delivery.resend_due()


# --- the world and the checks ------------------------------------------------------------------

def world(tag: str, hosts: int = 4) -> dict[str, Any]:
    from accounts.models import User
    from integrations.zoom.models import ZoomHostAccount
    from meetings.models import Membership, Room, Unit

    dept = Unit.objects.create(code=f"so{tag}", name="Sở Y tế", short_name="Sở Y tế", kind="department")
    unit = Unit.objects.create(code=f"bv{tag}", name="Bệnh viện", short_name="BV", kind="hospital", parent=dept)
    rooms = [Room.objects.create(unit=unit, name=f"Phòng {tag}-{i}", capacity=50) for i in range(4)]
    secretary = User.objects.create_user(email=f"thuky-{tag}@drill.vn", password=None, full_name="Thư ký")
    Membership.objects.create(user=secretary, unit=unit, role=Membership.Role.SECRETARY)
    people = [User.objects.create_user(email=f"nv{i}-{tag}@drill.vn", password=None, full_name=f"Nhân viên {i}")
              for i in range(6)]
    for i in range(hosts):
        ZoomHostAccount.objects.get_or_create(zoom_user_id=f"host{i}-{tag}@drill.vn", defaults={"email": f"host{i}-{tag}@drill.vn"})
    return {"unit": unit, "rooms": rooms, "secretary": secretary, "people": people}


def create_meetings(w: dict[str, Any], n: int, *, provider: str = "", attendees: int = 0, day_offset: int = 10) -> list[int]:
    from meetings.actions import AttendeeInput, MeetingInput, RoomChoice, create_meeting
    from meetings.models import Meeting
    from tests.factories import at, working_day

    ids = []
    for i in range(n):
        day = working_day(day_offset + i // 8)
        hour = 7 + i % 8
        data = MeetingInput(
            title=f"Diễn tập {i}", organizing_unit=w["unit"], start=at(day, hour), end=at(day, hour, 45),
            rooms=[RoomChoice(w["rooms"][i % len(w["rooms"])])],
            mode=Meeting.Mode.HYBRID if provider else Meeting.Mode.IN_PERSON, online_provider=provider,
            attendees=[AttendeeInput(email=p.email, user=p) for p in w["people"][:attendees]])
        ids.append(create_meeting(w["secretary"], data).pk)
    return ids


def zoom_figures(meeting_ids: list[int], fake: Any) -> dict[str, int]:
    from integrations.online.models import OnlineRoom

    rooms = list(OnlineRoom.objects.filter(occurrence__meeting_id__in=meeting_ids))
    ids = [r.external_id for r in rooms if r.state == "ready" and r.external_id]
    at_zoom = {str(k) for k in fake.meetings}
    ours = set(ids)
    return {
        "attempted": len(meeting_ids),
        "completed": sum(1 for r in rooms if r.state == "ready" and r.external_id in at_zoom),
        "lost": len(meeting_ids) - len(ours & at_zoom),
        "duplicates_at_zoom": len(at_zoom - ours),  # Zoom meetings no room points to
        "rooms_sharing_an_id": len(ids) - len(ours),
    }


def invitation_figures(meeting_ids: list[int], sink: Sink) -> dict[str, int]:
    from integrations.calendar.models import Delivery

    rows = list(Delivery.objects.filter(meeting_id__in=meeting_ids, kind="request").select_related("attendee"))
    expected = {(d.attendee.email.lower(), str(d.uid), d.sequence) for d in rows}
    got = sink.per_invitation()
    return {
        "attempted": len(expected),
        "completed": sum(1 for key in expected if got.get(key, 0) >= 1),
        "lost": sum(1 for key in expected if got.get(key, 0) == 0),
        "distinct_messages_per_invitation_max": max((got.get(k, 0) for k in expected), default=0),
        "resent_same_message_id": sink.resent(),
        "rows_not_sent": sum(1 for d in rows if d.status != "sent"),
    }


def expire_and_reconcile() -> None:
    """After an outage: skip what is left of the retry backoff, then reconcile."""
    expire_leases()
    reconcile_once()
