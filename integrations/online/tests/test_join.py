"""/j/<token>: personal join links, and the chair's "Start as host"."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import unquote

import pytest
from django.utils import timezone

from integrations.online.models import Attendance, OnlineRoom
from integrations.online.tests.helpers import run_online_outbox, schedule
from meetings import actions
from meetings.models import Meeting, Occurrence

pytestmark = pytest.mark.django_db


def _now_meeting(org, provider="jitsi", **kw):
    """A meeting booked ahead, then shifted (in the database) to be under way now."""
    meeting = schedule(org, provider, **kw)
    run_online_outbox()
    start = timezone.now() - timedelta(minutes=10)
    occ = meeting.occurrences.order_by("start").first()
    Occurrence.objects.filter(pk=occ.pk).update(start=start, end=start + timedelta(hours=1), recurrence_id=start)
    return meeting


def _token(meeting, email):
    return meeting.attendees.get(email=email).join_token


def test_join_works_without_login_redirects_and_records(client, org):
    meeting = _now_meeting(org)
    room = OnlineRoom.objects.get(occurrence__meeting=meeting)
    resp = client.get(f"/j/{_token(meeting, org.member.email)}")
    assert resp.status_code == 302
    assert resp["Location"].startswith(room.join_url)
    assert unquote(resp["Location"]).endswith('#userInfo.displayName="Trần Thành Viên"')
    row = Attendance.objects.get(occurrence__meeting=meeting)
    assert row.attendee.email == org.member.email and row.source == "join_link" and row.joined_at
    client.get(f"/j/{_token(meeting, org.member.email)}")
    row.refresh_from_db()
    assert row.clicks == 2 and Attendance.objects.count() == 1


def test_unknown_token_is_404(client, org):
    resp = client.get("/j/not-a-real-token")
    assert resp.status_code == 404 and "hết hạn hoặc không đúng" in resp.content.decode()


def test_refused_after_cancellation(client, org):
    meeting = _now_meeting(org)
    token = _token(meeting, org.member.email)
    Meeting.objects.filter(pk=meeting.pk).update(status=Meeting.Status.CANCELLED)
    resp = client.get(f"/j/{token}")
    body = resp.content.decode()
    assert resp.status_code == 410 and "Cuộc họp đã bị hủy" in body and "The meeting was cancelled" in body
    assert not Attendance.objects.exists()


def test_not_started_yet_page_in_vietnamese_and_english(client, org):
    meeting = schedule(org, "jitsi", hh=8, mm=30)
    run_online_outbox()
    resp = client.get(f"/j/{_token(meeting, org.member.email)}")
    body = resp.content.decode()
    assert resp.status_code == 200
    assert "Cuộc họp chưa bắt đầu" in body and "The meeting has not started yet" in body
    local = timezone.localtime(meeting.start)
    assert f"{local:%d/%m/%Y}, 08:30" in body and "Thứ" in body
    assert not Attendance.objects.exists()


def test_moved_occurrence_page(client, org):
    meeting = schedule(org, "jitsi", rrule="FREQ=WEEKLY;COUNT=2")
    first = meeting.occurrences.order_by("start").first()
    actions.update_meeting(org.secretary, meeting, {"start": first.start + timedelta(hours=2)},
                           scope="occurrence", occurrence=first)
    resp = client.get(f"/j/{_token(meeting, org.member.email)}")
    body = resp.content.decode()
    assert "Cuộc họp đã được dời lịch" in body and "The meeting was moved" in body
    assert f"{timezone.localtime(first.start + timedelta(hours=2)):%H:%M}" in body


def test_long_over_and_removed_attendee_are_refused(client, org):
    meeting = _now_meeting(org)
    token = _token(meeting, org.member.email)
    Occurrence.objects.filter(meeting=meeting).update(
        start=timezone.now() - timedelta(hours=5), end=timezone.now() - timedelta(hours=4))
    resp = client.get(f"/j/{token}")
    assert resp.status_code == 410 and "Cuộc họp đã kết thúc" in resp.content.decode()

    meeting = _now_meeting(org, hh=14)
    meeting.attendees.filter(email=org.member.email).update(is_active=False)
    assert client.get(f"/j/{_token(meeting, org.member.email)}").status_code == 410


def test_room_not_ready_shows_the_preparing_page(client, org):
    meeting = _now_meeting(org)
    OnlineRoom.objects.filter(occurrence__meeting=meeting).update(state=OnlineRoom.State.PENDING)
    resp = client.get(f"/j/{_token(meeting, org.member.email)}")
    assert resp.status_code == 503 and resp["Retry-After"] == "30"
    assert "đang được chuẩn bị" in resp.content.decode()


def test_start_as_host_requires_login_and_the_chair(client, org):
    meeting = _now_meeting(org)
    url = f"/online/{meeting.uid}/host/"
    assert client.get(url).status_code == 302 and "/accounts/login/" in client.get(url)["Location"]
    client.force_login(org.member)
    assert client.get(url).status_code == 403
    client.force_login(org.leader)  # the chair
    resp = client.get(url)
    assert resp.status_code == 302 and "meet.jit.si" in resp["Location"]
    client.force_login(org.outsider)
    assert client.get(url).status_code == 404
