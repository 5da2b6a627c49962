"""Release check: do the migrations about to run hold locks that block bookings for long?

    manage.py check_migration_locks                 # the migrations not applied to this database
    manage.py check_migration_locks --all           # the whole history, as successive releases
    manage.py check_migration_locks --max-rows 0    # flag risky statements whatever the table size

Exit status 1 (with the statements) when a blocking statement is found; see
config/migration_locks.py for the rules and README "Upgrades" for the safe alternatives.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from config.migration_locks import Finding, analyse


def table_rows() -> dict[str, int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, GREATEST(c.reltuples, 0)::bigint FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'r' AND n.nspname = current_schema()"
        )
        return dict(cursor.fetchall())


def check(plan_all: bool = False, max_rows: int = 10_000) -> tuple[int, list[Finding]]:
    """(migrations checked, findings). Without `plan_all`: the migrations not yet applied, as
    one release. With it: every migration, each as a release of its own, against the row
    counts of the tables in this database."""
    executor = MigrationExecutor(connection)
    graph = executor.loader.graph
    if plan_all:
        keys: list[tuple[str, str]] = []
        for leaf in graph.leaf_nodes():
            keys += [k for k in graph.forwards_plan(leaf) if k not in keys]
        plan = [(graph.nodes[k], False) for k in keys]
    else:
        plan = executor.migration_plan(graph.leaf_nodes())
    rows = table_rows()
    new_tables: set[str] = set()
    findings: list[Finding] = []
    for migration, backwards in plan:
        if backwards:
            continue
        if plan_all:
            new_tables = set()
        sql = "\n".join(executor.loader.collect_sql([(migration, False)]))
        findings += analyse(f"{migration.app_label}.{migration.name}", sql, new_tables, rows, max_rows)
    return len(plan), findings


class Command(BaseCommand):
    help = "Fail if the migrations to apply would hold locks that block bookings for long."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--all", action="store_true", help="Check the whole history (each migration against the tables before it).")
        parser.add_argument("--max-rows", type=int, default=10_000, help="Tables up to this many rows are fine to lock briefly.")

    def handle(self, *args: Any, **options: Any) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("check_migration_locks reads PostgreSQL's SQL and table sizes: set DATABASE_URL to the production database (or a copy).")
        count, findings = check(options["all"], options["max_rows"])
        for finding in findings:
            self.stdout.write(str(finding))
        blocking = [f for f in findings if not f.review_only]
        self.stdout.write(f"{count} migrations checked: {len(blocking)} blocking, {len(findings) - len(blocking)} to review.")
        if blocking:
            raise CommandError(f"{len(blocking)} statements would block bookings for long: see above.")
