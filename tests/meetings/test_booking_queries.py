"""One booking's database work is pinned: a fixed number of queries for the whole API
request, and inside them one short transaction that writes the meeting, its occurrence,
room choice and booking, the audit entry and the outbox row; what the outbox row stands
for (invitations, online rooms) runs after commit, in huey."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import at, working_day

# Before the transaction: the unit and the room (request validation), the working-day
# calendar (QĐ 45 notice rule). After it: nothing: the answer is built from the rows the
# action wrote. SQLite also pre-checks the room (SELECT) and inserts the booking inside a
# savepoint; on PostgreSQL the exclusion constraint is the check, and the booking's
# INSERT … ON CONFLICT DO NOTHING needs no savepoint (meetings.booking._insert_one_confirmed).
EXPECTED_TOTAL = {"postgresql": 11, "sqlite": 14}
WRITES = ["meetings_meeting", "meetings_occurrence", "meetings_meetingroom", "meetings_booking",
          "meetings_auditentry", "meetings_outboxmessage"]


def _book(api, org, day, hour: int):
    return api(org.secretary).post("/api/v1/meetings/", {
        "title": "Giao ban", "organizing_unit": "bvdk", "start": at(day, hour).isoformat(),
        "end": at(day, hour + 1).isoformat(), "rooms": [{"room": org.room_a.pk}]}, format="json")


@pytest.mark.django_db(transaction=True)
def test_one_booking_is_one_short_transaction_with_pinned_queries(org, api, monkeypatch):
    from meetings import outbox

    monkeypatch.setattr(outbox, "_kick", lambda ids: None)  # the row is written; huey's work is not the booking's
    day = working_day(10)
    assert _book(api, org, day, 8).status_code == 201  # first-use costs out of the count
    with CaptureQueriesContext(connection) as ctx:
        answer = _book(api, org, day, 10)
    assert answer.status_code == 201
    sql = [q["sql"] for q in ctx.captured_queries]
    listing = "\n".join(s[:120] for s in sql)
    assert len(sql) == EXPECTED_TOTAL[connection.vendor], listing
    begin = [i for i, s in enumerate(sql) if s.startswith("BEGIN")]
    commit = [i for i, s in enumerate(sql) if s.startswith("COMMIT")]
    assert len(begin) == 1 and len(commit) == 1, listing  # one transaction
    inside = sql[begin[0] + 1:commit[0]]
    inserted = [m.group(1) for s in inside if (m := re.match(r'INSERT INTO "(\w+)"', s))]
    assert inserted == WRITES, listing
    assert len(inside) <= (6 if connection.vendor == "postgresql" else 9), listing


@pytest.mark.django_db
def test_booking_answer_built_from_memory_equals_the_meeting_read_back(org, api):
    """The 201 answer is built from the rows the action wrote, not read back: it must be
    exactly what GET returns for the same meeting (rooms, attendees, occurrences, bookings)."""
    from tests.factories import at

    day = working_day(12)
    client = api(org.secretary)
    created = client.post("/api/v1/meetings/", {
        "title": "Giao ban liên đơn vị", "organizing_unit": "bvdk", "start": at(day, 9).isoformat(),
        "end": at(day, 10).isoformat(), "rrule": "FREQ=WEEKLY;COUNT=3", "chair": org.leader.pk,
        "rooms": [{"room": org.room_b.pk}, {"room": org.room_a.pk}],
        "attendees": [{"user": org.member.pk}, {"email": "khach@example.vn", "name": "Khách mời"}],
    }, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert len(body["occurrences"]) == 3 and all(len(o["bookings"]) == 2 for o in body["occurrences"])
    assert len(body["attendees"]) == 3  # the chair joins the two invited
    read_back = client.get(f"/api/v1/meetings/{body['uid']}/")
    assert read_back.status_code == 200
    assert read_back.json() == body
