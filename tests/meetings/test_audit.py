"""Audit trail: every change to a meeting, booking, room or membership is recorded
append-only (who, when, what, before/after); PostgreSQL refuses UPDATE/DELETE."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction

from meetings import actions
from meetings.models import AuditEntry, Booking, Membership
from tests.factories import at, working_day
from tests.meetings.conftest import book, requires_postgres


def _entries(action, **kw):
    return list(AuditEntry.objects.filter(action=action, **kw))


def test_meeting_and_booking_changes_are_recorded_with_actor_and_before_after(org):
    day = working_day(10)
    m = book(org.secretary, org.hospital, at(day, 8), at(day, 9), [org.room_a])
    booking = Booking.objects.get(occurrence__meeting=m)
    [created] = _entries("meeting.created", meeting=m)
    assert created.actor == org.secretary and created.after["title"] == "Họp giao ban" and created.at
    [booked] = _entries("booking.created", object_id=str(booking.pk))
    assert booked.after["room_id"] == org.room_a.pk and booked.after["status"] == "confirmed"

    actions.update_meeting(org.secretary, m, {"start": at(day, 10), "end": at(day, 11)})
    [updated] = _entries("meeting.updated", meeting=m)
    assert updated.before["start"].startswith(str(day)) and "start" in updated.after
    assert "title" not in updated.after  # only what changed
    [released] = _entries("booking.released", object_id=str(booking.pk))
    assert (released.before, released.after) == ({"status": "confirmed"}, {"status": "released"})

    actions.cancel_meeting(org.unit_admin, m, reason="Hoãn")
    [cancelled] = _entries("meeting.cancelled", meeting=m)
    assert cancelled.actor == org.unit_admin and cancelled.after["status"] == "cancelled"


def test_room_and_membership_changes_are_recorded(org, api):
    r = api(org.unit_admin).patch(f"/api/v1/rooms/{org.room_a.pk}/", {"capacity": 25}, format="json")
    assert r.status_code == 200, r.content
    [entry] = _entries("updated", object_type="room", object_id=str(org.room_a.pk))
    assert entry.actor == org.unit_admin and (entry.before, entry.after) == ({"capacity": 20}, {"capacity": 25})
    membership = Membership.objects.create(user=org.member, unit=org.cdc, role=Membership.Role.MEMBER)
    assert _entries("created", object_type="membership", object_id=str(membership.pk))
    pk = membership.pk
    membership.delete()
    [deleted] = _entries("deleted", object_type="membership", object_id=str(pk))
    assert deleted.before["unit_id"] == org.cdc.pk


def test_audit_entries_cannot_be_changed_through_the_orm(org):
    day = working_day(10)
    book(org.secretary, org.hospital, at(day, 8), at(day, 9), [org.room_a])
    entry = AuditEntry.objects.first()
    entry.action = "forged"
    with pytest.raises(ValidationError):
        entry.save()
    with pytest.raises(ValidationError):
        entry.delete()


@requires_postgres
def test_postgres_trigger_refuses_update_and_delete_of_audit_rows(org):
    day = working_day(10)
    book(org.secretary, org.hospital, at(day, 8), at(day, 9), [org.room_a])
    pk = AuditEntry.objects.first().pk
    for sql in ("UPDATE meetings_auditentry SET action = 'forged' WHERE id = %s", "DELETE FROM meetings_auditentry WHERE id = %s"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cur:
            cur.execute(sql, [pk])
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(pk=pk).update(action="forged")
    assert AuditEntry.objects.get(pk=pk).action == "meeting.created" or AuditEntry.objects.filter(pk=pk).exists()
