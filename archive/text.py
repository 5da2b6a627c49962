"""Vietnamese text folding for diacritic-insensitive search, and highlighted snippets.

`fold()` keeps one character per character (NFC in, one code point per letter out), so a
match found in the folded text is at the same offsets in the original: snippets show the
original spelling with the match highlighted.
"""

from __future__ import annotations

import re
import unicodedata

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from meetings.textsearch import fold

__all__ = ["QueryError", "fold", "parse_query", "snippet"]

MAX_QUERY = 200
MAX_TERMS = 8
_WORD = re.compile(r"\w+", re.UNICODE)
# Anything a search engine might read as syntax: quotes, wildcards, grouping, boolean words.
_OPERATOR_CHARS = set('"*:()^+|&!~<>[]{}\\')
_OPERATOR_WORDS = {"AND", "OR", "NOT", "NEAR"}


class QueryError(ValueError):
    """A search the archive refuses, with a message for people."""


def parse_query(raw: str) -> list[str]:
    """The folded search terms, or QueryError for syntax or length (never passed to SQL raw)."""
    raw = (raw or "").strip()
    if not raw:
        return []
    if len(raw) > MAX_QUERY:
        raise QueryError(
            _("Từ khóa tìm kiếm dài %(n)s ký tự; tối đa %(max)s ký tự.") % {"n": f"{len(raw):,}".replace(",", "."), "max": MAX_QUERY}
        )
    if any(c in _OPERATOR_CHARS for c in raw) or any(w in _OPERATOR_WORDS for w in raw.split()):
        raise QueryError(
            _("Tìm kiếm chỉ nhận chữ và số, không nhận toán tử (dấu ngoặc kép, *, :, (), AND, OR, NOT…). "
              "Gõ các từ cần tìm, cách nhau bởi dấu cách.")
        )
    terms = [t for t in _WORD.findall(fold(raw)) if t]
    if len(terms) > MAX_TERMS:
        raise QueryError(_("Tìm tối đa %(n)s từ một lần.") % {"n": MAX_TERMS})
    return terms


def snippet(text: str, terms: list[str], width: int = 220) -> SafeString:
    """An escaped excerpt around the first match with every term in <mark>."""
    text = unicodedata.normalize("NFC", text or "")
    folded = fold(text)
    spans: list[tuple[int, int]] = []
    for term in terms:
        for m in re.finditer(r"(?<!\w)" + re.escape(term) + r"(?!\w)", folded):
            spans.append((m.start(), m.end()))
    spans.sort()
    start = max(0, spans[0][0] - width // 3) if spans else 0
    end = min(len(text), start + width)
    out, pos = [], start
    for a, b in spans:
        if a < pos or b > end:
            continue
        out.append(escape(text[pos:a]))
        out.append(f"<mark>{escape(text[a:b])}</mark>")
        pos = b
    out.append(escape(text[pos:end]))
    prefix = "… " if start > 0 else ""
    suffix = " …" if end < len(text) else ""
    return mark_safe(prefix + "".join(out).replace("\n", " ") + suffix)  # noqa: S308 - every part escaped above
