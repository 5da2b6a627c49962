from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task, lock_task

from meetings import outbox


@db_task()
def process_outbox_message(pk: int) -> str:
    return outbox.process(pk)


@db_periodic_task(crontab(minute="*"))
@lock_task("quorum-outbox-drain")
def drain_outbox() -> int:
    """Re-drive outbox rows whose kick was lost or whose worker died (lease expired)."""
    return outbox.drain()
