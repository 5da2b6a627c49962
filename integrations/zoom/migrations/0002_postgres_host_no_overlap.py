"""PostgreSQL guarantees that one Zoom host never holds two overlapping occurrences
(buffers included). A no-op on SQLite, where writers are serialised by BEGIN IMMEDIATE."""

from django.db import migrations

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS btree_gist",
    """
    ALTER TABLE zoom_hostallocation ADD CONSTRAINT zoom_allocation_no_overlap
    EXCLUDE USING gist (
        host_id WITH =,
        tstzrange(blocked_start, blocked_end, '[)') WITH &&
    ) WHERE (active)
    """,
]

BACKWARD = [
    "ALTER TABLE zoom_hostallocation DROP CONSTRAINT IF EXISTS zoom_allocation_no_overlap",
]


def _run(statements: list[str]):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for sql in statements:
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("zoom", "0001_initial"), ("meetings", "0002_postgres_guarantees")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
