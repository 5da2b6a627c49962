"""Prometheus metrics (prometheus_client), one registry for every process of a node.

Counters and gauges are module-level: code increments them where the event happens.
With several processes (uvicorn --workers N, two huey consumers) set
PROMETHEUS_MULTIPROC_DIR to an empty folder shared by all of them (`make serve` does):
each process then writes its values to files there and `/metrics` sums them. Figures that
live in the database (outbox backlog, queued invitations, failed rooms) are read at scrape
time by `DatabaseCollector`, so they are right whichever process is asked.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
from collections.abc import Iterator

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

BOOKING_CONFLICTS = Counter(
    "quorum_booking_conflicts", "Bookings refused because a room was taken (pre-check or database race)", ["stage"]
)
ZOOM_ERRORS = Counter("quorum_zoom_errors", "Zoom API calls that failed", ["op", "status"])
ZOOM_RATE_LIMIT_WAITS = Counter("quorum_zoom_rate_limit_waits", "Zoom answers 429: calls postponed")
ZOOM_RATE_LIMIT_SECONDS = Counter(
    "quorum_zoom_rate_limit_wait_seconds", "Seconds Zoom asked us to wait (Retry-After) in total"
)
INVITATIONS = Counter("quorum_invitations", "Invitation e-mails by outcome", ["result"])
WEBSOCKET_CONNECTIONS = Gauge(
    "quorum_websocket_connections", "Open WebSocket connections (live minutes)", multiprocess_mode="livesum"
)
WEBSOCKET_OPENED = Counter("quorum_websocket_opened", "WebSocket connections accepted")
HTTP_RESPONSES = Counter("quorum_http_responses", "HTTP responses by status class", ["status"])
DATABASE_UNAVAILABLE = Counter("quorum_database_unavailable", "Requests answered 503 because the database was away")


class DatabaseCollector(Collector):
    """Backlogs read from the database at scrape time (cheap indexed counts)."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from config import health

        try:
            figures = health.backlog_figures()
        except Exception:  # the database is away: /readyz says so; metrics still answer
            return
        for name, value, doc in (
            ("quorum_outbox_backlog", figures["outbox_due"], "Outbox rows due and not yet processed"),
            ("quorum_outbox_oldest_due_seconds", figures["outbox_oldest_seconds"], "Age of the oldest due outbox row"),
            ("quorum_invitations_queued", figures["deliveries_queued"], "Invitation e-mails waiting to be sent"),
            ("quorum_online_rooms_failed", figures["rooms_failed"], "Online rooms failed for meetings still to come"),
            ("quorum_online_rooms_pending", figures["rooms_pending"], "Online rooms being created or updated"),
        ):
            yield GaugeMetricFamily(name, doc, value=value)


def _registry() -> CollectorRegistry:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    return registry


_db_collector = DatabaseCollector()


def render() -> bytes:
    registry = _registry()
    # The database figures are added per scrape so they are never counted per process.
    extra = CollectorRegistry()
    extra.register(_db_collector)
    return generate_latest(registry) + generate_latest(extra)


def _loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address.split("%")[0]).is_loopback
    except ValueError:
        return False


def scrape_allowed(request: HttpRequest) -> bool:
    """METRICS_TOKEN set: `Authorization: Bearer <token>` (compared in constant time), from
    anywhere. Unset: clients on this machine only. nginx fences /metrics as well
    (deploy/nginx), and passes the real client address (X-Forwarded-For $remote_addr)."""
    token = settings.METRICS_TOKEN
    if token:
        scheme, _sep, given = request.headers.get("Authorization", "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())
    return _loopback(request.META.get("REMOTE_ADDR", ""))


def metrics_view(request: HttpRequest) -> HttpResponse:
    """Prometheus text format, for the scraper only (see scrape_allowed)."""
    if not scrape_allowed(request):
        response = HttpResponse(
            _("Không có quyền đọc số liệu giám sát.") + "\n", status=403, content_type="text/plain; charset=utf-8"
        )
        if settings.METRICS_TOKEN:
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(render(), content_type=CONTENT_TYPE_LATEST)

