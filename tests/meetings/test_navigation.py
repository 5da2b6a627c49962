"""The bar offers each role the pages it may use, and nothing that would answer 403."""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from django.urls import reverse

from meetings.context_processors import navigation
from meetings.models import Booking, Meeting, Occurrence
from tests.factories import at, working_day

pytestmark = pytest.mark.django_db


def _bar(user, path="/") -> dict[str, dict]:
    request = RequestFactory().get(path)
    request.user = user
    from django.urls import resolve

    request.resolver_match = resolve(path)
    return {item["url"]: item for item in navigation(request)["nav_items"]}


EVERYONE = ["my_meetings", "calendar", "rooms", "minutes_index", "my_actions"]


@pytest.mark.parametrize("who, extra, absent", [
    ("member", [], ["composer", "meeting_list", "room_queue", "archive"]),
    ("secretary", ["composer", "meeting_list"], ["room_queue", "archive"]),
    ("unit_admin", ["composer", "meeting_list", "room_queue"], ["archive"]),
    ("leader", ["archive"], ["composer", "room_queue"]),
])
def test_each_role_sees_its_pages_in_the_bar(org, who, extra, absent):
    bar = _bar(getattr(org, who))
    for name in EVERYONE + extra:
        assert reverse(name) in bar, name
    for name in absent:
        assert reverse(name) not in bar, name


def test_every_page_offered_opens_for_that_role(org, client):
    for who in ("member", "secretary", "unit_admin", "leader", "dept_leader"):
        user = getattr(org, who)
        client.force_login(user)
        for url in _bar(user):
            assert client.get(url).status_code == 200, (who, url)


def test_room_queue_badge_counts_waiting_requests_and_sub_pages_mark_their_item(org):
    day = working_day(6)
    meeting = Meeting.objects.create(title="Xin phòng", organizing_unit=org.cdc, created_by=org.outsider,
                                     start=at(day, 9), end=at(day, 10), status=Meeting.Status.SCHEDULED)
    occ = Occurrence.objects.create(meeting=meeting, index=0, recurrence_id=meeting.start, start=meeting.start,
                                    end=meeting.end)
    Booking.objects.create(occurrence=occ, room=org.room_a, start=occ.start, end=occ.end, blocked_start=occ.start,
                           blocked_end=occ.end, status=Booking.Status.REQUESTED)
    bar = _bar(org.unit_admin)
    assert bar[reverse("room_queue")]["badge"] >= 1
    assert _bar(org.leader, reverse("unit_actions"))[reverse("my_actions")]["current"]
    assert _bar(org.leader, reverse("dashboard"))[reverse("archive")]["current"]
