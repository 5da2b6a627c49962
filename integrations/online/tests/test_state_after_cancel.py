"""The online state says what is true: a cancelled meeting's rooms are reported removing,
then removed once the provider deleted them (never "pending")."""

from __future__ import annotations

import pytest

from integrations.online.models import OnlineRoom
from integrations.online.tests.helpers import run_online_outbox, schedule
from integrations.zoom.tests.conftest import fake_zoom, zoom_host  # noqa: F401 - fixtures
from meetings import actions

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("provider", ["jitsi", "zoom"])
def test_cancelled_meeting_reports_its_room_removed(org, api, provider, request):
    if provider == "zoom":
        request.getfixturevalue("fake_zoom")
        request.getfixturevalue("zoom_host")
    meeting = schedule(org, provider)
    run_online_outbox()
    url = f"/api/v1/meetings/{meeting.uid}/online/"
    assert api(org.secretary).get(url).json()["state"] == "ready"
    actions.cancel_meeting(org.secretary, meeting, reason="Hoãn")
    body = api(org.secretary).get(url).json()
    assert body["state"] == ("removing" if provider == "zoom" else body["state"])
    assert body["state"] in ("removing", "removed")
    run_online_outbox()
    body = api(org.member).get(url).json()
    assert body["state"] == "removed"
    assert [o["state"] for o in body["occurrences"]] == ["removed"]
    room = OnlineRoom.objects.get(occurrence__meeting=meeting)
    assert room.state == OnlineRoom.State.REMOVED and not room.external_id and not room.join_url


def test_meeting_switched_to_in_person_reports_removed_and_never_online_reports_none(org, api):
    meeting = schedule(org, "jitsi")
    run_online_outbox()
    actions.update_meeting(org.secretary, meeting, {"mode": "in_person", "rooms": [actions.RoomChoice(org.room_a)]})
    run_online_outbox()
    assert api(org.secretary).get(f"/api/v1/meetings/{meeting.uid}/online/").json()["state"] == "removed"
    plain = actions.create_meeting(org.secretary, actions.MeetingInput(
        title="Họp trực tiếp", organizing_unit=org.hospital, start=meeting.start, end=meeting.end,
        rooms=[actions.RoomChoice(org.room_b)]))
    assert api(org.secretary).get(f"/api/v1/meetings/{plain.uid}/online/").json()["state"] == "none"
