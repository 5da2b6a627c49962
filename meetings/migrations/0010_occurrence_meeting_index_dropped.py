"""The sittings' index on meeting alone goes: (meeting, start) serves every lookup by meeting,
and with both PostgreSQL chose the narrower one for a page of sittings, reading each
meeting's whole series instead of the weeks asked for (meetings/mine.py). Dropping an index
takes the table's lock only for an instant; the state change alone would have made Django
drop and re-validate the foreign key (PostgreSQL) or rebuild the table (SQLite)."""

import django.db.models.deletion
from django.db import migrations, models

INDEX = '"meetings_occurrence_meeting_id_93a485f7"'


class Migration(migrations.Migration):

    dependencies = [
        ('meetings', '0009_unaccent_function'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='occurrence',
                    name='meeting',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='occurrences', to='meetings.meeting', verbose_name='cuộc họp'),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f"DROP INDEX IF EXISTS {INDEX}",
                    reverse_sql=f'CREATE INDEX IF NOT EXISTS {INDEX} ON "meetings_occurrence" ("meeting_id")',
                ),
            ],
        ),
    ]
