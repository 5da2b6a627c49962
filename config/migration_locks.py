"""Which statements of a release's migrations would hold a lock that blocks bookings for long.

PostgreSQL takes ACCESS EXCLUSIVE (or SHARE) locks for most ALTER TABLE / CREATE INDEX
statements. Taking one is instant; holding it is not when the statement must rewrite or scan
a big table, and every booking (INSERT on meetings_booking, UPDATE of meetings_occurrence…)
waits behind it. The checker reads the SQL of each migration (as `sqlmigrate` prints it) and
flags, on tables that already exist and hold more than `max_rows` rows:

* CREATE INDEX without CONCURRENTLY (blocks writes for the whole build);
* ADD CONSTRAINT (CHECK, UNIQUE, EXCLUDE, FOREIGN KEY) without NOT VALID (validates every row);
* ALTER COLUMN … TYPE (may rewrite the table), SET NOT NULL (scans it);
* ADD COLUMN with a volatile default or an inline CHECK/UNIQUE/REFERENCES (rewrite or scan);
* explicit LOCK TABLE, and Python/SQL data migrations (reported for review).

Tables created earlier in the same release are new and empty: nothing on them is flagged.
`manage.py migrate` itself runs with lock_timeout (deploy/serve.sh), so a migration that
cannot get its lock fails fast instead of queueing every booking behind it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TABLE = r'"(?P<table>[^"]+)"'
RULES: list[tuple[str, re.Pattern[str]]] = [
    ("index built without CONCURRENTLY blocks writes for the whole build",
     re.compile(r"^CREATE (UNIQUE )?INDEX (?!CONCURRENTLY)\S+ ON " + _TABLE, re.I)),
    ("constraint added without NOT VALID validates every row under lock",
     re.compile(r"^ALTER TABLE (ONLY )?" + _TABLE + r" ADD CONSTRAINT (?!.*NOT VALID).*(CHECK|UNIQUE|EXCLUDE|FOREIGN KEY)", re.I)),
    ("column type change may rewrite the table",
     re.compile(r"^ALTER TABLE (ONLY )?" + _TABLE + r" ALTER COLUMN \S+ TYPE ", re.I)),
    ("SET NOT NULL scans the whole table under ACCESS EXCLUSIVE",
     re.compile(r"^ALTER TABLE (ONLY )?" + _TABLE + r" ALTER COLUMN \S+ SET NOT NULL", re.I)),
    ("new column with a volatile default rewrites the table",
     re.compile(r"^ALTER TABLE (ONLY )?" + _TABLE + r" ADD COLUMN .* DEFAULT [^;]*\w+\(", re.I)),
    ("new column with an inline constraint scans the table",
     re.compile(r"^ALTER TABLE (ONLY )?" + _TABLE + r" ADD COLUMN .*(CHECK \(|UNIQUE|REFERENCES)", re.I)),
    ("explicit LOCK TABLE",
     re.compile(r"^LOCK (TABLE )?" + _TABLE, re.I)),
]
_CREATED = re.compile(r"^CREATE TABLE " + _TABLE, re.I)
_DATA_MIGRATION = ("-- Raw Python operation", "-- Raw SQL operation")


@dataclass(frozen=True)
class Finding:
    migration: str
    table: str
    reason: str
    statement: str
    rows: int | None = None
    review_only: bool = False

    def __str__(self) -> str:
        size = f" (~{self.rows} rows)" if self.rows is not None else ""
        kind = "review" if self.review_only else "BLOCKS"
        return f"[{kind}] {self.migration}: {self.table}{size}: {self.reason}\n    {self.statement[:200]}"


def analyse(migration: str, sql: str, new_tables: set[str], rows: dict[str, int], max_rows: int) -> list[Finding]:
    """Findings for one migration's SQL; `new_tables` (created earlier in this release) grows."""
    findings: list[Finding] = []
    for raw in sql.splitlines():
        line = raw.strip()
        if line.startswith(_DATA_MIGRATION):
            findings.append(Finding(migration, "-", "data migration: check how many rows it touches and how long it holds them", line, review_only=True))
            continue
        if not line or line.startswith("--"):
            continue
        if created := _CREATED.match(line):
            new_tables.add(created["table"])
            continue
        for reason, pattern in RULES:
            match = pattern.match(line)
            if not match:
                continue
            table = match["table"]
            if table in new_tables:
                break
            count = rows.get(table)
            if count is not None and count <= max_rows:
                findings.append(Finding(migration, table, reason + " (small table: acceptable)", line, count, review_only=True))
            else:
                findings.append(Finding(migration, table, reason, line, count))
            break
    return findings
