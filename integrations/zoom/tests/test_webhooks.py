"""POST /integrations/zoom/webhook: signatures, URL validation, bad input, and the
events (attendance, start/end, changes made in Zoom's own UI)."""

from __future__ import annotations

import copy
import json
import time

import pytest

from integrations.online.models import Attendance, OnlineRoom
from integrations.online.tests.helpers import run_online_outbox, schedule
from integrations.zoom.fake.webhook import event_payload, sign, signed_headers
from integrations.zoom.models import WebhookEvent
from integrations.zoom.tests.conftest import WEBHOOK_SECRET

pytestmark = pytest.mark.django_db
URL = "/integrations/zoom/webhook"

# meeting.participant_joined as in Zoom's API reference (Meetings webhooks), with our ids.
DOCUMENTED_JOIN = {
    "event": "meeting.participant_joined",
    "event_ts": 1626230691572,
    "payload": {
        "account_id": "AAAAAABBBB",
        "object": {
            "id": "1234567890",
            "uuid": "4444AAAiAAAAAiAiAiiAii==",
            "host_id": "x1yCzABCDEfg23HiJKl4mN",
            "topic": "My Meeting",
            "type": 2,
            "start_time": "2021-07-13T21:44:51Z",
            "timezone": "America/Los_Angeles",
            "duration": 60,
            "participant": {
                "user_id": "16778240",
                "user_name": "Jill Chill",
                "id": "iOuVrWmJS_GQ0ls-cpAH8w",
                "participant_uuid": "55555AAAiAAAAAiAiAiiAii",
                "join_time": "2021-07-13T21:45:51Z",
                "email": "jchill@example.com",
                "registrant_id": "abcdefghij0-klmnopq23456",
                "participant_user_id": "rstuvwxyZ789-ABCDEFGH",
                "customer_key": "349589LkJyeW",
                "phone_number": "8615250064084",
            },
        },
    },
}


def post(client, payload, *, ts=None, secret=WEBHOOK_SECRET, headers=None, raw=None):
    body = raw if raw is not None else json.dumps(payload).encode()
    hdrs = signed_headers(secret, body, ts) if headers is None else headers
    return client.generic("POST", URL, body, content_type="application/json",
                          headers={k: v for k, v in hdrs.items() if k != "content-type"})


@pytest.fixture
def zoom_room(org, fake_zoom, zoom_host):
    meeting = schedule(org, "zoom")
    run_online_outbox()
    return OnlineRoom.objects.select_related("occurrence__meeting").get(occurrence__meeting=meeting)


def joined(room, email="", name="Khách", puuid="p-1", join_time="2026-01-01T01:31:00Z", ts=None):
    data = copy.deepcopy(DOCUMENTED_JOIN)
    obj = data["payload"]["object"]
    obj["id"] = room.external_id
    obj["participant"].update(email=email, user_name=name, participant_uuid=puuid, join_time=join_time)
    data["event_ts"] = ts or int(time.time() * 1000)
    return data


def left(room, puuid="p-1", leave_time="2026-01-01T02:45:00Z", email="", name="Khách"):
    data = joined(room, email=email, name=name, puuid=puuid)
    data["event"] = "meeting.participant_left"
    p = data["payload"]["object"]["participant"]
    p.pop("join_time")
    p.update(leave_time=leave_time, leave_reason="left the meeting")
    return data


def test_url_validation_answered_only_with_a_valid_signature(client, fake_zoom):
    payload = {"event": "endpoint.url_validation", "payload": {"plainToken": "qgg8vlvZRS6UYooatFL8Aw"}, "event_ts": 1}
    resp = post(client, payload)
    assert resp.status_code == 200
    import hashlib
    import hmac

    expected = hmac.new(WEBHOOK_SECRET.encode(), b"qgg8vlvZRS6UYooatFL8Aw", hashlib.sha256).hexdigest()
    assert resp.json() == {"plainToken": "qgg8vlvZRS6UYooatFL8Aw", "encryptedToken": expected}
    # Unsigned: no answer (it would be a signing oracle).
    resp = post(client, payload, secret="guess")
    assert resp.status_code == 401 and "encryptedToken" not in resp.content.decode()


def test_signature_invalid_stale_missing_and_replayed(client, zoom_room, django_capture_on_commit_callbacks):
    payload = joined(zoom_room, email="thanhvien@bvdk.vn")
    body = json.dumps(payload).encode()
    assert post(client, payload, secret="wrong-secret").status_code == 401
    assert post(client, payload, ts=int(time.time()) - 301).status_code == 401  # stale
    assert post(client, payload, headers={}).status_code == 401  # missing headers
    # A body changed after signing.
    hdrs = signed_headers(WEBHOOK_SECRET, body)
    assert post(client, None, raw=body.replace(b"thanhvien", b"attacker"), headers=hdrs).status_code == 401
    assert WebhookEvent.objects.count() == 0

    with django_capture_on_commit_callbacks(execute=True):
        assert post(client, None, raw=body, headers=hdrs).status_code == 200
    # The same signed request again (a replay): acknowledged, not applied twice.
    with django_capture_on_commit_callbacks(execute=True):
        resp = post(client, None, raw=body, headers=hdrs)
    assert resp.status_code == 200 and resp.json()["status"] == "duplicate"
    assert Attendance.objects.filter(source="provider").count() == 1
    # Replayed later than 5 minutes: refused.
    old = int(time.time()) - 600
    assert post(client, None, raw=body, headers={"x-zm-request-timestamp": str(old),
                                                  "x-zm-signature": sign(WEBHOOK_SECRET, body, old)}).status_code == 401


def test_malformed_json_is_400_and_unknown_event_200(client, fake_zoom):
    assert post(client, None, raw=b"{not json").status_code == 400
    assert post(client, None, raw=b"[1, 2]").status_code == 400
    assert post(client, None, raw=b"\xff\xfe").status_code == 400
    resp = post(client, {"event": "recording.transcript_completed", "payload": {}})
    assert resp.status_code == 200 and resp.json()["status"] == "ignored"
    assert post(client, {"event": "meeting.started", "payload": {}}).status_code == 400
    assert client.get(URL).status_code == 405


def test_participant_events_update_attendance(client, org, zoom_room, django_capture_on_commit_callbacks):
    member = zoom_room.occurrence.meeting.attendees.get(email=org.member.email)
    with django_capture_on_commit_callbacks(execute=True):
        # Matched by e-mail (Zoom's documented payload shape).
        assert post(client, joined(zoom_room, email="ThanhVien@bvdk.vn", name="T. Viên", puuid="p-1")).status_code == 200
        # A guest without e-mail who never used a personal link.
        post(client, joined(zoom_room, name="Bác sĩ khách", puuid="p-2", join_time="2026-01-01T01:40:00Z"))
        post(client, left(zoom_room, puuid="p-1", leave_time="2026-01-01T02:50:00Z"))
    rows = {r.participant_key: r for r in Attendance.objects.filter(occurrence=zoom_room.occurrence)}
    assert rows["p-1"].attendee == member and rows["p-1"].left_at.hour == 2
    assert rows["p-2"].is_guest and rows["p-2"].guest_name == "Bác sĩ khách"
    assert WebhookEvent.objects.filter(processed_at__isnull=False).count() == 3


def test_attendance_matched_by_personal_join_link(client, org, zoom_room, django_capture_on_commit_callbacks):
    from integrations.online import attendance

    leader = zoom_room.occurrence.meeting.attendees.get(email=org.leader.email)
    attendance.record_link_join(zoom_room.occurrence, leader)
    with django_capture_on_commit_callbacks(execute=True):
        post(client, joined(zoom_room, name=leader.display_name, puuid="p-9"))
    row = Attendance.objects.get(participant_key="p-9")
    assert row.attendee == leader


def test_duplicates_and_out_of_order_deliveries_are_harmless(client, org, zoom_room, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        # The leave arrives first, then the join, then Zoom retries the join (same event_ts).
        post(client, left(zoom_room, puuid="p-5", leave_time="2026-01-01T02:00:00Z"))
        join = joined(zoom_room, puuid="p-5", join_time="2026-01-01T01:35:00Z", ts=1700000000000)
        post(client, join)
        post(client, join, ts=int(time.time()) + 1)  # re-signed retry
    (row,) = Attendance.objects.filter(participant_key="p-5")
    assert row.joined_at.minute == 35 and row.left_at.hour == 2


def test_meeting_started_and_ended_set_actual_times(client, zoom_room, fake_zoom, django_capture_on_commit_callbacks):
    zm = fake_zoom.meetings[int(zoom_room.external_id)]
    with django_capture_on_commit_callbacks(execute=True):
        post(client, event_payload("meeting.ended", zm, "acct-1", end_time="2026-01-01T03:00:00Z"))
        post(client, event_payload("meeting.started", zm, "acct-1", start_time="2026-01-01T01:25:00Z"))
    occ = zoom_room.occurrence
    occ.refresh_from_db()
    zoom_room.refresh_from_db()
    assert occ.actual_start.minute == 25 and occ.actual_end.hour == 3
    assert zoom_room.live_status == "ended"  # a late "started" does not undo "ended"


def test_meeting_deleted_in_zoom_is_recreated_and_flagged(client, org, zoom_room, fake_zoom, mailoutbox,
                                                          django_capture_on_commit_callbacks, emitted):
    old_id = zoom_room.external_id
    zm = fake_zoom.meetings.pop(int(old_id))  # someone deleted it in Zoom's UI
    with django_capture_on_commit_callbacks(execute=True):
        post(client, event_payload("meeting.deleted", zm, "acct-1"))
    zoom_room.refresh_from_db()
    assert zoom_room.state == "ready" and zoom_room.external_id != old_id
    assert "xóa trong Zoom" in zoom_room.changed_outside
    assert any(org.secretary.email in m.to for m in mailoutbox)
    assert emitted.link_changes(zoom_room.occurrence.meeting)  # the new link goes out


def test_meeting_updated_in_zoom_is_put_back(client, zoom_room, fake_zoom, django_capture_on_commit_callbacks):
    zm = fake_zoom.meetings[int(zoom_room.external_id)]
    original = zm["start_time"]
    zm["start_time"] = "2030-01-01T09:00:00Z"  # moved in Zoom's UI
    with django_capture_on_commit_callbacks(execute=True):
        post(client, event_payload("meeting.updated", zm, "acct-1"))
    zoom_room.refresh_from_db()
    assert zm["start_time"] == original
    assert "sửa trong Zoom" in zoom_room.changed_outside and zoom_room.state == "ready"
    # Our own update's webhook changes nothing.
    patches = len(fake_zoom.calls("PATCH"))
    with django_capture_on_commit_callbacks(execute=True):
        post(client, event_payload("meeting.updated", zm, "acct-1", event_ts=123))
    assert len(fake_zoom.calls("PATCH")) == patches


def test_the_fake_sends_signed_webhooks_over_http(live_server, zoom_room, fake_zoom, settings):
    from integrations.zoom.fake.webhook import WebhookSender

    fake_zoom.webhook = WebhookSender(WEBHOOK_SECRET, live_server.url + URL)
    status = fake_zoom.send_event("meeting.participant_joined", int(zoom_room.external_id),
                                  {"user_name": "Khách qua HTTP", "participant_uuid": "p-http"})
    assert status == 200
    assert WebhookEvent.objects.filter(event="meeting.participant_joined").exists()
