from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task, lock_task

from meetings import actions, outbox


@db_task()
def process_outbox_message(pk: int) -> str:
    return outbox.process(pk)


@db_periodic_task(crontab(minute="*"))
@lock_task("quorum-outbox-drain")
def drain_outbox() -> int:
    """Re-drive outbox rows whose kick was lost or whose worker died (lease expired)."""
    return outbox.drain()


@db_periodic_task(crontab(minute="*/15"))
def mark_meetings_held() -> int:
    """Sittings that have ended become 'held' (the minutes and the archive read this)."""
    return actions.mark_past_occurrences_held()


@db_periodic_task(crontab(hour="3", minute="17"))
def purge_outbox() -> int:
    """Finished outbox rows are kept 30 days for diagnosis, then deleted."""
    return outbox.purge()
