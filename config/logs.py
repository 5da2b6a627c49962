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
