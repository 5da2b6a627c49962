from datetime import date

from django import template
from django.utils import numberformat
from django.utils.formats import get_format

from meetings.formatting import vn_date as _vn_date

register = template.Library()


@register.filter
def vn_date(value: date | None) -> str:
    """Thứ Ba, 08/12/2026 — through meetings/formatting.py like every date people read."""
    return _vn_date(value) if value else ""


@register.simple_tag(takes_context=True)
def query_with(context: template.Context, **changes: object) -> str:
    """The current query string with some parameters replaced (pagination, sorting)."""
    params = context["request"].GET.copy()
    for key, value in changes.items():
        params[key] = value
    return params.urlencode()


@register.filter
def grouped(value: int) -> str:
    """1000 → "1.000" in Vietnamese, "1,000" in English (the active language's separator)."""
    return numberformat.format(value, get_format("DECIMAL_SEPARATOR"), grouping=3,
                               thousand_sep=get_format("THOUSAND_SEPARATOR"), force_grouping=True)
