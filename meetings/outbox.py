"""Transactional outbox: side effects that must not be lost.

`emit()` is called inside the transaction that changes a meeting and writes one
OutboxMessage per interested subscriber. After commit a huey task is kicked for each
row; a periodic drainer re-drives whatever is still due (a worker killed mid-task, a
kick lost between COMMIT and the queue). Handlers run outside any transaction, must be
idempotent, and may raise `Retry` to be called again later.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from config.redact import mask_personal_data

if TYPE_CHECKING:
    from meetings.models import Meeting, OutboxMessage

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 12


class Retry(Exception):
    """Raised by a handler to be called again after `delay` (a passing failure)."""

    def __init__(self, reason: str, delay: timedelta | None = None) -> None:
        super().__init__(reason)
        self.delay = delay


class GiveUp(Exception):
    """Raised by a handler when retrying cannot help (bad configuration, invalid data)."""


@dataclass(frozen=True)
class Subscriber:
    topic: str
    handler: Callable[[OutboxMessage], None]
    wants: Callable[[Meeting, str, dict[str, Any]], bool] | None = None


_subscribers: dict[str, Subscriber] = {}


def subscribe(
    topic: str,
    handler: Callable[[OutboxMessage], None],
    wants: Callable[[Meeting, str, dict[str, Any]], bool] | None = None,
) -> None:
    """Register a handler for meeting events (call from AppConfig.ready()).

    `wants(meeting, event, payload)` is called by emit() INSIDE the transaction of the
    change, before the row is written. Besides filtering, it is the place to reserve what
    the change needs atomically with it (a Zoom host licence): it may write rows, and may
    raise `meetings.actions.ActionError` to refuse the whole change. That is why emit()
    must stay inside the actions' transactions.
    """
    _subscribers[topic] = Subscriber(topic, handler, wants)


def emit(meeting: Meeting, event: str, **payload: Any) -> list[OutboxMessage]:
    """Queue `event` for every subscriber that wants it. Must run inside the caller's
    transaction; the kick happens only after commit."""
    from meetings.models import OutboxMessage

    rows = []
    for sub in _subscribers.values():
        if sub.wants is not None and not sub.wants(meeting, event, payload):
            continue
        rows.append(
            OutboxMessage(topic=sub.topic, meeting=meeting, payload={"event": event, **payload})
        )
    return put(rows)


def put(rows: list[OutboxMessage]) -> list[OutboxMessage]:
    """Save outbox rows and kick them after commit."""
    from meetings.booking import insert

    if not rows:
        return []
    created = insert(rows)  # one INSERT … RETURNING id (PostgreSQL, SQLite ≥ 3.35)
    ids = [row.pk for row in created]
    transaction.on_commit(lambda: _kick(ids))
    return created


def _kick(ids: list[int]) -> None:
    from meetings.tasks import process_outbox_message

    for pk in ids:
        process_outbox_message(pk)


def claim(pk: int) -> OutboxMessage | None:
    """Take the row if it is due; None if another worker has it or it is finished."""
    from django.db.models import F

    from meetings.models import OutboxMessage

    now = timezone.now()
    updated = (
        OutboxMessage.objects.due(now)
        .filter(pk=pk)
        .update(
            status=OutboxMessage.Status.PROCESSING,
            locked_until=now + LEASE,
            attempts=F("attempts") + 1,
        )
    )
    if updated != 1:
        return None
    return OutboxMessage.objects.select_related("meeting").get(pk=pk)


def process(pk: int) -> str:
    """Run one outbox row. Returns the row's final status for this attempt."""
    from meetings.models import OutboxMessage

    message = claim(pk)
    if message is None:
        return "skipped"
    sub = _subscribers.get(message.topic)
    now = timezone.now()
    if sub is None:
        return _finish(message, OutboxMessage.Status.FAILED, f"No handler for topic {message.topic!r}.")
    try:
        sub.handler(message)
    except Retry as exc:
        if message.attempts >= MAX_ATTEMPTS:
            return _finish(message, OutboxMessage.Status.FAILED, f"Gave up after {message.attempts} attempts: {exc}")
        delay = exc.delay or backoff(message.attempts)
        OutboxMessage.objects.filter(pk=pk).update(
            status=OutboxMessage.Status.PENDING,
            available_at=now + delay,
            locked_until=None,
            last_error=str(exc)[:2000],
        )
        return "retry"
    except GiveUp as exc:
        return _finish(message, OutboxMessage.Status.FAILED, str(exc))
    except Exception as exc:
        log.exception("outbox handler %s failed for #%s", message.topic, pk)
        if message.attempts >= MAX_ATTEMPTS:
            return _finish(message, OutboxMessage.Status.FAILED, repr(exc))
        OutboxMessage.objects.filter(pk=pk).update(
            status=OutboxMessage.Status.PENDING,
            available_at=now + backoff(message.attempts),
            locked_until=None,
            last_error=repr(exc)[:2000],
        )
        return "retry"
    return _finish(message, OutboxMessage.Status.DONE, "")


def _finish(message: OutboxMessage, status: str, error: str) -> str:
    from meetings.models import OutboxMessage

    OutboxMessage.objects.filter(pk=message.pk).update(
        status=status, locked_until=None, last_error=error[:2000], done_at=timezone.now()
    )
    if status == OutboxMessage.Status.FAILED:
        log.error("outbox #%s (%s) failed: %s", message.pk, message.topic, mask_personal_data(error))
    return status


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


def drain(limit: int = 200) -> int:
    """Process every due row (used by the periodic task and by tests)."""
    from meetings.models import OutboxMessage

    ids = list(OutboxMessage.objects.due(timezone.now()).values_list("pk", flat=True)[:limit])
    for pk in ids:
        process(pk)
    return len(ids)


def purge(older_than: timedelta | None = None, failed_older_than: timedelta | None = None) -> int:
    """Retention: rows finished successfully are deleted after OUTBOX_RETENTION_DAYS; failed
    rows stay longer (OUTBOX_FAILED_RETENTION_DAYS) so the admins can see what went wrong."""
    from django.conf import settings

    from meetings.models import OutboxMessage

    now = timezone.now()
    done_cutoff = now - (older_than or timedelta(days=settings.OUTBOX_RETENTION_DAYS))
    failed_cutoff = now - (failed_older_than or timedelta(days=settings.OUTBOX_FAILED_RETENTION_DAYS))
    deleted, _ = OutboxMessage.objects.filter(
        Q(status=OutboxMessage.Status.DONE, done_at__lt=done_cutoff)
        | Q(status=OutboxMessage.Status.FAILED, done_at__lt=failed_cutoff)
    ).delete()
    return deleted
