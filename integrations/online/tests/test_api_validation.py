"""Online-room state in the API, and the provider check on meetings."""

from __future__ import annotations

import pytest

from integrations.online.models import OnlineRoom, UnitOnlinePolicy
from integrations.online.tests.helpers import online_input, run_online_outbox, schedule
from meetings import actions
from meetings.actions import ActionError
from meetings.models import Meeting, OutboxMessage

pytestmark = pytest.mark.django_db


def _payload(org, **over):
    from tests.factories import at, working_day

    day = working_day(10)
    data = {
        "title": "Giao ban trực tuyến",
        "organizing_unit": org.hospital.code,
        "start": at(day, 8, 30).isoformat(),
        "end": at(day, 10, 0).isoformat(),
        "mode": "online",
        "online_provider": "jitsi",
        "attendees": [{"email": org.member.email}],
    }
    data.update(over)
    return data


def test_api_shows_pending_then_ready(org, api):
    meeting = schedule(org, "jitsi")
    resp = api(org.secretary).get(f"/api/v1/meetings/{meeting.uid}/online/")
    assert resp.status_code == 200 and resp.json()["state"] == "pending"
    run_online_outbox()
    data = api(org.member).get(f"/api/v1/meetings/{meeting.uid}/online/").json()
    assert data["state"] == "ready" and data["provider"] == "jitsi"
    (occ,) = data["occurrences"]
    assert occ["join_url"].startswith("https://meet.jit.si/Quorum") and "reason" not in occ
    assert data["my_join_link"].endswith("/j/" + meeting.attendees.get(email=org.member.email).join_token)
    assert api(org.outsider).get(f"/api/v1/meetings/{meeting.uid}/online/").status_code == 404


def test_failed_state_and_reason_visible_to_the_unit_and_retry(org, api, settings):
    meeting = schedule(org, "jitsi")
    OnlineRoom.objects.filter(occurrence__meeting=meeting).update(state="failed", reason="Hỏng cấu hình")
    data = api(org.secretary).get(f"/api/v1/meetings/{meeting.uid}/online/").json()
    assert data["state"] == "failed" and data["occurrences"][0]["reason"] == "Hỏng cấu hình"
    assert api(org.member).post(f"/api/v1/meetings/{meeting.uid}/online/retry/").status_code == 403
    resp = api(org.secretary).post(f"/api/v1/meetings/{meeting.uid}/online/retry/")
    assert resp.status_code == 200 and resp.json()["state"] == "pending"
    run_online_outbox()
    assert OnlineRoom.objects.get(occurrence__meeting=meeting).state == "ready"


@pytest.mark.parametrize(
    ("over", "needle"),
    [
        ({"online_provider": "skype"}, "không hợp lệ"),
        ({"online_provider": "link", "online_details": {}}, "cần có đường link"),
        ({"online_provider": "link", "online_details": {"url": "javascript:alert(1)"}}, "http://"),
        ({"online_provider": "link", "online_details": {"url": "ftp://vc.soyte.vn/a"}}, "http://"),
        ({"online_provider": "link", "online_details": {"url": "https://"}}, "http://"),
        ({"online_provider": "zoom"}, "Zoom chưa được cấu hình"),
    ],
)
def test_bad_online_input_is_a_clear_400_and_writes_nothing(org, api, settings, over, needle):
    settings.ZOOM_ACCOUNT_ID = ""
    resp = api(org.secretary).post("/api/v1/meetings/", _payload(org, **over), format="json")
    assert resp.status_code == 400, resp.content
    body = resp.json()
    assert body["field"] in ("online_provider", "online_details") and needle in body["message"]
    assert Meeting.objects.count() == 0 and OutboxMessage.objects.count() == 0


def test_invalid_unit_default_provider_is_refused(org):
    org.hospital.default_online_provider = "webex"
    org.hospital.save()
    with pytest.raises(ActionError) as exc:
        actions.create_meeting(org.secretary, online_input(org, ""))
    assert "webex" in exc.value.message


def test_unit_default_and_site_default_provider(org):
    org.hospital.default_online_provider = "link"
    org.hospital.save()
    with pytest.raises(ActionError):
        actions.create_meeting(org.secretary, online_input(org, ""))  # link needs its URL
    org.hospital.default_online_provider = ""
    org.hospital.save()
    meeting = actions.create_meeting(org.secretary, online_input(org, ""))
    assert OnlineRoom.objects.get(occurrence__meeting=meeting).provider == "jitsi"


def test_fallback_policy_must_not_need_a_host(org):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        UnitOnlinePolicy(unit=org.hospital, fallback_provider="zoom").full_clean()
    UnitOnlinePolicy(unit=org.hospital, fallback_provider="jitsi").full_clean()


def test_in_person_meetings_have_no_room_and_switching_removes_it(org, emitted):
    meeting = schedule(org, "jitsi", mode=Meeting.Mode.HYBRID, rooms=[actions.RoomChoice(org.room_a)])
    run_online_outbox()
    assert OnlineRoom.objects.get(occurrence__meeting=meeting).state == "ready"
    actions.update_meeting(org.secretary, meeting, {"mode": Meeting.Mode.IN_PERSON})
    run_online_outbox()
    assert OnlineRoom.objects.get(occurrence__meeting=meeting).state == "removed"
    in_person = actions.create_meeting(
        org.secretary, online_input(org, "", mode=Meeting.Mode.IN_PERSON, rooms=[actions.RoomChoice(org.room_b)]))
    assert not OnlineRoom.objects.filter(occurrence__meeting=in_person).exists()
    assert not OutboxMessage.objects.filter(meeting=in_person, topic="online_rooms").exists()


def test_switching_provider_replaces_the_link(org, emitted):
    meeting = schedule(org, "jitsi")
    run_online_outbox()
    room = OnlineRoom.objects.get(occurrence__meeting=meeting)
    old = room.join_url
    actions.update_meeting(org.secretary, meeting, {
        "online_provider": "link", "online_details": {"url": "https://vc.soyte.vn/phong-1", "dial_in": "Viettel 1001"}})
    run_online_outbox()
    room.refresh_from_db()
    assert room.join_url == "https://vc.soyte.vn/phong-1" != old and room.dial_in == "Viettel 1001"
    assert emitted.link_changes(meeting) == [[room.occurrence_id], [room.occurrence_id]]


def test_reconciler_plans_rooms_that_were_never_planned(org):
    """E.g. rows lost with a crashed release: an online meeting without rooms gets them."""
    meeting = schedule(org, "jitsi", rrule="FREQ=WEEKLY;COUNT=2")
    OnlineRoom.objects.all().delete()
    OutboxMessage.objects.all().delete()
    from integrations.online import lifecycle

    result = lifecycle.reconcile()
    assert result == {"planned": 2, "synced": 2}
    assert set(OnlineRoom.objects.filter(occurrence__meeting=meeting).values_list("state", flat=True)) == {"ready"}
    assert lifecycle.reconcile() == {"planned": 0, "synced": 0}


def test_periodic_task_is_registered():
    from integrations.online.tasks import reconcile_online_rooms

    # A periodic task (huey schedules it every two minutes).
    assert reconcile_online_rooms.task_class.validate_datetime is not None
