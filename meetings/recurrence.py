"""Series: RRULE parsing, validation and expansion, in local wall time."""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import DAILY, MONTHLY, WEEKLY, YEARLY, rrule, rrulestr
from django.conf import settings
from django.utils.translation import gettext as _

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
        raise RecurrenceError(_("Quy tắc lặp đang để trống."))
    if "\n" in value or "DTSTART" in value.upper():
        raise RecurrenceError(_("Chỉ ghi một giá trị RRULE; ngày bắt đầu lấy theo cuộc họp."))
    local = _local(dtstart).replace(tzinfo=None)
    value = _UNTIL_UTC.sub(_until_to_local, value)
    # RFC 5545: an UNTIL date (no time) includes that whole day; dateutil would stop at 00:00.
    value = _UNTIL_DATE.sub(r"UNTIL=\1T235959", value)
    try:
        rule = rrulestr(value, dtstart=local, ignoretz=True)
    except (ValueError, TypeError) as exc:
        raise RecurrenceError(_("Không đọc được quy tắc lặp: %(e)s.") % {"e": exc}) from None
    if not isinstance(rule, rrule):
        raise RecurrenceError(_("Chỉ ghi một giá trị RRULE."))
    return rule


_UNTIL_UTC = re.compile(r"UNTIL=(\d{8}T\d{6})Z", re.IGNORECASE)
_UNTIL_DATE = re.compile(r"UNTIL=(\d{8})(?![T\d])", re.IGNORECASE)
_UNTIL_ANY = re.compile(r"UNTIL=(\d{8})(T\d{6})?(Z?)", re.IGNORECASE)
# A series must end within this span; it also bounds the work of expanding a rule that
# can never match (e.g. DAILY;BYMONTH=2;BYMONTHDAY=30), which dateutil would scan to 9999.
MAX_SPAN_DAYS = 366 * 10


def _until_to_local(match: re.Match[str]) -> str:
    # dateutil cannot mix a naive DTSTART with a UTC UNTIL; we expand in local wall time.
    utc = datetime.strptime(match.group(1), "%Y%m%dT%H%M%S").replace(tzinfo=UTC)
    return "UNTIL=" + _local(utc).strftime("%Y%m%dT%H%M%S")


def validate(text: str, dtstart: datetime) -> Rule:
    """Parse and check a rule: supported frequency, finite, at most 500 occurrences."""
    rule = _parse(text, dtstart)
    if rule._freq not in ALLOWED_FREQS:
        raise RecurrenceError(_("Chỉ hỗ trợ lặp hằng ngày, hằng tuần, hằng tháng hoặc hằng năm."))
    _check_parts(value_of(text), rule._freq)
    if rule._count is None and rule._until is None:
        raise RecurrenceError(
            _("Chuỗi cuộc họp phải có điểm kết thúc: số buổi (COUNT) hoặc ngày cuối (UNTIL).")
        )
    limit = settings.QUORUM_MAX_OCCURRENCES
    horizon = _local(dtstart).replace(tzinfo=None) + timedelta(days=MAX_SPAN_DAYS)
    if rule._until is not None and rule._until > horizon:
        raise RecurrenceError(_("Chuỗi cuộc họp kéo dài tối đa 10 năm: hãy chọn ngày cuối sớm hơn."))
    starts = []
    for occurrence in _bounded(rule, horizon):
        starts.append(occurrence)
        if len(starts) > limit:
            raise RecurrenceError(_("Một chuỗi có tối đa %(n)s buổi họp.") % {"n": limit})
    if not starts:
        raise RecurrenceError(_("Quy tắc lặp này không tạo ra buổi họp nào."))
    if rule._count is not None and len(starts) < rule._count:
        raise RecurrenceError(
            _("Chuỗi cuộc họp kéo dài tối đa 10 năm: quy tắc này không đủ số buổi (COUNT) trong thời gian đó.")
        )
    if starts[0] != _local(dtstart).replace(tzinfo=None):
        raise RecurrenceError(
            _("Buổi đầu tiên phải khớp quy tắc lặp (ví dụ chuỗi họp thứ Hai hằng tuần phải bắt đầu vào thứ Hai).")
        )
    return Rule(normalise(value_of(text)))


ALLOWED_PARTS = {"FREQ", "INTERVAL", "COUNT", "UNTIL", "BYDAY", "BYMONTHDAY", "BYMONTH", "BYSETPOS", "WKST"}
_DAYS_IN_MONTH = {1: 31, 2: 29, 3: 31, 4: 30, 5: 31, 6: 30, 7: 31, 8: 31, 9: 30, 10: 31, 11: 30, 12: 31}


def _check_parts(value: str, freq: int) -> None:
    """Refuse parts a meeting series never needs, and rules that can never produce a
    meeting (dateutil would scan every year up to 9999 looking for one)."""
    parts = dict(p.split("=", 1) for p in normalise(value).split(";") if "=" in p)
    unknown = sorted(set(parts) - ALLOWED_PARTS)
    if unknown:
        raise RecurrenceError(_("Không hỗ trợ thành phần lặp: %(p)s.") % {"p": ", ".join(unknown)})
    if freq in (DAILY, WEEKLY) and {"BYMONTHDAY", "BYSETPOS"} & set(parts):
        raise RecurrenceError(_("Ngày trong tháng (BYMONTHDAY, BYSETPOS) chỉ dùng cho lặp hằng tháng hoặc hằng năm."))
    if "BYSETPOS" in parts:
        try:
            positions = [int(x) for x in parts["BYSETPOS"].split(",")]
        except ValueError:
            raise RecurrenceError(_("BYSETPOS phải là các số nguyên.")) from None
        if any(p == 0 or abs(p) > 5 for p in positions):
            raise RecurrenceError(_("BYSETPOS phải từ -5 đến 5 (ví dụ 2 = thứ hai, -1 = cuối cùng)."))
    if "BYMONTHDAY" in parts:
        try:
            days = [int(x) for x in parts["BYMONTHDAY"].split(",")]
            months = [int(x) for x in parts["BYMONTH"].split(",")] if "BYMONTH" in parts else list(range(1, 13))
        except ValueError:
            raise RecurrenceError(_("BYMONTHDAY và BYMONTH phải là các số nguyên.")) from None
        if not any(abs(d) <= _DAYS_IN_MONTH.get(m, 0) for d in days for m in months):
            raise RecurrenceError(_("Không tháng nào của quy tắc này có ngày đó: chuỗi cuộc họp sẽ không bao giờ diễn ra."))


def value_of(text: str) -> str:
    value = text.strip()
    return value[6:] if value.upper().startswith("RRULE:") else value


def normalise(text: str) -> str:
    parts = [p for p in text.strip().upper().split(";") if p]
    return ";".join(parts)


def _bounded(rule: rrule, horizon: datetime) -> rrule:
    if rule._until is not None and rule._until <= horizon:
        return rule
    with warnings.catch_warnings():
        # COUNT with UNTIL is "deprecated" in dateutil; here UNTIL is only a safety stop.
        warnings.simplefilter("ignore", DeprecationWarning)
        return rule.replace(until=horizon)


def expand(text: str, dtstart: datetime) -> list[datetime]:
    """Aware start times of every occurrence of the series (validated rules only)."""
    tz = ZoneInfo(settings.TIME_ZONE)
    rule = _parse(text, dtstart)
    horizon = _local(dtstart).replace(tzinfo=None) + timedelta(days=MAX_SPAN_DAYS)
    return [naive.replace(tzinfo=tz) for naive in _bounded(rule, horizon)]


def shift_until(text: str, delta: timedelta) -> str:
    """The rule with its UNTIL moved by `delta` (when the whole series moves)."""
    def shift(match: re.Match[str]) -> str:
        day, clock, utc = match.group(1), match.group(2), match.group(3)
        if not clock:
            moved = datetime.strptime(day, "%Y%m%d") + timedelta(days=delta.days)
            return "UNTIL=" + moved.strftime("%Y%m%d")
        moved = datetime.strptime(day + clock, "%Y%m%dT%H%M%S") + delta
        return "UNTIL=" + moved.strftime("%Y%m%dT%H%M%S") + utc

    return _UNTIL_ANY.sub(shift, normalise(text))


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

