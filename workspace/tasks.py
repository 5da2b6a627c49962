from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from workspace import notify


@db_periodic_task(crontab(minute="*"))
@lock_task("quorum-room-request-digest")
def room_request_digests() -> int:
    """Mail room admins about new booking requests (at most one e-mail per admin per window)."""
    return notify.send_request_digests()
