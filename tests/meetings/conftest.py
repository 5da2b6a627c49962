"""Helpers for the booking-engine tests: a one-line way to book through the real action."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from django.conf import settings
from django.db import connection, connections

from meetings import actions, outbox
from meetings.actions import AttendeeInput, MeetingInput, RoomChoice
from meetings.models import Meeting, Room, Unit

requires_postgres = pytest.mark.skipif(
    not settings.IS_POSTGRES,
    reason="needs PostgreSQL (the exclusion constraint and real concurrent writers); set DATABASE_URL",
)


def book(
    actor: Any,
    unit: Unit,
    start: datetime,
    end: datetime,
    rooms: list[Room | tuple[Room, int]] = (),
    *,
    title: str = "Họp giao ban",
    skip: list[datetime] = (),
    now: datetime | None = None,
    attendees: list[str] = (),
    **kw: Any,
) -> Meeting:
    choices = [RoomChoice(*r) if isinstance(r, tuple) else RoomChoice(r) for r in rooms]
    data = MeetingInput(
        title=title, organizing_unit=unit, start=start, end=end, rooms=choices,
        attendees=[AttendeeInput(email=e) for e in attendees], **kw,
    )
    return actions.create_meeting(actor, data, skip=skip, now=now)


@pytest.fixture
def no_subscribers(monkeypatch):
    """Concurrency tests commit for real; keep other apps' outbox handlers (mail, calendars)
    out of them: the rows are still written, nobody is subscribed to deliver them."""
    monkeypatch.setattr(outbox, "_subscribers", {})


def race(n: int, work: Callable[[int], Any]) -> list[Any]:
    """Run work(i) in n threads released together; each thread has its own DB connection,
    closed at the end. Returns each thread's result or the exception it raised."""
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[i] = work(i)
        except Exception as exc:  # collected and asserted by the test
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a booking thread hung"
    return results


def vendor() -> str:
    return connection.vendor
