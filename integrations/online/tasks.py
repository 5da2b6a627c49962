from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from integrations.online import lifecycle


@db_periodic_task(crontab(minute="*/2"))
@lock_task("quorum-online-reconcile")
def reconcile_online_rooms() -> dict[str, int]:
    """Re-drive online rooms that are stuck pending (lost kick, worker killed mid-sync)."""
    return lifecycle.reconcile()
