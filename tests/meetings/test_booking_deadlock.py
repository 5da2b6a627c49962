"""A one-room booking on PostgreSQL is inserted without a savepoint
(meetings.booking._insert_one_confirmed): when another writer makes it a deadlock victim,
its transaction is gone, so the booking is refused as taken (409) and leaves nothing."""

from __future__ import annotations

import threading
from datetime import timedelta

import psycopg
import pytest

from meetings import booking as engine
from meetings.booking import BookingConflict
from meetings.models import Booking, Meeting, Occurrence
from tests.config.loadtools import admin_dsn
from tests.factories import at, working_day
from tests.meetings.conftest import book, requires_postgres

pytestmark = [requires_postgres, pytest.mark.django_db(transaction=True)]


def _waiting_on_a_lock(pid: int, admin: psycopg.Connection) -> bool:
    row = admin.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone()
    return row is not None and row[0] == "Lock"


def test_a_deadlock_victim_gets_a_clean_conflict_and_writes_nothing(org, no_subscribers, monkeypatch):
    from django.db import connection, connections

    day = working_day(10)
    start, end = at(day, 9), at(day, 10)
    ready, go = threading.Event(), threading.Event()
    seen: dict = {}
    insert = engine.insert

    def paused_insert(objs, conflict=""):
        objs = list(objs)
        if objs and isinstance(objs[0], Booking):  # our meeting and sitting are written, not committed
            occurrence = Occurrence.objects.get(pk=objs[0].occurrence_id)
            seen.update(pid=connection.connection.info.backend_pid, occurrence=occurrence.pk, meeting=occurrence.meeting_id,
                        recurrence=occurrence.recurrence_id)
            ready.set()
            go.wait(30)
        return insert(objs, conflict)

    monkeypatch.setattr(engine, "insert", paused_insert)
    outcome: list = []

    def booker():
        try:
            outcome.append(book(org.secretary, org.hospital, start, end, [org.room_a], title="Nạn nhân"))
        except Exception as exc:  # asserted below
            outcome.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=booker)
    thread.start()
    assert ready.wait(30)
    with psycopg.connect(admin_dsn(), autocommit=True) as admin, psycopg.connect(admin_dsn()) as other:
        # Another writer holds a confirmed row on the same slot (uncommitted): our insert waits on it…
        other.execute(
            "INSERT INTO meetings_booking (occurrence_id, room_id, start, \"end\", blocked_start, blocked_end, status, "
            "expected_attendees, decision_note, created_at) VALUES (%s, %s, %s, %s, %s, %s, 'confirmed', 0, '', now())",
            [seen["occurrence"], org.room_a.pk, start, end, start - timedelta(hours=1), end + timedelta(hours=1)])
        go.set()
        while not _waiting_on_a_lock(seen["pid"], admin):
            threading.Event().wait(0.01)  # polling PostgreSQL until the booking waits
        # …and then waits on ours (the same series slot): a cycle, which PostgreSQL breaks by
        # aborting the one that waited first, the booking.
        other.execute("INSERT INTO meetings_occurrence (meeting_id, index, recurrence_id, start, \"end\", status, "
                      "is_exception, cancelled_individually, in_series, sequence) "
                      "VALUES (%s, 0, %s, %s, %s, 'scheduled', false, false, true, 0)",
                      [seen["meeting"], seen["recurrence"], start, end])
        other.rollback()
    thread.join(30)
    [result] = outcome
    assert isinstance(result, BookingConflict), result
    assert result.clashes[0].room.pk == org.room_a.pk and "vừa được đặt" in result.message
    assert not Meeting.objects.filter(title="Nạn nhân").exists() and not Booking.objects.exists()
