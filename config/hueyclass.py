"""RedisHuey whose periodic tasks are enqueued once per minute for the whole cluster.

`make serve` runs the scheduler in one huey consumer only (`--no-periodic` on the
others). With several nodes, each may run its own scheduler (no single point of
failure): before enqueueing a periodic task for a minute, every scheduler claims
`<queue>:periodic:<task>:<YYYYmmddHHMM>` with SET NX, so only the first one enqueues it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from huey import RedisHuey


class ClusterRedisHuey(RedisHuey):
    def read_periodic(self, timestamp: datetime | None) -> list[Any]:
        tasks = super().read_periodic(timestamp)
        if not tasks:
            return tasks
        minute = (timestamp or self._get_timestamp()).strftime("%Y%m%d%H%M")
        conn = self.storage.conn
        return [
            task for task in tasks
            if conn.set(f"{self.name}:periodic:{task.name}:{minute}", "1", nx=True, ex=3600)
        ]
