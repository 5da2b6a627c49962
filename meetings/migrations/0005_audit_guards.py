"""The audit trail is append-only in the database itself (security review D3).

- PostgreSQL: 0002's row trigger refuses UPDATE and DELETE; a row trigger does not fire on
  TRUNCATE, so a statement trigger refuses that too. Disabling a trigger needs ownership of
  the table: the runtime role must not own it (see `manage.py grant_app_role`).
- SQLite: the same refusal through triggers. NB: a later migration that rebuilds this table
  on SQLite (an AlterField there) drops these triggers and must create them again.
"""

from django.db import migrations

POSTGRES_FORWARD = [
    """
    CREATE TRIGGER meetings_audit_no_truncate
    BEFORE TRUNCATE ON meetings_auditentry
    FOR EACH STATEMENT EXECUTE FUNCTION meetings_audit_append_only()
    """,
]
POSTGRES_BACKWARD = ["DROP TRIGGER IF EXISTS meetings_audit_no_truncate ON meetings_auditentry"]

SQLITE_FORWARD = [
    """
    CREATE TRIGGER IF NOT EXISTS meetings_audit_no_update BEFORE UPDATE ON meetings_auditentry
    BEGIN SELECT RAISE(ABORT, 'meetings_auditentry is append-only'); END
    """,
    """
    CREATE TRIGGER IF NOT EXISTS meetings_audit_no_delete BEFORE DELETE ON meetings_auditentry
    BEGIN SELECT RAISE(ABORT, 'meetings_auditentry is append-only'); END
    """,
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS meetings_audit_no_update",
    "DROP TRIGGER IF EXISTS meetings_audit_no_delete",
]


def _run(postgres: list[str], sqlite: list[str]):
    def run(apps, schema_editor):
        statements = {"postgresql": postgres, "sqlite": sqlite}.get(schema_editor.connection.vendor, [])
        for sql in statements:
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("meetings", "0004_security_hardening")]

    operations = [migrations.RunPython(_run(POSTGRES_FORWARD, SQLITE_FORWARD), _run(POSTGRES_BACKWARD, SQLITE_BACKWARD))]
