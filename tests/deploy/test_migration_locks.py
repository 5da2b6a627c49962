"""The upgrade check: migrations that would hold a lock blocking bookings for long are refused."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection, migrations, models
from django.db.migrations.executor import MigrationExecutor

from config.migration_locks import analyse

BIG = {"meetings_booking": 250_000}


def blocking(sql: str, rows: dict[str, int] = BIG, new: set[str] | None = None) -> list[str]:
    return [f.reason for f in analyse("m.0099", sql, new or set(), rows, 10_000) if not f.review_only]


def test_plain_index_on_the_booking_table_blocks_but_concurrently_does_not():
    assert blocking('CREATE INDEX "x" ON "meetings_booking" ("created_at");') == [
        "index built without CONCURRENTLY blocks writes for the whole build"]
    assert blocking('CREATE INDEX CONCURRENTLY "x" ON "meetings_booking" ("created_at");') == []


def test_constraints_need_not_valid_and_type_changes_and_not_null_are_flagged():
    assert blocking('ALTER TABLE "meetings_booking" ADD CONSTRAINT "c" CHECK ("a" < "b");')
    assert blocking('ALTER TABLE "meetings_booking" ADD CONSTRAINT "c" CHECK ("a" < "b") NOT VALID;') == []
    assert blocking('ALTER TABLE "meetings_booking" ALTER COLUMN "note" TYPE text USING "note"::text;')
    assert blocking('ALTER TABLE "meetings_booking" ALTER COLUMN "note" SET NOT NULL;')
    assert blocking('ALTER TABLE "meetings_booking" ADD COLUMN "n" integer DEFAULT 0 NOT NULL;') == []  # PG ≥ 11: no rewrite
    assert blocking('ALTER TABLE "meetings_booking" ADD COLUMN "t" timestamptz DEFAULT now() NOT NULL;')


def test_new_and_small_tables_are_fine():
    sql = 'CREATE TABLE "meetings_new" ("id" bigint);\nCREATE INDEX "i" ON "meetings_new" ("id");'
    assert blocking(sql) == []
    assert blocking('CREATE INDEX "x" ON "meetings_booking" ("created_at");', rows={"meetings_booking": 40}) == []


needs_postgres = pytest.mark.skipif(not settings.IS_POSTGRES, reason="reads PostgreSQL's SQL")


@needs_postgres
@pytest.mark.django_db
def test_a_real_migration_adding_an_index_to_bookings_is_caught():
    from meetings.models import Booking

    migration = migrations.Migration("0999_booking_created_index", "meetings")
    migration.operations = [migrations.AddIndex("booking", models.Index(fields=["room"], name="booking_room_extra"))]
    state = MigrationExecutor(connection).loader.project_state()
    with connection.schema_editor(collect_sql=True, atomic=False) as editor:
        migration.apply(state, editor, collect_sql=True)
    found = analyse("meetings.0999", "\n".join(editor.collected_sql), set(), {Booking._meta.db_table: 250_000}, 10_000)
    assert [f.reason for f in found] == ["index built without CONCURRENTLY blocks writes for the whole build"]
    assert found[0].table == Booking._meta.db_table


@needs_postgres
@pytest.mark.django_db
def test_the_command_passes_a_migrated_database_and_flags_history_regardless_of_size(capsys):
    call_command("check_migration_locks")
    assert "0 migrations checked: 0 blocking" in capsys.readouterr().out
    with pytest.raises(CommandError):
        call_command("check_migration_locks", "--all", "--max-rows", "-1")
    out = capsys.readouterr().out
    assert "[BLOCKS] invitations.0002_delivery_claim_feed_fragment_freshness: invitations_feedfragment" in out


def test_the_command_refuses_sqlite_with_a_sentence():
    if settings.IS_POSTGRES:
        pytest.skip("PostgreSQL run")
    with pytest.raises(CommandError, match="PostgreSQL"):
        call_command("check_migration_locks")
