"""Server-rendered SVG charts (no JavaScript, no CDN). Each chart is drawn from the same rows
as the table shown under it for screen readers; the SVG itself is one labelled image."""

from __future__ import annotations

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

BLUE, RED, GREEN, GREY = "#0b5cad", "#b42318", "#1a7f37", "#d0d7de"
ROW, LABEL_W, BAR_W = 26, 190, 300


EMPTY = "Chưa có số liệu"


def _svg(title: str, height: int, body: str, width: int = LABEL_W + BAR_W + 60) -> SafeString:
    if not body:
        body = f'<text x="10" y="22" fill="#57606a">{EMPTY}</text>'
        height = max(height, 34)
    return mark_safe(  # noqa: S308 - every text below is escaped
        f'<svg viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
        f'xmlns="http://www.w3.org/2000/svg" font-family="system-ui, sans-serif" font-size="12">{body}</svg>'
    )


def _label(y: int, text: str) -> str:
    short = text if len(text) <= 28 else text[:27] + "…"
    return f'<text x="{LABEL_W - 6}" y="{y + 16}" text-anchor="end" fill="#1f2328">{escape(short)}</text>'


def bars(title: str, rows: list[tuple[str, float]], *, color: str = BLUE, percent: bool = False) -> SafeString:
    top = max([v for _, v in rows] + [1e-9]) if not percent else 1.0
    parts = []
    for i, (label, value) in enumerate(rows):
        y = i * ROW + 4
        w = int(BAR_W * (value / top)) if top else 0
        shown = f"{value * 100:.0f}%" if percent else f"{value:g}"
        parts.append(_label(y, label))
        parts.append(f'<rect x="{LABEL_W}" y="{y + 4}" width="{max(w, 1)}" height="{ROW - 8}" fill="{color}"/>')
        parts.append(f'<text x="{LABEL_W + max(w, 1) + 4}" y="{y + 16}" fill="#1f2328">{shown}</text>')
    return _svg(title, max(len(rows), 1) * ROW + 8, "".join(parts))


def stacked(title: str, rows: list[tuple[str, int, int]]) -> SafeString:
    """Two values per row (total and the part of it shown in red), e.g. open / overdue."""
    top = max([t for _, t, _ in rows] + [1])
    parts = []
    for i, (label, total, part) in enumerate(rows):
        y = i * ROW + 4
        w, pw = int(BAR_W * total / top), int(BAR_W * part / top)
        parts.append(_label(y, label))
        parts.append(f'<rect x="{LABEL_W}" y="{y + 4}" width="{max(w, 1)}" height="{ROW - 8}" fill="{BLUE}"/>')
        if pw:
            parts.append(f'<rect x="{LABEL_W}" y="{y + 4}" width="{pw}" height="{ROW - 8}" fill="{RED}"/>')
        parts.append(f'<text x="{LABEL_W + max(w, 1) + 4}" y="{y + 16}" fill="#1f2328">{total} / {part}</text>')
    return _svg(title, max(len(rows), 1) * ROW + 8, "".join(parts))


def share(title: str, rows: list[tuple[str, int]]) -> SafeString:
    """One 100% bar split by category, with a legend."""
    if not any(v for _, v in rows):
        return _svg(title, 34, "")
    total = sum(v for _, v in rows) or 1
    colors = [BLUE, GREEN, "#8250df", GREY]
    x, parts = 10.0, []
    width = LABEL_W + BAR_W + 40
    for i, (_label_text, value) in enumerate(rows):
        w = (width - 20) * value / total
        parts.append(f'<rect x="{x:.1f}" y="8" width="{w:.1f}" height="28" fill="{colors[i % 4]}"/>')
        x += w
    for i, (label, value) in enumerate(rows):
        y = 50 + i * 22
        parts.append(f'<rect x="10" y="{y}" width="14" height="14" fill="{colors[i % 4]}"/>')
        parts.append(f'<text x="30" y="{y + 12}" fill="#1f2328">{escape(label)}: {value} ({value * 100 / total:.0f}%)</text>')
    return _svg(title, 56 + len(rows) * 22, "".join(parts))


def heat(title: str, months: list[str], rows: list[tuple[str, list[float | None], float | None]]) -> SafeString:
    """Units × months, each cell the on-time rate (green high, red low, grey no data)."""
    cell = 44
    parts = [f'<text x="{LABEL_W + i * cell + cell / 2}" y="14" text-anchor="middle" fill="#1f2328">{escape(m)}</text>'
             for i, m in enumerate(months)]
    for r, (label, values, _overall) in enumerate(rows):
        y = 22 + r * ROW
        parts.append(_label(y, label))
        for c, v in enumerate(values):
            fill = GREY if v is None else (GREEN if v >= 0.9 else ("#bf8700" if v >= 0.6 else RED))
            parts.append(f'<rect x="{LABEL_W + c * cell + 2}" y="{y + 2}" width="{cell - 4}" height="{ROW - 4}" fill="{fill}"/>')
            if v is not None:
                parts.append(f'<text x="{LABEL_W + c * cell + cell / 2}" y="{y + 17}" text-anchor="middle" fill="#fff">{v * 100:.0f}</text>')
    return _svg(title, 28 + max(len(rows), 1) * ROW, "".join(parts), width=LABEL_W + max(len(months), 1) * cell + 10)
