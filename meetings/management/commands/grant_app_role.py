"""Give the runtime database role what it needs, and nothing more on the audit trail (D3).

Production runs two PostgreSQL roles: the OWNER (runs `migrate`, owns every table) and the
APP role the web and worker processes connect as. Run this as the owner after each migrate:

    DATABASE_URL=postgres://quorum_owner@db/quorum manage.py grant_app_role quorum_app

The app role may then read and write every table except the audit trail, where it may only
SELECT and INSERT: it cannot UPDATE, DELETE or TRUNCATE entries, and as it does not own the
table it cannot disable the triggers either.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from psycopg import sql

AUDIT_TABLE = "meetings_auditentry"


class Command(BaseCommand):
    help = "Grant the runtime PostgreSQL role its privileges (the audit trail: SELECT and INSERT only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("role", help="the role the application connects as (not the owner)")

    def handle(self, *args: Any, role: str, **options: Any) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("grant_app_role is for PostgreSQL; SQLite has no roles.")
        with connection.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
            if cur.fetchone() is None:
                raise CommandError(f"There is no PostgreSQL role {role!r}: create it first (CREATE ROLE … LOGIN).")
            cur.execute("SELECT tableowner FROM pg_tables WHERE tablename = %s", [AUDIT_TABLE])
            owner = cur.fetchone()
            if owner is None:
                raise CommandError("The audit table does not exist yet: run migrate first.")
            if owner[0] == role:
                raise CommandError(f"{role!r} owns the tables: the app role must be a different role than the owner.")
            r, audit_table = sql.Identifier(role), sql.Identifier(AUDIT_TABLE)
            for statement in (
                sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(r),
                sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {}").format(r),
                sql.SQL("GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {}").format(r),
                sql.SQL("REVOKE ALL ON {} FROM {}").format(audit_table, r),
                sql.SQL("GRANT SELECT, INSERT ON {} TO {}").format(audit_table, r),
            ):
                cur.execute(statement)
        self.stdout.write(f"Granted {role}: all tables read/write, {AUDIT_TABLE} SELECT and INSERT only.")
