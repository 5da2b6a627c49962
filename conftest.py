"""Test-harness hooks shared by tests/ and integrations/*/tests/.

Transactional tests (live servers, real WebSocket clients) empty every table between tests
with `flush`. The audit table refuses DELETE and TRUNCATE through triggers (D3), so the
harness, which runs as the database owner, lifts those triggers for the flush statement
only. The application never flushes: this exists only under pytest.
"""

from __future__ import annotations

from typing import Any

from django.db.backends.postgresql.operations import DatabaseOperations as PostgresOps
from django.db.backends.sqlite3.operations import DatabaseOperations as SqliteOps

AUDIT_TABLE = "meetings_auditentry"


def _guarded(original: Any, before: list[str], after: list[str]) -> Any:
    def sql_flush(self: Any, style: Any, tables: Any, **kwargs: Any) -> list[str]:
        statements = original(self, style, tables, **kwargs)
        if AUDIT_TABLE in tables and statements:
            return [*before, *statements, *after]
        return statements

    return sql_flush


def _sqlite_triggers() -> list[str]:
    import importlib

    guards = importlib.import_module("meetings.migrations.0005_audit_guards")
    return list(guards.SQLITE_FORWARD)


SqliteOps.sql_flush = _guarded(  # type: ignore[method-assign]
    SqliteOps.sql_flush,
    ["DROP TRIGGER IF EXISTS meetings_audit_no_update", "DROP TRIGGER IF EXISTS meetings_audit_no_delete"],
    [],
)
PostgresOps.sql_flush = _guarded(  # type: ignore[method-assign]
    PostgresOps.sql_flush,
    [f"ALTER TABLE {AUDIT_TABLE} DISABLE TRIGGER USER"],
    [f"ALTER TABLE {AUDIT_TABLE} ENABLE TRIGGER USER"],
)
_original_sqlite_flush = SqliteOps.execute_sql_flush


def _sqlite_execute_flush(self: Any, sql_list: list[str]) -> None:
    _original_sqlite_flush(self, sql_list)
    if any(AUDIT_TABLE in sql for sql in sql_list):
        with self.connection.cursor() as cursor:
            for sql in _sqlite_triggers():
                cursor.execute(sql)


SqliteOps.execute_sql_flush = _sqlite_execute_flush  # type: ignore[method-assign]
