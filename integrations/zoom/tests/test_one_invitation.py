"""A new Zoom (hybrid) meeting sends each attendee ONE invitation, already carrying the Zoom
room (no "Thay đổi lịch họp" a second later); when Zoom is slow past the wait, the
invitation goes out without it and the link follows as one update that says so."""

from __future__ import annotations

from integrations.calendar.tests.checks import full_check, mime_ok
from integrations.calendar.tests.conftest import smtp  # noqa: F401 - fixture
from integrations.online.models import OnlineRoom
from integrations.online.tests.helpers import online_input
from meetings import actions
from meetings.actions import RoomChoice


def test_new_zoom_meeting_gets_one_invitation_with_its_room(org, fake_zoom, zoom_host, smtp,  # noqa: F811
                                                           django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        meeting = actions.create_meeting(org.secretary, online_input(org, "zoom", mode="hybrid", rooms=[RoomChoice(org.room_a)]))
    room = OnlineRoom.objects.get(occurrence__meeting=meeting)
    assert room.state == "ready" and room.passcode
    for person in (org.member, org.leader):
        [received] = smtp.to(person.email)
        msg, ics = mime_ok(received.data)
        assert msg["Subject"].startswith("Mời họp:")
        text = msg.get_body(("plain",)).get_content()
        assert room.passcode in text and "/j/" in text
        ev = full_check(ics, "REQUEST").walk("VEVENT")[0]
        assert int(ev["SEQUENCE"]) == 0 and room.passcode in str(ev["DESCRIPTION"])


def test_when_the_wait_is_over_the_invitation_goes_without_the_link_and_one_update_follows(
        org, fake_zoom, zoom_host, smtp, settings, django_capture_on_commit_callbacks):  # noqa: F811
    settings.INVITATIONS_LINK_WAIT = 0  # Zoom slower than the wait
    from unittest import mock

    from integrations.online import lifecycle

    with mock.patch.object(lifecycle, "sync_meeting"), django_capture_on_commit_callbacks(execute=True):
        meeting = actions.create_meeting(org.secretary, online_input(org, "zoom", mode="hybrid", rooms=[RoomChoice(org.room_a)]))
    [first] = smtp.to(org.member.email)
    assert first.message["Subject"].startswith("Mời họp:")
    assert "Mật khẩu" not in first.message.get_body(("plain",)).get_content()
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.sync_meeting(meeting.pk)  # Zoom answers now; the link is announced
    mails = smtp.to(org.member.email)
    assert len(mails) == 2
    update = mails[1].message
    assert update["Subject"].startswith("Thay đổi lịch họp:")
    assert "Cập nhật thông tin họp trực tuyến" in update.get_body(("plain",)).get_content()
    meeting.refresh_from_db()
    assert meeting.sequence == 1
