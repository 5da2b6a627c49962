"""Diacritic-insensitive search: on PostgreSQL the unaccent extension, an IMMUTABLE wrapper
(generated columns must be immutable), a stored tsvector column (not in the Django model: the
database maintains it) and a GIN index on it; on SQLite an FTS5 table. Each branch
runs only on its own engine."""

from django.db import migrations

PG_FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    """CREATE OR REPLACE FUNCTION quorum_unaccent(text) RETURNS text
       LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
       AS $$ SELECT public.unaccent('public.unaccent'::regdictionary, $1) $$""",
    # Stored, so ranking reads the vector instead of re-parsing every matching text.
    """ALTER TABLE archive_issueddocument ADD COLUMN IF NOT EXISTS search_vector tsvector
       GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, quorum_unaccent(search_text))) STORED""",
    "CREATE INDEX IF NOT EXISTS archive_doc_search ON archive_issueddocument USING gin (search_vector)",
]
PG_BACKWARD = [
    "DROP INDEX IF EXISTS archive_doc_search",
    "ALTER TABLE archive_issueddocument DROP COLUMN IF EXISTS search_vector",
    "DROP FUNCTION IF EXISTS quorum_unaccent(text)",
]
SQLITE_FORWARD = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS archive_document_fts USING fts5(body, tokenize = 'unicode61 remove_diacritics 2')",
]
SQLITE_BACKWARD = ["DROP TABLE IF EXISTS archive_document_fts"]


def forward(apps, schema_editor):
    statements = {"postgresql": PG_FORWARD, "sqlite": SQLITE_FORWARD}.get(schema_editor.connection.vendor, [])
    for sql in statements:
        schema_editor.execute(sql)


def backward(apps, schema_editor):
    statements = {"postgresql": PG_BACKWARD, "sqlite": SQLITE_BACKWARD}.get(schema_editor.connection.vendor, [])
    for sql in statements:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("archive", "0001_issued_documents_and_signatures")]
    operations = [migrations.RunPython(forward, backward)]
