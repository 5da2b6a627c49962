"""Structured logs: one JSON object per line, carrying the request id.

The request id comes from nginx (`X-Request-ID: $request_id`, also written to nginx's
access log) or is made here, is returned in the response's X-Request-ID header and is
attached to every log record emitted while the request is handled (a contextvar, so it
follows the request into sync_to_async threads).
"""

from __future__ import annotations

import contextvars
import json
import logging
import os
from datetime import UTC, datetime

from config.redact import mask_link_tokens, mask_personal_data

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("quorum_request_id", default="")

# Attributes every LogRecord has; anything else was passed with extra={...} and is kept.
_STANDARD = set(vars(logging.LogRecord("x", 0, "x", 0, "x", None, None))) | {"message", "asctime", "request_id"}


def logging_config(fmt: str, level: str, *, access_log: bool) -> dict:
    """settings.LOGGING: one console handler that tags records with the request id and masks
    personal data (issue 12), written as JSON lines (`fmt="json"`) or text."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "config.logs.RequestIdFilter"},
                    "personal_data": {"()": "config.redact.RedactPersonalDataFilter"}},
        "formatters": {
            "json": {"()": "config.logs.JsonFormatter"},
            "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        },
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": fmt,
                        "filters": ["request_id", "personal_data"]},
        },
        "root": {"handlers": ["console"], "level": level},
        # One line per request (method, path, status, duration_ms, user_id): ACCESS_LOG=1.
        "loggers": {"quorum.request": {"level": "INFO" if access_log else "WARNING"}},
    }


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
            "pid": os.getpid(),
        }
        rid = getattr(record, "request_id", "") or request_id.get()
        if rid:
            entry["request_id"] = rid
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                if isinstance(value, (int, float, bool, type(None))):
                    entry[key] = value
                else:  # e.g. django.request's `request`, whose repr holds the path (and a link's secret)
                    entry[key] = mask_link_tokens(mask_personal_data(value if isinstance(value, str) else repr(value)))
        if record.exc_text:  # formatted (and masked) by config.redact's filter
            entry["exc"] = record.exc_text
        elif record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)
