"""A draft gives its rooms back through the named action release_draft_rooms."""

from __future__ import annotations

import pytest
from django.urls import reverse

from meetings import actions
from meetings.models import AuditEntry, Booking, Meeting
from tests.factories import at, working_day
from tests.meetings.conftest import book
from tests.meetings.web.test_composer import client_for, form_data

pytestmark = pytest.mark.django_db


def _draft_holding_a_room(org):  # type: ignore[no-untyped-def]
    day = working_day(10)
    r = client_for(org.secretary).post(reverse("composer"), form_data(org, day, intent="draft"))
    assert r.status_code == 302
    meeting = Meeting.objects.get(status=Meeting.Status.DRAFT)
    # Moving a draft books its rooms (update_meeting); publishing would book them again.
    actions.update_meeting(org.secretary, meeting, {"start": at(day, 14), "end": at(day, 15)})
    assert Booking.objects.filter(occurrence__meeting=meeting, status=Booking.Status.CONFIRMED).count() == 1
    return meeting


def test_releasing_a_drafts_rooms_frees_them_and_is_audited(org):
    meeting = _draft_holding_a_room(org)
    assert actions.release_draft_rooms(org.secretary, meeting) == 1
    booking = Booking.objects.get(occurrence__meeting=meeting)
    assert booking.status == Booking.Status.RELEASED
    trail = list(AuditEntry.objects.filter(meeting=meeting).values_list("action", "actor_id"))
    assert ("booking.released", org.secretary.pk) in trail
    assert ("meeting.draft_rooms_released", org.secretary.pk) in trail
    # Nothing left to give back: no entry, no count.
    before = AuditEntry.objects.count()
    assert actions.release_draft_rooms(org.secretary, meeting) == 0
    assert AuditEntry.objects.count() == before


def test_only_a_draft_gives_its_rooms_back_this_way(org):
    day = working_day(12)
    meeting = book(org.secretary, org.hospital, at(day, 9), at(day, 10), [org.room_a])
    with pytest.raises(actions.ActionError):
        actions.release_draft_rooms(org.secretary, meeting)
    assert Booking.objects.get(occurrence__meeting=meeting).status == Booking.Status.CONFIRMED


def test_publishing_an_edited_draft_from_the_composer_goes_through_the_action(org, monkeypatch):
    meeting = _draft_holding_a_room(org)
    calls = []
    real = actions.release_draft_rooms
    monkeypatch.setattr(actions, "release_draft_rooms", lambda *a, **k: calls.append(a) or real(*a, **k))
    day = working_day(10)
    c = client_for(org.secretary)
    version = c.get(reverse("meeting_edit", args=[meeting.uid])).context["form"].initial["version"]
    data = form_data(org, day, start=f"{day:%Y-%m-%d}T14:00", end=f"{day:%Y-%m-%d}T15:00", version=version,
                     meeting=str(meeting.uid), intent="publish")
    r = c.post(reverse("meeting_edit", args=[meeting.uid]), data)
    assert r.status_code == 302, r.context["form"].errors if r.context else r
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.SCHEDULED
    assert [a[1].pk for a in calls] == [meeting.pk]
    statuses = sorted(Booking.objects.filter(occurrence__meeting=meeting).values_list("status", flat=True))
    assert statuses == [Booking.Status.CONFIRMED, Booking.Status.RELEASED]
    assert AuditEntry.objects.filter(meeting=meeting, action="meeting.draft_rooms_released").exists()
