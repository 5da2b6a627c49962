"""Form widgets rendered in Python where Django's template rendering is the cost."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe


def _attrs(attrs: dict[str, Any]) -> SafeString:
    """Attributes as django/forms/widgets/attrs.html writes them: in order, True bare, False left out."""
    return format_html_join("", "{}", (
        (format_html(" {}", name) if value is True else format_html(' {}="{}"', name, value),)
        for name, value in attrs.items() if value is not False
    ))


class FastSelect(forms.Select):
    """forms.Select with the same HTML, built in Python. Django renders every <option>
    through a template include: a select of a department's hundred chairs cost the archive's
    search page more than its queries. Grouped choices fall back to Django's templates."""

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        if any(group for group, _options, _index in widget["optgroups"]):
            return super().render(name, value, attrs, renderer)
        parts = [format_html('<select name="{}"{}>', widget["name"], _attrs(widget["attrs"]))]
        for _group, options, _index in widget["optgroups"]:
            parts.extend(
                format_html('<option value="{}"{}>{}</option>', "" if o["value"] is None else o["value"],
                            _attrs(o["attrs"]), o["label"])
                for o in options
            )
        parts.append("</select>")
        return mark_safe("".join(parts))  # noqa: S308 - every part above is escaped by format_html
