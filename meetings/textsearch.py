"""Text search insensitive to Vietnamese diacritics, shared by the meetings API and the archive.

`fold()` is the Python side ("Họp giao ban" → "hop giao ban"). `Folded(expr)` is the same in
SQL: on PostgreSQL `lower(quorum_unaccent(…))` (the unaccent extension behind an IMMUTABLE
wrapper, migration meetings 0006), on SQLite the `quorum_fold` function registered on every
connection (apps.ready). Search terms are folded in Python and compared with `contains`, so
LIKE wildcards in them are escaped by Django.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from django.db.models import CharField, Func


def _fold_char(ch: str) -> str:
    if ch in "đĐ":
        return "d"
    base = unicodedata.normalize("NFD", ch)[0]
    return base.lower() if len(base.lower()) == 1 else ch.lower()[:1] or ch


class _FoldTable(dict[int, str]):
    """str.translate table filled on first sight of each character: folding runs at C speed."""

    def __missing__(self, code: int) -> str:
        folded = self[code] = _fold_char(chr(code))
        return folded


_TABLE = _FoldTable()


def fold(text: str) -> str:
    """Lower case without diacritics, same length as the NFC text: "Họp giao ban" → "hop giao ban"."""
    return unicodedata.normalize("NFC", text or "").translate(_TABLE)


class Folded(Func):
    """SQL twin of fold(): lower case, diacritics removed."""

    function = "quorum_fold"  # SQLite; PostgreSQL below
    arity = 1
    output_field = CharField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # Unaccent first: lower() under the C locale folds ASCII only.
        return self.as_sql(compiler, connection, template="lower(quorum_unaccent(%(expressions)s))", **extra)


def register_sqlite_functions(sender: Any, connection: Any, **kwargs: Any) -> None:
    """connection_created: give SQLite connections `quorum_fold(text)`."""
    if connection.vendor == "sqlite":
        connection.connection.create_function("quorum_fold", 1, lambda v: None if v is None else fold(v),
                                              deterministic=True)
