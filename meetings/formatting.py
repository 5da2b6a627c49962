"""Dates and times written the Vietnamese way, from one place (UI, e-mail, exports)."""

from __future__ import annotations

from datetime import date, datetime

from django.utils import timezone

WEEKDAYS_VI = ["Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ Nhật"]
WEEKDAYS_EN = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def vn_date(value: date, language: str = "vi") -> str:
    names = WEEKDAYS_EN if language == "en" else WEEKDAYS_VI
    return f"{names[value.weekday()]}, {value:%d/%m/%Y}"


def vn_datetime(value: datetime, language: str = "vi") -> str:
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    return f"{vn_date(local.date(), language)}, {local:%H:%M}"


def vn_span(start: datetime, end: datetime, language: str = "vi") -> str:
    """Thứ Ba, 08/12/2026, 09:00 – 11:00 (an end on another day is written in full)."""
    local_start = timezone.localtime(start) if timezone.is_aware(start) else start
    local_end = timezone.localtime(end) if timezone.is_aware(end) else end
    if local_end.date() == local_start.date():
        return f"{vn_datetime(local_start, language)} – {local_end:%H:%M}"
    return f"{vn_datetime(local_start, language)} – {vn_datetime(local_end, language)}"


def vn_day(value: date) -> str:
    """08/12/2026."""
    return f"{value:%d/%m/%Y}"

def vn_day_month(value: datetime) -> str:
    """'15/12': the short date of a sitting inside a sentence ("Hủy buổi 15/12")."""
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    return f"{local:%d/%m}"


def vn_time_on_day(value: datetime, language: str = "vi") -> str:
    """'14:00 ngày 16/12' ("14:00 on 16/12")."""
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    word = "on" if language == "en" else "ngày"
    return f"{local:%H:%M} {word} {local:%d/%m}"
