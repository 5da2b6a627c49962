"""`quorum_unaccent(text)`, an IMMUTABLE wrapper of the unaccent extension, for the meetings
API's diacritic-insensitive `?q=` (meetings.textsearch.Folded). The archive's migration 0002
creates the same function (CREATE OR REPLACE: whichever runs first wins, both are identical).
PostgreSQL only; SQLite gets `quorum_fold` registered on each connection."""

from django.db import migrations

POSTGRES_FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    """CREATE OR REPLACE FUNCTION quorum_unaccent(text) RETURNS text
       LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
       AS $$ SELECT public.unaccent('public.unaccent'::regdictionary, $1) $$""",
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in POSTGRES_FORWARD:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("meetings", "0008_occurrence_meeting_start")]
    # No backward step: the archive's search may still use the function.
    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
