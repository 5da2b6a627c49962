"""The documented backup routine, run once: pg_dump of a live database, restore into a new
one, and the restored database holds the same meetings, bookings and guarantees."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import psycopg
import pytest
from django.conf import settings

from meetings import actions
from meetings.models import Booking, Meeting
from tests.factories import at, working_day

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not settings.IS_POSTGRES, reason="needs PostgreSQL"),
    pytest.mark.skipif(shutil.which("pg_dump") is None, reason="needs pg_dump (postgresql-client)"),
]


def url(name: str) -> str:
    db = settings.DATABASES["default"]
    return f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}"


def test_dump_then_restore_into_a_new_database(org, tmp_path):
    day = working_day(8)
    meeting = actions.create_meeting(org.secretary, actions.MeetingInput(
        title="Giao ban sao lưu", organizing_unit=org.hospital, start=at(day, 9), end=at(day, 10),
        rooms=[actions.RoomChoice(org.room_a, 3)]))
    source = settings.DATABASES["default"]["NAME"]
    target = f"{source}_restore"
    admin = url("postgres").replace("postgres://", "postgresql://", 1)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{target}"')
    env = {**os.environ, "DATABASE_URL": url(source), "BACKUP_DIR": str(tmp_path)}
    try:
        dump = subprocess.run([str(ROOT / "deploy/backup.sh"), "dump"], env=env, capture_output=True,
                              text=True, timeout=120, check=True).stdout.strip()
        assert Path(dump).is_file() and Path(dump).parent == tmp_path

        refused = subprocess.run([str(ROOT / "deploy/backup.sh"), "restore", dump, url(source)], env=env,
                                 capture_output=True, text=True, timeout=60)
        assert refused.returncode != 0 and "exists already" in refused.stderr  # never overwrites

        subprocess.run([str(ROOT / "deploy/backup.sh"), "restore", dump, url(target)], env=env,
                       capture_output=True, text=True, timeout=120, check=True)
        with psycopg.connect(url(target).replace("postgres://", "postgresql://", 1)) as conn:
            titles = [r[0] for r in conn.execute(f"SELECT title FROM {Meeting._meta.db_table}")]  # noqa: S608
            bookings = conn.execute(f"SELECT count(*) FROM {Booking._meta.db_table}").fetchone()[0]  # noqa: S608
            exclusion = conn.execute(
                "SELECT count(*) FROM pg_constraint WHERE contype = 'x' AND conrelid = %s::regclass",
                [Booking._meta.db_table]).fetchone()[0]
        assert titles == [meeting.title]
        assert bookings == Booking.objects.count() == 1
        assert exclusion == 1  # the no-double-booking guarantee came back too
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')
