from __future__ import annotations

from huey.contrib.djhuey import db_task

from integrations.zoom import webhooks


@db_task(retries=3, retry_delay=30)
def process_webhook_event(pk: int) -> str:
    """Apply one stored webhook (idempotent: a processed event is skipped)."""
    return webhooks.process_event(pk)
