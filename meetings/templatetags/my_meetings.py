"""The tag of My meetings' page (meetings/templates/meetings/my_meetings.html)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.safestring import SafeString

from meetings import card_cache

register = template.Library()


@register.simple_tag(takes_context=True)
def my_card(context: Any, card: Any) -> SafeString:
    """One plain card (no form open), rendered once per content (meetings/card_cache.py)."""
    return card_cache.render(context, card)
