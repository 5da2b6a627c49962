"""The bookings' index on occurrence alone goes: (occurrence, status) serves every lookup by
occurrence, and each booking written kept both up to date. As in 0010, only the index is
dropped (an instant lock); Django's AlterField would have re-validated the foreign key
(PostgreSQL) or rebuilt the table (SQLite)."""

import django.db.models.deletion
from django.db import migrations, models

INDEX = '"meetings_booking_occurrence_id_afa49936"'


class Migration(migrations.Migration):

    dependencies = [
        ('meetings', '0010_occurrence_meeting_index_dropped'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='booking',
                    name='occurrence',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='bookings', to='meetings.occurrence', verbose_name='buổi họp'),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f"DROP INDEX IF EXISTS {INDEX}",
                    reverse_sql=f'CREATE INDEX IF NOT EXISTS {INDEX} ON "meetings_booking" ("occurrence_id")',
                ),
            ],
        ),
    ]
