"""Test-harness hooks shared by tests/ and integrations/*/tests/.

Transactional tests (live servers, real WebSocket clients) empty every table between tests
with `flush`. The audit table refuses DELETE and TRUNCATE through triggers (D3), so the
harness, which runs as the database owner, lifts those triggers around the flush statement
only. The application never flushes: this exists only under pytest.
"""

from __future__ import annotations

import importlib
from typing import Any

import pytest

AUDIT_TABLE = "meetings_auditentry"


def _wrap(ops_class: Any, before: list[str], after: Any) -> None:
    original = ops_class.sql_flush
    if getattr(original, "quorum_audit_guarded", False):
        return

    def sql_flush(self: Any, style: Any, tables: Any, **kwargs: Any) -> list[str]:
        statements = original(self, style, tables, **kwargs)
        if AUDIT_TABLE in tables and statements:
            return [*before, *statements, *after()]
        return statements

    sql_flush.quorum_audit_guarded = True  # type: ignore[attr-defined]
    ops_class.sql_flush = sql_flush


@pytest.fixture(scope="session", autouse=True)
def _audit_guards_survive_flush() -> None:
    from django.db.backends.sqlite3.base import DatabaseWrapper as SqliteWrapper

    SqliteOps = SqliteWrapper.ops_class
    try:
        from django.db.backends.postgresql.base import DatabaseWrapper as PostgresWrapper
    except ImportError:  # psycopg not installed: SQLite only
        PostgresWrapper = None

    guards = importlib.import_module("meetings.migrations.0005_audit_guards")
    _wrap(SqliteOps, list(guards.SQLITE_BACKWARD), lambda: [s.strip() for s in guards.SQLITE_FORWARD])
    if PostgresWrapper is not None:
        _wrap(PostgresWrapper.ops_class, [f"ALTER TABLE {AUDIT_TABLE} DISABLE TRIGGER USER"],
              lambda: [f"ALTER TABLE {AUDIT_TABLE} ENABLE TRIGGER USER"])
