"""Guarantees PostgreSQL enforces itself (no-ops on SQLite, where the booking engine
serialises writers with BEGIN IMMEDIATE instead):

- no two confirmed bookings of one room overlap, buffers included (exclusion constraint);
- the audit trail is append-only (a trigger refuses UPDATE and DELETE).
"""

from django.db import migrations

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS btree_gist",
    """
    ALTER TABLE meetings_booking ADD CONSTRAINT meetings_booking_no_overlapping
    EXCLUDE USING gist (
        room_id WITH =,
        tstzrange(blocked_start, blocked_end, '[)') WITH &&
    ) WHERE (status = 'confirmed')
    """,
    """
    CREATE OR REPLACE FUNCTION meetings_audit_append_only() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'meetings_auditentry is append-only';
    END;
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER meetings_audit_append_only
    BEFORE UPDATE OR DELETE ON meetings_auditentry
    FOR EACH ROW EXECUTE FUNCTION meetings_audit_append_only()
    """,
]

BACKWARD = [
    "DROP TRIGGER IF EXISTS meetings_audit_append_only ON meetings_auditentry",
    "DROP FUNCTION IF EXISTS meetings_audit_append_only()",
    "ALTER TABLE meetings_booking DROP CONSTRAINT IF EXISTS meetings_booking_no_overlapping",
]


def _run(statements: list[str]):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for sql in statements:
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("meetings", "0001_initial")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
