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

# Before the transaction: working-day calendar (QĐ 45 notice rule) ×2, the unit and the room
# (request validation). After it: the answer (the meeting and its four related lists).
# SQLite also pre-checks the room (SELECT), where PostgreSQL's exclusion constraint is the check.
EXPECTED_TOTAL = {"postgresql": 19, "sqlite": 20}
WRITES = ["meetings_meeting", "meetings_occurrence", "meetings_meetingroom", "meetings_booking",
          "meetings_auditentry", "meetings_outboxmessage"]


def _book(api, org, hour: int):
    day = working_day(10)
    return api(org.secretary).post("/api/v1/meetings/", {
        "title": "Giao ban", "organizing_unit": "bvdk", "start": at(day, hour).isoformat(),
        "end": at(day, hour + 1).isoformat(), "rooms": [{"room": org.room_a.pk}]}, format="json")


@pytest.mark.django_db(transaction=True)
def test_one_booking_is_one_short_transaction_with_pinned_queries(org, api, monkeypatch):
    from meetings import outbox

    monkeypatch.setattr(outbox, "_kick", lambda ids: None)  # the row is written; huey's work is not the booking's
    assert _book(api, org, 8).status_code == 201  # first-use costs out of the count
    with CaptureQueriesContext(connection) as ctx:
        assert _book(api, org, 10).status_code == 201
    sql = [q["sql"] for q in ctx.captured_queries]
    listing = "\n".join(s[:120] for s in sql)
    assert len(sql) == EXPECTED_TOTAL[connection.vendor], listing
    begin = [i for i, s in enumerate(sql) if s.startswith("BEGIN")]
    commit = [i for i, s in enumerate(sql) if s.startswith("COMMIT")]
    assert len(begin) == 1 and len(commit) == 1, listing  # one transaction
    inside = sql[begin[0] + 1:commit[0]]
    inserted = [m.group(1) for s in inside if (m := re.match(r'INSERT INTO "(\w+)"', s))]
    assert inserted == WRITES, listing
    assert len(inside) <= 10, listing  # plus only the savepoint around the booking (and SQLite's pre-check)
