"""Join links issued before the HMAC format (D18) keep working, without their secret in the
database: the old token (/j/<token>, stored as-is in join_key until now) is kept as a SHA-256
hash, and join_key gets a new random value. Links of the new format made from the old key
(/j/<old key>.<mac>) are recognised through the same hash (Attendee.by_join_token)."""

import hashlib
import secrets

from django.db import migrations, models


def hash_old_tokens(apps, schema_editor):
    Attendee = apps.get_model("meetings", "Attendee")
    batch = []
    for row in Attendee.objects.only("pk", "join_key").iterator(chunk_size=2000):
        row.legacy_join_hash = hashlib.sha256(row.join_key.encode()).hexdigest()
        row.join_key = secrets.token_urlsafe()
        batch.append(row)
        if len(batch) >= 2000:
            Attendee.objects.bulk_update(batch, ["legacy_join_hash", "join_key"])
            batch = []
    if batch:
        Attendee.objects.bulk_update(batch, ["legacy_join_hash", "join_key"])


class Migration(migrations.Migration):

    dependencies = [
        ("meetings", "0006_vietnamese_labels"),
    ]

    operations = [
        migrations.AddField(
            model_name="attendee",
            name="legacy_join_hash",
            field=models.CharField(blank=True, db_index=True, default="", editable=False, max_length=64,
                                   verbose_name="mã băm đường link cũ"),
        ),
        migrations.RunPython(hash_old_tokens, migrations.RunPython.noop, elidable=True),
    ]
