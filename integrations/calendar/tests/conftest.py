"""Fixtures of the invitation tests: a real SMTP server (aiosmtpd on loopback) that Django's
SMTP backend talks to, and meetings built through the foundation's actions."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.test import override_settings

from meetings import actions
from meetings.actions import AttendeeInput, MeetingInput, RoomChoice
from tests.conftest import api, org  # noqa: F401 - shared fixtures
from tests.factories import at, working_day


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    peer: Any = None  # the client's (host, port): one per SMTP connection

    @property
    def message(self) -> EmailMessage:
        return message_from_bytes(self.data, policy=policy.default)


@dataclass
class SmtpSink:
    """Stores every accepted message. `refuse` maps an address to an SMTP reply for it;
    `fail_next` makes the next N DATA commands answer 451 (a passing failure)."""

    messages: list[Received] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)
    fail_next: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    port: int = 0

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any) -> str:
        if address.lower() in self.refuse:
            return self.refuse[address.lower()]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            if self.fail_next > 0:
                self.fail_next -= 1
                return "451 4.3.0 Try again later"
            self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos),
                                          envelope.original_content or envelope.content, session.peer))
        return "250 Message accepted"

    def to(self, email: str) -> list[Received]:
        return [m for m in self.messages if email.lower() in [r.lower() for r in m.rcpt_tos]]

    def wait_for(self, count: int, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"only {len(self.messages)} of {count} messages arrived")
            time.sleep(0.02)

    def clear(self) -> None:
        self.messages.clear()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    sink = SmtpSink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port(), decode_data=False)
    controller.start()
    sink.port = controller.port
    mailers = {"default": {"BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                           "OPTIONS": {"host": "127.0.0.1", "port": controller.port, "timeout": 10}}}
    try:
        with override_settings(MAILERS=mailers, SITE_URL="https://lich.soyte.example.vn"):
            yield sink
    finally:
        controller.stop()


def monday(ahead: int = 10) -> date:
    d = working_day(ahead)
    while d.weekday() != 0:
        d += timedelta(days=1)
    return d


@pytest.fixture
def run_commit(django_capture_on_commit_callbacks: Callable[..., Any]) -> Callable[..., Any]:
    """Run fn(*args) and then its after-commit work (outbox kick → handler → sends), as in
    production; huey is immediate in tests."""

    def runner(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return runner


@pytest.fixture
def make_meeting(org: Any, run_commit: Callable[..., Any]) -> Callable[..., Any]:  # noqa: F811
    def build(*, rrule: str = "", day: date | None = None, people: list[Any] | None = None, **kw: Any) -> Any:
        day = day or (monday() if rrule else working_day(10))
        people = people if people is not None else [org.member, org.leader]
        data = MeetingInput(
            title=kw.pop("title", "Giao ban tuần"),
            organizing_unit=kw.pop("unit", org.hospital),
            start=at(day, 8, 30),
            end=at(day, 10, 0),
            agenda=kw.pop("agenda", "1. Tình hình khám chữa bệnh\n2. Phòng chống dịch"),
            chair=kw.pop("chair", org.leader),
            rrule=rrule,
            rooms=kw.pop("rooms", [RoomChoice(org.room_a)]),
            attendees=[AttendeeInput(email=p.email) if hasattr(p, "email") else AttendeeInput(email=p) for p in people],
            **kw,
        )
        return run_commit(actions.create_meeting, org.secretary, data)

    return build
