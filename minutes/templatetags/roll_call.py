from typing import Any

from django import template

register = template.Library()


@register.inclusion_tag("minutes/_roll_call.html")
def roll_call_section(minutes: Any, can_edit: bool) -> dict[str, Any]:
    """The roll-call section of the minutes page (minutes/_attendance.html includes it)."""
    from minutes.rollcall_views import section_context

    return section_context(minutes, bool(can_edit))
