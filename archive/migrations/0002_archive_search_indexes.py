"""Diacritic-insensitive search: on PostgreSQL the unaccent extension, an IMMUTABLE wrapper
(index expressions must be immutable) and a GIN index; on SQLite an FTS5 table. Each branch
runs only on its own engine."""

from django.db import migrations

PG_FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    """CREATE OR REPLACE FUNCTION quorum_unaccent(text) RETURNS text
       LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
       AS $$ SELECT public.unaccent('public.unaccent'::regdictionary, $1) $$""",
    """CREATE INDEX IF NOT EXISTS archive_doc_search ON archive_issueddocument
       USING gin (to_tsvector('simple'::regconfig, quorum_unaccent(search_text)))""",
]
PG_BACKWARD = ["DROP INDEX IF EXISTS archive_doc_search", "DROP FUNCTION IF EXISTS quorum_unaccent(text)"]
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
