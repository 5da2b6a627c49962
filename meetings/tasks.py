from __future__ import annotations

import time

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
    """Finished outbox rows are kept OUTBOX_RETENTION_DAYS (failed ones longer), then deleted."""
    return outbox.purge()


@db_periodic_task(crontab(minute="*"))
def huey_heartbeat() -> None:
    """Every minute a probe goes through the queue like any task: /readyz reads how long it
    waited (the queue lag) and when it last ran (are the workers alive?)."""
    huey_probe(time.time())


@db_task()
def huey_probe(sent_at: float) -> dict[str, float]:
    from config.health import record_heartbeat

    return record_heartbeat(sent_at)
