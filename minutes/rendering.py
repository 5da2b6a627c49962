"""Markdown → safe HTML for section previews and issued minutes."""

from __future__ import annotations

import markdown
import nh3


def render_markdown(text: str) -> str:
    # nl2br: minutes are typed line by line; a single line break must stay one.
    # Markdown first, then nh3 strips anything not on its allow-list (scripts, handlers, …).
    html = markdown.markdown(text or "", extensions=["extra", "sane_lists", "nl2br"], output_format="html")
    return nh3.clean(html)
