from datetime import datetime

from django import template
from django.utils import timezone

from meetings.formatting import vn_datetime as _vn_datetime

register = template.Library()


@register.filter
def vn_datetime(value: datetime | None) -> str:
    """Thứ Hai, 07/09/2026, 08:30 — dates the Vietnamese way, in local time."""
    if value is None:
        return ""
    return _vn_datetime(timezone.localtime(value))
