"""Huey tasks of the invitation app. They take ids, re-fetch, and are safe to run twice."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task, lock_task

from integrations.calendar import delivery, feeds, reminders


@db_task(retries=0)
def send_batch(ids: list[int]) -> dict[int, str]:
    """Send a batch of deliveries over one SMTP connection (retries are scheduled inside)."""
    return delivery.send_many(ids)


@db_task(retries=0)
def send_delivery(pk: int) -> str:
    # Kept for tasks enqueued before batches existed.
    return delivery.send(pk)


@db_periodic_task(crontab(minute="*"))
@lock_task("quorum-invitations-resend")
def resend_deliveries() -> int:
    """Deliveries whose kick was lost or whose worker died, and SMTP retries that are due."""
    return delivery.resend_due()


@db_periodic_task(crontab(minute="*"))
def send_reminders() -> int:
    # No lock on purpose: the Reminder row claim keeps two workers from sending twice.
    return reminders.run()


@db_periodic_task(crontab(minute="*/5"))
@lock_task("quorum-invitations-feed-fragments")
def refresh_feed_fragments() -> int:
    """Keep every meeting in the feed window serialised (see feeds.refresh_stale)."""
    return feeds.refresh_stale()


@db_periodic_task(crontab(hour="3", minute="41"))
def purge_deliveries() -> int:
    """Retention of invitation records (see delivery.purge)."""
    return delivery.purge()
