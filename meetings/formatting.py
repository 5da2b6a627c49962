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
