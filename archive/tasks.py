from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task, lock_task

from archive import deadlines, exports


@db_task()
def build_export(job_id: int) -> str:
    return exports.build(job_id)


@db_periodic_task(crontab(minute="7"))
@lock_task("quorum-minutes-deadlines")
def minutes_deadlines() -> dict[str, int]:
    """Hourly: due dates for held sittings, the secretary's reminder, the chair's overdue
    notice and action-item reminders, each exactly once (DeadlineNotice rows)."""
    return deadlines.sweep()
