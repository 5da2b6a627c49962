"""Personal data out of logs: e-mail addresses and phone numbers are masked.

Code logs ids (user #12, attendee #40, delivery #7), never an address. What comes from
elsewhere (an SMTP server's answer, an exception's text, a traceback) is masked by
`mask_personal_data`, at the call site and once more by `RedactPersonalDataFilter` on the
log handlers, so a record that slips through still never prints an address or a number.
"""

from __future__ import annotations

import logging
import re
from typing import Any

# An address as it appears in SMTP answers, exception texts and headers (<x@y.vn>, 'x@y.vn').
EMAIL_RE = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
# Vietnamese phone numbers: 0 or +84 then 9–10 digits, optionally grouped by spaces, dots or
# dashes (0912 345 678, 091.234.5678, +84 912 345 678, 0236 3821 234). Not ids or dates: an id
# does not start with 0, a date has fewer digits per group.
PHONE_RE = re.compile(r"(?<![\w.+])(?:\+84[\s.-]?|0)[1-9](?:[\s.-]?\d){8,9}(?![\w])")
PHONE_MASK = "[số điện thoại]"


# Secret link tokens in paths (join links, answer links, feeds, invitations, password resets):
# not personal data, but whoever reads the log could use them.
LINK_TOKEN_RE = re.compile(
    r"(/(?:j|feeds|invitations/answer|profile/invitation|accounts/password/reset/key)/)[^/\s\"'?]+"
)


def mask_link_tokens(text: str) -> str:
    return LINK_TOKEN_RE.sub(r"\1…", text)


def mask_email(address: str) -> str:
    """thuky@bvdk.vn → t…@bvdk.vn: the mail domain stays (it says which server refused)."""
    local, _sep, domain = address.partition("@")
    return f"{local[:1]}…@{domain}"


def mask_personal_data(text: Any) -> str:
    """The text with every e-mail address masked and every phone number replaced."""
    value = str(text)
    if "@" in value:
        value = EMAIL_RE.sub(lambda m: mask_email(m.group(0)), value)
    return PHONE_RE.sub(PHONE_MASK, value)


def strip_personal_data(text: str, replacement: str = "…") -> str:
    """For text sent outside (a Zoom topic): addresses and numbers removed, not masked."""
    return PHONE_RE.sub(replacement, EMAIL_RE.sub(replacement, text))


def contains_personal_data(text: str) -> bool:
    return bool(EMAIL_RE.search(text) or PHONE_RE.search(text))


# Record attributes that are never personal (and handled above, for msg and exc_text).
_OWN = {"msg", "exc_text", "stack_info", "name", "levelname", "pathname", "filename", "module", "funcName",
        "threadName", "processName", "taskName", "request_id", "asctime"}


class RedactPersonalDataFilter(logging.Filter):
    """On a handler: the message, its extra fields and the traceback, masked.

    The record's message is rendered once here (msg % args) and masked; the traceback is
    formatted into exc_text, masked, which formatters print instead of formatting again."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: leave it to the formatter's error path
            return True
        record.msg, record.args = mask_link_tokens(mask_personal_data(message)), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_personal_data(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_personal_data(record.stack_info)
        for key, value in list(vars(record).items()):
            if isinstance(value, str) and key not in _OWN:
                setattr(record, key, mask_link_tokens(mask_personal_data(value)))
        return True
