from __future__ import annotations

import pytest

from integrations.online.models import OnlineRoom
from integrations.online.tests.helpers import run_online_outbox, schedule
from meetings import actions
from meetings.actions import ActionError
from meetings.models import Meeting

pytestmark = pytest.mark.django_db

VIETTEL = {"url": "https://vc.soyte.vn/phong-giao-ban", "dial_in": "Điểm cầu Viettel: 1001", "passcode": "246810"}


def test_link_and_dial_in_with_the_rooms_vc_endpoints(org, emitted):
    org.room_a.vc_endpoint = "sip:bvdk-a@vc.soyte.vn"
    org.room_a.save()
    meeting = schedule(org, "link", mode=Meeting.Mode.HYBRID, online_details=dict(VIETTEL),
                       rooms=[actions.RoomChoice(org.room_a), actions.RoomChoice(org.room_b)])
    assert meeting.online_details == VIETTEL
    run_online_outbox()
    room = OnlineRoom.objects.get(occurrence__meeting=meeting)
    assert room.state == "ready" and room.join_url == VIETTEL["url"]
    assert room.passcode == "246810" and room.dial_in == VIETTEL["dial_in"]
    assert room.extra["vc_endpoints"] == [
        {"room": "Phòng họp A", "unit": "BVĐK tỉnh", "endpoint": "sip:bvdk-a@vc.soyte.vn"}]
    assert emitted.link_changes(meeting) == [[room.occurrence_id]]


def test_details_are_normalised_and_unknown_fields_refused(org):
    meeting = schedule(org, "link", online_details={"url": "  https://vc.soyte.vn/a  "})
    assert meeting.online_details == {"url": "https://vc.soyte.vn/a", "dial_in": "", "passcode": ""}
    with pytest.raises(ActionError) as exc:
        schedule(org, "link", online_details={"url": "https://vc.soyte.vn/a", "pin": "1"}, hh=14)
    assert "pin" in exc.value.message


@pytest.mark.parametrize("url", ["", "vc.soyte.vn/a", "javascript:alert(1)", "ftp://vc.soyte.vn", "https://", "https://vc soyte.vn"])
def test_link_without_url_or_not_http_is_refused(org, url):
    with pytest.raises(ActionError) as exc:
        schedule(org, "link", online_details={"url": url})
    assert exc.value.field == "online_details"
    assert "http" in exc.value.message or "đường link" in exc.value.message
    assert not Meeting.objects.exists()


def test_changing_the_link_on_an_existing_meeting_is_checked_too(org):
    meeting = schedule(org, "link", online_details=dict(VIETTEL))
    with pytest.raises(ActionError):
        actions.update_meeting(org.secretary, meeting, {"online_details": {"url": "mailto:a@b.vn"}})
    actions.update_meeting(org.secretary, meeting, {"online_details": {**VIETTEL, "url": "https://vc.soyte.vn/b"}})
    run_online_outbox()
    assert OnlineRoom.objects.get(occurrence__meeting=meeting).join_url == "https://vc.soyte.vn/b"
