"""Archive fixtures: issued minutes made through the real workflow, and a test CA."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client

from archive import pki
from archive.models import IssuedDocument
from meetings import actions as meeting_actions
from meetings.actions import AttendeeInput, MeetingInput, RoomChoice
from meetings.models import Meeting
from minutes import actions, workflow
from minutes.models import Minutes, Section
from tests.factories import at, working_day
from tests.minutes.conftest import briefing, confidential  # noqa: F401 - fixtures reused here


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def issue(org, occurrence, *, text: str = "Họp giao ban: tình hình khám chữa bệnh ổn định.",
          conclusion: str = "Đẩy nhanh tiến độ bệnh án điện tử.", chair=None, secretary=None,
          action: str = "", due: str = "") -> IssuedDocument:
    """Write, submit, approve (chair) and issue the minutes of `occurrence`."""
    secretary = secretary or org.secretary
    minutes = actions.ensure_minutes(occurrence)
    Section.objects.filter(minutes=minutes, position=0).update(text=text)
    actions.add_conclusion(secretary, minutes, conclusion)
    if action:
        actions.add_action_item(secretary, minutes, {"what": action, "owner_user": org.member.pk,
                                                     "owner_unit": org.hospital.pk, "due_date": due})
    workflow.submit(secretary, minutes)
    doc = workflow.approve(chair or occurrence.meeting.chair, minutes)
    workflow.issue(secretary, minutes)
    doc.refresh_from_db()
    return doc


def make_meeting(org, title: str, *, ahead: int = 5, sensitivity=Meeting.Sensitivity.NORMAL, chair=None,
                 unit=None, room=None, attendees=(), actor=None):
    day = working_day(ahead)
    meeting = meeting_actions.create_meeting(actor or org.secretary, MeetingInput(
        title=title, organizing_unit=unit or org.hospital, start=at(day, 8), end=at(day, 9),
        agenda="1. Nội dung", chair=chair or org.leader, rooms=[RoomChoice(room or org.room_a)],
        sensitivity=sensitivity,
        attendees=[AttendeeInput(email=u.email, user=u) for u in attendees],
    ))
    return meeting.occurrences.get()


@pytest.fixture(autouse=True)
def fresh_dashboards():
    """Cached dashboards of earlier tests must not answer this one (the Redis cache outlives
    each test's rolled-back transaction, and so do the invalidations it never committed)."""
    from django.conf import settings

    from archive import dashcache

    if "redis" in settings.CACHES["default"]["BACKEND"].lower():  # the database cache is rolled back
        dashcache._new_version()


@pytest.fixture(scope="session")
def ca():
    return pki.make_authority()


@pytest.fixture
def minutes_late():
    """Mark minutes as if their due date had passed."""
    def late(minutes: Minutes, days: int = 1) -> None:
        Minutes.objects.filter(pk=minutes.pk).update(due_date=minutes.occurrence.start.date() - timedelta(days=days))
    return late
