"""The archive's narrow search table (archive.models.SearchEntry), kept in step with
archive_issueddocument by triggers; the wide table's generated tsvector column goes.

- PostgreSQL: a `vector` column (title with weight A, then the search text; unaccented,
  'simple' configuration) with a GIN index, filled by a PL/pgSQL trigger that recomputes the
  vector only when the title or text changes (issuing, superseding and signing touch only the
  narrow columns).
- SQLite: the same rows through SQL triggers; the text stays in the FTS5 table
  archive_document_fts (archive.search.index).
NB (SQLite): a later migration that rebuilds archive_issueddocument (an AlterField there)
drops its triggers and must create them again (SQLITE_FORWARD below).
Each vendor branch runs only on its own engine."""


import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

COLUMNS = "document_id, unit_id, chair_id, meeting_id, sensitivity, meeting_date, is_current, on_time, signed_at"
# The meeting, reached through the minutes and their sitting.
MEETING_OF = ("(SELECT o.meeting_id FROM minutes_minutes m JOIN meetings_occurrence o ON o.id = m.occurrence_id"
              " WHERE m.id = {minutes})")
NEW_VALUES = (f"NEW.id, NEW.unit_id, NEW.chair_id, {MEETING_OF.format(minutes='NEW.minutes_id')}, NEW.sensitivity, "
              "NEW.meeting_date, NEW.is_current, NEW.on_time, NEW.signed_at")
ROW_VALUES = (f"d.id, d.unit_id, d.chair_id, {MEETING_OF.format(minutes='d.minutes_id')}, d.sensitivity, "
              "d.meeting_date, d.is_current, d.on_time, d.signed_at")
VECTOR = ("setweight(to_tsvector('simple'::regconfig, quorum_unaccent(coalesce({title}, ''))), 'A') || "
          "to_tsvector('simple'::regconfig, quorum_unaccent(coalesce({text}, '')))")

PG_FORWARD = [
    "ALTER TABLE archive_searchentry ADD COLUMN vector tsvector NOT NULL DEFAULT ''::tsvector",
    "ALTER TABLE archive_searchentry ALTER COLUMN vector DROP DEFAULT",
    f"""CREATE OR REPLACE FUNCTION archive_search_sync() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF NEW.issued_at IS NULL THEN
            DELETE FROM archive_searchentry WHERE document_id = NEW.id;
            RETURN NULL;
        END IF;
        IF TG_OP = 'UPDATE' AND OLD.title = NEW.title AND OLD.search_text = NEW.search_text THEN
            -- Issuing, superseding, signing: the text is the same, the vector is kept.
            UPDATE archive_searchentry SET unit_id = NEW.unit_id, chair_id = NEW.chair_id,
                sensitivity = NEW.sensitivity, meeting_date = NEW.meeting_date, is_current = NEW.is_current,
                on_time = NEW.on_time, signed_at = NEW.signed_at
             WHERE document_id = NEW.id;
            IF FOUND THEN
                RETURN NULL;
            END IF;
        END IF;
        INSERT INTO archive_searchentry ({COLUMNS}, vector)
        VALUES ({NEW_VALUES}, {VECTOR.format(title="NEW.title", text="NEW.search_text")})
        ON CONFLICT (document_id) DO UPDATE SET unit_id = EXCLUDED.unit_id, chair_id = EXCLUDED.chair_id,
            meeting_id = EXCLUDED.meeting_id, sensitivity = EXCLUDED.sensitivity, meeting_date = EXCLUDED.meeting_date,
            is_current = EXCLUDED.is_current, on_time = EXCLUDED.on_time, signed_at = EXCLUDED.signed_at,
            vector = EXCLUDED.vector;
        RETURN NULL;
    END $$""",  # noqa: S608 - constant SQL
    """CREATE TRIGGER archive_search_sync AFTER INSERT OR UPDATE ON archive_issueddocument
       FOR EACH ROW EXECUTE FUNCTION archive_search_sync()""",
    f"""INSERT INTO archive_searchentry ({COLUMNS}, vector)
        SELECT {ROW_VALUES}, {VECTOR.format(title="d.title", text="d.search_text")}
          FROM archive_issueddocument d WHERE d.issued_at IS NOT NULL
        ON CONFLICT (document_id) DO NOTHING""",  # noqa: S608 - constant SQL
    "CREATE INDEX archive_entry_vector ON archive_searchentry USING gin (vector)",
    # The dashboard's on-time rates read this index alone (an index-only scan).
    """CREATE INDEX archive_entry_current ON archive_searchentry (meeting_date)
       INCLUDE (unit_id, on_time, sensitivity, document_id) WHERE is_current""",
    "ANALYZE archive_searchentry",
    # The wide table no longer carries a vector: smaller rows, cheaper writes.
    "DROP INDEX IF EXISTS archive_doc_search",
    "ALTER TABLE archive_issueddocument DROP COLUMN IF EXISTS search_vector",
]
PG_BACKWARD = [
    "DROP TRIGGER IF EXISTS archive_search_sync ON archive_issueddocument",
    "DROP FUNCTION IF EXISTS archive_search_sync()",
    """ALTER TABLE archive_issueddocument ADD COLUMN IF NOT EXISTS search_vector tsvector
       GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, quorum_unaccent(search_text))) STORED""",
    "CREATE INDEX IF NOT EXISTS archive_doc_search ON archive_issueddocument USING gin (search_vector)",
]
_SQLITE_UPSERT = f"""INSERT OR REPLACE INTO archive_searchentry ({COLUMNS}) SELECT {NEW_VALUES}
                     WHERE NEW.issued_at IS NOT NULL;"""
SQLITE_FORWARD = [
    f"""CREATE TRIGGER IF NOT EXISTS archive_search_insert AFTER INSERT ON archive_issueddocument
        BEGIN {_SQLITE_UPSERT} END""",
    f"""CREATE TRIGGER IF NOT EXISTS archive_search_update AFTER UPDATE ON archive_issueddocument
        BEGIN
            DELETE FROM archive_searchentry WHERE document_id = NEW.id AND NEW.issued_at IS NULL;
            {_SQLITE_UPSERT}
        END""",  # noqa: S608 - constant SQL
    f"""INSERT OR IGNORE INTO archive_searchentry ({COLUMNS})
        SELECT {ROW_VALUES} FROM archive_issueddocument d WHERE d.issued_at IS NOT NULL""",  # noqa: S608 - constant SQL
]
SQLITE_BACKWARD = ["DROP TRIGGER IF EXISTS archive_search_insert", "DROP TRIGGER IF EXISTS archive_search_update"]


def forward(apps, schema_editor):
    statements = {"postgresql": PG_FORWARD, "sqlite": SQLITE_FORWARD}.get(schema_editor.connection.vendor, [])
    for sql in statements:
        schema_editor.execute(sql)


def backward(apps, schema_editor):
    statements = {"postgresql": PG_BACKWARD, "sqlite": SQLITE_BACKWARD}.get(schema_editor.connection.vendor, [])
    for sql in statements:
        schema_editor.execute(sql)


class Migration(migrations.Migration):

    dependencies = [
        ('archive', '0003_vietnamese_labels'),
        ('meetings', '0009_unaccent_function'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='SearchEntry',
            fields=[
                ('document', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='search_entry', serialize=False, to='archive.issueddocument')),
                ('sensitivity', models.CharField(max_length=20)),
                ('meeting_date', models.DateField()),
                ('is_current', models.BooleanField()),
                ('on_time', models.BooleanField(null=True)),
                ('signed_at', models.DateTimeField(null=True)),
                ('chair', models.ForeignKey(db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('meeting', models.ForeignKey(db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='meetings.meeting')),
                ('unit', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='meetings.unit')),
            ],
            options={
                'indexes': [models.Index(fields=['unit', 'meeting_date'], name='archive_entry_unit_date'), models.Index(fields=['meeting_date'], name='archive_entry_date'), models.Index(condition=models.Q(('sensitivity', 'confidential')), fields=['unit'], name='archive_entry_confidential')],
            },
        ),
        migrations.RunPython(forward, backward),
    ]
