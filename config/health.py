"""Health probes for load balancers and orchestrators.

* `/healthz`: liveness. The process answers; nothing else is touched, so a database outage
  does not make a supervisor restart every app server at once.
* `/readyz`: readiness. Each check has a bound (env vars below); any check out of bounds
  answers 503 with the figures, so the load balancer stops sending traffic to this node
  and the operator sees why.
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Min
from django.http import HttpRequest, JsonResponse
from django.utils import timezone

STARTED = time.time()
HEARTBEAT_KEY = "quorum:huey:heartbeat"


def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def backlog_figures() -> dict[str, float]:
    """Backlogs from the database (indexed counts; used by /readyz and /metrics)."""
    from integrations.calendar.models import Delivery
    from integrations.online.models import OnlineRoom
    from meetings.models import OutboxMessage

    now = timezone.now()
    due = OutboxMessage.objects.due(now)
    oldest = due.aggregate(oldest=Min("available_at"))["oldest"]
    return {
        "outbox_due": due.count(),
        "outbox_oldest_seconds": (now - oldest).total_seconds() if oldest else 0.0,
        "deliveries_queued": Delivery.objects.due(now).count(),
        "rooms_failed": OnlineRoom.objects.filter(
            state=OnlineRoom.State.FAILED, desired=True, occurrence__start__gt=now
        ).count(),
        "rooms_pending": OnlineRoom.objects.filter(state=OnlineRoom.State.PENDING).count(),
    }


def record_heartbeat(sent_at: float) -> dict[str, float]:
    """Called by the huey probe task: when it ran and how long it waited in the queue."""
    now = time.time()
    beat = {"ran": now, "lag": max(now - sent_at, 0.0)}
    cache.set(HEARTBEAT_KEY, beat, timeout=3600)
    return beat


def _check_database() -> dict[str, Any]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return {"ok": True}


def _check_redis() -> dict[str, Any]:
    if not settings.REDIS_URL:
        return {"ok": True, "detail": "not configured (embedded mode)"}
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2)
    try:
        client.ping()
    finally:
        client.close()
    return {"ok": True}


def _check_queue() -> dict[str, Any]:
    from huey.contrib.djhuey import HUEY

    if HUEY.immediate:
        return {"ok": True, "detail": "immediate mode"}
    pending = HUEY.pending_count()
    beat = cache.get(HEARTBEAT_KEY)
    limit_pending = settings.READY_MAX_QUEUE
    limit_lag = settings.READY_MAX_QUEUE_LAG
    result: dict[str, Any] = {"pending": pending, "max_pending": limit_pending, "max_lag_seconds": limit_lag}
    if beat is None:
        # No heartbeat yet: fine while the workers are starting, not after.
        result["heartbeat"] = None
        result["ok"] = pending <= limit_pending and time.time() - STARTED < 3 * 60
        return result
    age = time.time() - beat["ran"]
    result.update(lag_seconds=round(beat["lag"], 1), heartbeat_age_seconds=round(age, 1))
    # The heartbeat runs every minute: older than lag bound + a minute means no worker took it.
    result["ok"] = pending <= limit_pending and beat["lag"] <= limit_lag and age <= limit_lag + 60
    return result


def readyz(request: HttpRequest) -> JsonResponse:
    checks: dict[str, dict[str, Any]] = {}
    for name, check in (("database", _check_database), ("redis", _check_redis), ("queue", _check_queue)):
        try:
            checks[name] = check()
        except Exception as exc:  # a probe must answer whatever is wrong
            checks[name] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
    if checks["database"]["ok"]:
        try:
            figures = backlog_figures()
            checks["outbox"] = {
                "due": figures["outbox_due"], "oldest_due_seconds": round(figures["outbox_oldest_seconds"], 1),
                "max_due": settings.READY_MAX_OUTBOX, "max_age_seconds": settings.READY_MAX_OUTBOX_AGE,
                "ok": figures["outbox_due"] <= settings.READY_MAX_OUTBOX
                and figures["outbox_oldest_seconds"] <= settings.READY_MAX_OUTBOX_AGE,
            }
            checks["online_rooms"] = {
                "failed": figures["rooms_failed"], "max_failed": settings.READY_MAX_FAILED_ROOMS,
                "ok": figures["rooms_failed"] <= settings.READY_MAX_FAILED_ROOMS,
            }
        except Exception as exc:
            checks["outbox"] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
    ok = all(c["ok"] for c in checks.values())
    return JsonResponse({"status": "ok" if ok else "unavailable", "checks": checks}, status=200 if ok else 503)


