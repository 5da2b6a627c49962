"""A Zoom meeting per occurrence, created / updated / deleted through the outbox, against
the fake Zoom over real HTTP."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail

from integrations.online import lifecycle
from integrations.online.models import OnlineRoom
from integrations.online.tests.helpers import run_online_outbox, schedule
from meetings import actions
from meetings.actions import ActionError
from meetings.models import OutboxMessage

pytestmark = pytest.mark.django_db


def test_create_sends_utc_and_stores_what_zoom_kept(org, fake_zoom, zoom_host, emitted):
    meeting = schedule(org, "zoom", hh=8, mm=30, minutes=90)
    room = OnlineRoom.objects.get(occurrence__meeting=meeting)
    assert room.state == OnlineRoom.State.PENDING and room.provider == "zoom"

    assert run_online_outbox() == ["done"]

    room.refresh_from_db()
    (create,) = fake_zoom.calls("POST", "/meetings")
    local = meeting.start
    # 08:30 in Hà Nội is 01:30 UTC: sent with Z, and the display time zone is Vietnam's.
    assert create.body["start_time"] == f"{local.date():%Y-%m-%d}T01:30:00Z"
    assert create.body["timezone"] == "Asia/Ho_Chi_Minh"
    assert create.body["duration"] == 90
    assert create.path == "/v2/users/host1@soyte.vn/meetings"
    zoom_meeting = fake_zoom.meetings[int(room.external_id)]
    assert room.state == OnlineRoom.State.READY
    assert room.join_url == zoom_meeting["join_url"] and room.passcode == zoom_meeting["password"]
    assert "Vietnam" in room.dial_in
    assert "start_url" not in str(room.extra) and "zak=" not in room.join_url
    # The link goes to attendees through online_link_changed.
    assert emitted.link_changes(meeting) == [[room.occurrence_id]]


def test_update_patches_only_changed_fields_and_reads_back(org, fake_zoom, zoom_host, emitted):
    meeting = schedule(org, "zoom")
    run_online_outbox()
    room = OnlineRoom.objects.get(occurrence__meeting=meeting)
    actions.update_meeting(org.secretary, meeting, {"start": meeting.start + timedelta(hours=1)})
    assert run_online_outbox() == ["done"]
    (patch,) = fake_zoom.calls("PATCH")
    assert set(patch.body) == {"start_time", "timezone", "id"}  # zoomus leaks the id
    assert len(fake_zoom.calls("POST", "/meetings")) == 1
    room.refresh_from_db()
    zoom_meeting = fake_zoom.meetings[int(room.external_id)]
    assert zoom_meeting["start_time"].endswith("T02:30:00Z")
    assert room.state == OnlineRoom.State.READY

    # A title change alone: one PATCH with the topic only.
    actions.update_meeting(org.secretary, meeting, {"title": "Giao ban tuần (sửa)"})
    run_online_outbox()
    assert fake_zoom.calls("PATCH")[-1].body.keys() == {"topic", "id"}


def test_cancel_deletes_the_zoom_meeting_and_frees_the_host(org, fake_zoom, zoom_host):
    meeting = schedule(org, "zoom")
    run_online_outbox()
    room = OnlineRoom.objects.get(occurrence__meeting=meeting)
    actions.cancel_meeting(org.secretary, meeting, reason="Hoãn")
    run_online_outbox()
    room.refresh_from_db()
    assert room.state == OnlineRoom.State.REMOVED
    assert fake_zoom.meetings == {}
    assert not zoom_host.allocations.filter(active=True).exists()
    # The host is free again for the same time.
    schedule(org, "zoom")


def test_series_gets_one_zoom_meeting_per_occurrence_and_edits_stay_local(org, fake_zoom, zoom_host, emitted):
    meeting = schedule(org, "zoom", rrule="FREQ=WEEKLY;COUNT=3")
    run_online_outbox()
    rooms = list(OnlineRoom.objects.filter(occurrence__meeting=meeting).order_by("occurrence__start"))
    assert [r.state for r in rooms] == ["ready"] * 3
    assert len({r.external_id for r in rooms}) == 3 == len(fake_zoom.meetings)

    second = rooms[1].occurrence
    actions.cancel_meeting(org.secretary, meeting, scope="occurrence", occurrence=second)
    run_online_outbox()
    assert set(fake_zoom.meetings) == {int(rooms[0].external_id), int(rooms[2].external_id)}

    third = rooms[2].occurrence
    actions.update_meeting(org.secretary, meeting, {"start": third.start + timedelta(hours=2)},
                           scope="occurrence", occurrence=third)
    run_online_outbox()
    assert len(fake_zoom.calls("PATCH")) == 1
    assert fake_zoom.calls("PATCH")[0].path == f"/v2/meetings/{rooms[2].external_id}"
    assert not fake_zoom.calls("PATCH", rooms[0].external_id)


def test_zoom_down_meeting_saved_link_after_recovery_nothing_duplicated(org, fake_zoom, zoom_host, emitted):
    fake_zoom.fail("down", count=100, path="/meetings")
    meeting = schedule(org, "zoom")  # the booking itself never waits for Zoom
    assert run_online_outbox() == ["retry"]
    room = OnlineRoom.objects.get(occurrence__meeting=meeting)
    assert room.state == OnlineRoom.State.PENDING and "kết nối" in room.reason
    assert OutboxMessage.objects.get(topic=lifecycle.TOPIC).status == "pending"

    fake_zoom.heal()
    assert run_online_outbox() == ["done"]
    room.refresh_from_db()
    assert room.state == OnlineRoom.State.READY and room.join_url
    assert len(fake_zoom.meetings) == 1
    assert emitted.link_changes(meeting) == [[room.occurrence_id]]


def test_create_answer_lost_is_adopted_not_repeated(org, fake_zoom, zoom_host, settings):
    # Zoom creates the meeting but the answer arrives after our timeout.
    fake_zoom.fail("lost", path="/meetings", method="POST", delay=1.5)
    meeting = schedule(org, "zoom")
    assert run_online_outbox() == ["retry"]
    assert len(fake_zoom.meetings) == 1
    room = OnlineRoom.objects.get(occurrence__meeting=meeting)
    assert room.create_started_at is not None and room.external_id == ""

    assert run_online_outbox() == ["done"]
    room.refresh_from_db()
    assert len(fake_zoom.meetings) == 1 and int(room.external_id) in fake_zoom.meetings
    assert len(fake_zoom.calls("POST", "/meetings")) == 1


def test_reconciler_redrives_a_room_whose_worker_died(org, fake_zoom, zoom_host):
    meeting = schedule(org, "zoom")
    # The outbox row was taken by a worker that died: its lease and the room's stay set.
    OutboxMessage.objects.filter(topic=lifecycle.TOPIC).update(status="done")
    room = OnlineRoom.objects.get(occurrence__meeting=meeting)
    from django.utils import timezone

    OnlineRoom.objects.filter(pk=room.pk).update(lease_until=timezone.now() - timedelta(seconds=1))
    assert lifecycle.reconcile()["synced"] == 1
    room.refresh_from_db()
    assert room.state == OnlineRoom.State.READY and len(fake_zoom.meetings) == 1
    assert lifecycle.reconcile()["synced"] == 0


def test_wrong_credentials_fail_clearly_and_other_providers_still_book(org, fake_zoom, zoom_host, settings):
    settings.ZOOM_CLIENT_SECRET = "not-the-secret"
    meeting = schedule(org, "zoom")
    assert run_online_outbox() == ["done"]  # not retried forever: the room is failed
    room = OnlineRoom.objects.get(occurrence__meeting=meeting)
    assert room.state == OnlineRoom.State.FAILED
    assert "ZOOM_CLIENT_SECRET" in room.reason
    (notice,) = [m for m in mail.outbox if org.secretary.email in m.to]
    assert "Jitsi" in notice.body and meeting.title in notice.subject

    with pytest.raises(ActionError) as exc:
        schedule(org, "zoom", hh=14)
    assert exc.value.field == "online_provider" and "nhà cung cấp khác" in exc.value.message
    assert schedule(org, "jitsi", hh=14).online_provider == "jitsi"


def test_zoom_not_configured_is_refused_with_a_clear_message(org, settings, zoom_host):
    settings.ZOOM_ACCOUNT_ID = ""
    with pytest.raises(ActionError) as exc:
        schedule(org, "zoom")
    assert "chưa được cấu hình" in exc.value.message and "Jitsi" in exc.value.message


def test_scope_error_is_a_configuration_error(org, fake_zoom, zoom_host):
    fake_zoom.fail("scope", path="/meetings", method="POST")
    meeting = schedule(org, "zoom")
    run_online_outbox()
    room = OnlineRoom.objects.get(occurrence__meeting=meeting)
    assert room.state == OnlineRoom.State.FAILED and "4711" in room.reason


def test_start_as_host_fetches_a_fresh_start_url_never_stored(client, org, fake_zoom, zoom_host):
    from django.utils import timezone

    from meetings.models import Occurrence

    meeting = schedule(org, "zoom")
    run_online_outbox()
    start = timezone.now() - timedelta(minutes=5)
    Occurrence.objects.filter(meeting=meeting).update(start=start, end=start + timedelta(hours=1))
    room = OnlineRoom.objects.get(occurrence__meeting=meeting)
    client.force_login(org.leader)
    gets = len(fake_zoom.calls("GET", "/meetings/"))
    resp = client.get(f"/online/{meeting.uid}/host/")
    assert resp.status_code == 302
    assert resp["Location"] == fake_zoom.meetings[int(room.external_id)]["start_url"]
    assert len(fake_zoom.calls("GET", "/meetings/")) == gets + 1
    room.refresh_from_db()
    assert "zak=" not in str(room.__dict__)
    # Zoom down: a clear page, not a 500.
    fake_zoom.fail("down", path="/meetings/")
    resp = client.get(f"/online/{meeting.uid}/host/")
    assert resp.status_code == 502 and "Chưa lấy được đường link chủ trì" in resp.content.decode()
    # The attendee's personal link pre-fills the name for attendance matching.
    token = meeting.attendees.get(email=org.member.email).join_token
    resp = client.get(f"/j/{token}")
    assert resp.status_code == 302 and resp["Location"].startswith(room.join_url + "&uname=")
