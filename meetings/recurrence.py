"""Series: RRULE parsing, validation and expansion, in local wall time."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from dateutil.rrule import DAILY, MONTHLY, WEEKLY, YEARLY, rrule, rrulestr
from django.conf import settings

ALLOWED_FREQS = {DAILY: "DAILY", WEEKLY: "WEEKLY", MONTHLY: "MONTHLY", YEARLY: "YEARLY"}


class RecurrenceError(ValueError):
    """An RRULE we refuse, with a sentence saying why."""


@dataclass(frozen=True)
class Rule:
    text: str  # normalised RRULE value, without the "RRULE:" prefix

    def expand(self, dtstart: datetime) -> list[datetime]:
        return expand(self.text, dtstart)


def _local(dt: datetime) -> datetime:
    return dt.astimezone(ZoneInfo(settings.TIME_ZONE))


def _parse(text: str, dtstart: datetime) -> rrule:
    value = text.strip()
    if value.upper().startswith("RRULE:"):
        value = value[6:]
    if not value:
        raise RecurrenceError("The recurrence rule is empty.")
    if "\n" in value or "DTSTART" in value.upper():
        raise RecurrenceError("Give a single RRULE value; the start comes from the meeting.")
    local = _local(dtstart).replace(tzinfo=None)
    value = _UNTIL_UTC.sub(_until_to_local, value)
    try:
        rule = rrulestr(value, dtstart=local, ignoretz=True)
    except (ValueError, TypeError) as exc:
        raise RecurrenceError(f"The recurrence rule could not be read: {exc}.") from None
    if not isinstance(rule, rrule):
        raise RecurrenceError("Give a single RRULE value.")
    return rule


_UNTIL_UTC = re.compile(r"UNTIL=(\d{8}T\d{6})Z", re.IGNORECASE)


def _until_to_local(match: re.Match[str]) -> str:
    # dateutil cannot mix a naive DTSTART with a UTC UNTIL; we expand in local wall time.
    utc = datetime.strptime(match.group(1), "%Y%m%dT%H%M%S").replace(tzinfo=UTC)
    return "UNTIL=" + _local(utc).strftime("%Y%m%dT%H%M%S")


def validate(text: str, dtstart: datetime) -> Rule:
    """Parse and check a rule: supported frequency, finite, at most 500 occurrences."""
    rule = _parse(text, dtstart)
    if rule._freq not in ALLOWED_FREQS:
        raise RecurrenceError("Only DAILY, WEEKLY, MONTHLY or YEARLY series are supported.")
    if rule._count is None and rule._until is None:
        raise RecurrenceError(
            "A series must end: give COUNT (number of meetings) or UNTIL (last date)."
        )
    limit = settings.QUORUM_MAX_OCCURRENCES
    starts = []
    for occurrence in rule:
        starts.append(occurrence)
        if len(starts) > limit:
            raise RecurrenceError(f"A series may have at most {limit} meetings.")
    if not starts:
        raise RecurrenceError("The recurrence rule produces no meeting at all.")
    if starts[0] != _local(dtstart).replace(tzinfo=None):
        raise RecurrenceError(
            "The first meeting must itself match the rule (e.g. a weekly Monday series starts on a Monday)."
        )
    return Rule(normalise(value_of(text)))


def value_of(text: str) -> str:
    value = text.strip()
    return value[6:] if value.upper().startswith("RRULE:") else value


def normalise(text: str) -> str:
    parts = [p for p in text.strip().upper().split(";") if p]
    return ";".join(parts)


def expand(text: str, dtstart: datetime) -> list[datetime]:
    """Aware start times of every occurrence of the series."""
    tz = ZoneInfo(settings.TIME_ZONE)
    rule = _parse(text, dtstart)
    return [naive.replace(tzinfo=tz) for naive in rule]


def with_until(text: str, last_start: datetime) -> str:
    """The rule cut so that its last occurrence is at or before `last_start` (local time).

    UNTIL is written in UTC, as RFC 5545 requires when DTSTART has a TZID.
    """
    parts = [p for p in normalise(text).split(";") if not p.startswith(("UNTIL=", "COUNT="))]
    until = last_start.astimezone(UTC)
    parts.append("UNTIL=" + until.strftime("%Y%m%dT%H%M%SZ"))
    return ";".join(parts)


def with_count(text: str, count: int) -> str:
    parts = [p for p in normalise(text).split(";") if not p.startswith(("UNTIL=", "COUNT="))]
    parts.append(f"COUNT={count}")
    return ";".join(parts)

