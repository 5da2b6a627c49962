"""Request id + access log, and a clean 503 while the database is away."""

from __future__ import annotations

import logging
import re
import sys
import threading
import time
import uuid
from collections.abc import Callable

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from config import metrics
from config.logs import request_id

access_log = logging.getLogger("quorum.request")
log = logging.getLogger(__name__)
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
DB_ERRORS = (OperationalError, InterfaceError)


class RequestIdMiddleware:
    """First in MIDDLEWARE: tags the request, its log records and its response."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        rid = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = rid  # type: ignore[attr-defined]
        token = request_id.set(rid)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = rid
            metrics.HTTP_RESPONSES.labels(f"{response.status_code // 100}xx").inc()
            access_log.info(
                "%s %s %s", request.method, request.path, response.status_code,
                extra={"method": request.method, "path": request.path, "status": response.status_code,
                       "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                       "user_id": getattr(getattr(request, "user", None), "pk", None)
                       if hasattr(request, "_cached_user") else None},
            )
            return response
        finally:
            request_id.reset(token)


class _OutageLog:
    """One WARNING line per 503 during a database outage, without a traceback, and at most one
    line per `interval` seconds per process: the lines in between are counted, and the next
    line says how many were left out. (Django would log each one at ERROR with the traceback.)"""

    interval = 10.0

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last = float("-inf")
        self._skipped = 0

    def __call__(self, request: HttpRequest, exception: BaseException | None) -> None:
        now = time.monotonic()
        with self._lock:
            if now - self._last < self.interval:
                self._skipped += 1
                return
            skipped, self._skipped, self._last = self._skipped, 0, now
        lines = str(exception).strip().splitlines() if exception is not None else []
        reason = type(exception).__name__ + (f": {lines[0]}" if lines else "")
        log.warning(
            "database unavailable: 503 for %s %s (%s)%s", request.method, request.path, reason,
            f"; {skipped} more since the previous line, not logged" if skipped else "",
        )


log_outage = _OutageLog()


def database_unavailable(request: HttpRequest, exception: BaseException | None = None) -> HttpResponse:
    """503 without touching the database: no session, no user, no base layout."""
    metrics.DATABASE_UNAVAILABLE.inc()
    log_outage(request, exception)
    message = _("Hệ thống đang tạm thời không truy cập được cơ sở dữ liệu. Vui lòng thử lại sau ít phút.")
    if request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", ""):
        response: HttpResponse = JsonResponse({"error": "database_unavailable", "message": message}, status=503)
    else:
        html = render_to_string("503.html", {"message": message, "request_id": getattr(request, "request_id", "")})
        response = HttpResponse(html, status=503)
    response["Retry-After"] = "30"
    # Logged above, once and briefly: keeps django.request from logging it again at ERROR,
    # with the traceback, for every request of the outage.
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


class DatabaseUnavailableMiddleware:
    """Views that hit a lost database connection answer 503 (Vietnamese page / JSON), not 500.

    Errors raised outside views (a session saved after the view) reach handler500 below."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, DB_ERRORS):
            return database_unavailable(request, exception)
        return None


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: a database outage anywhere in the chain still answers 503."""
    exception = sys.exc_info()[1]
    if isinstance(exception, DB_ERRORS):
        return database_unavailable(request, exception)
    from django.views.defaults import server_error as default

    return default(request)
