"""The minutes' roll call follows Zoom for the whole sitting: joins and leaves that arrive
after the minutes were opened, reconnections summed, guests matched by e-mail or name, and
an entry written by the scribe never overwritten; the attendance API and its CSV say so."""

from __future__ import annotations

import csv
import io
from datetime import UTC, timedelta

import pytest

from integrations.zoom.tests.test_webhooks import joined, left, post, zoom_room  # noqa: F401 - fixture
from minutes import actions, rollcall
from minutes.models import AttendanceRecord

pytestmark = pytest.mark.django_db
Status = AttendanceRecord.Status


def z(dt) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_late_joins_reconnections_and_guests_reach_the_open_minutes(client, org, zoom_room, api,  # noqa: F811
                                                                   django_capture_on_commit_callbacks):
    occ = zoom_room.occurrence
    meeting = occ.meeting
    from meetings.models import Attendee

    Attendee.objects.create(meeting=meeting, email="bacsi.khach@gmail.com", name="BS. Khách Mời")
    minutes = actions.ensure_minutes(occ)  # the scribe opens the minutes first
    rows = {r.email: r for r in minutes.attendance.all()}
    assert rows[org.leader.email].status == Status.ABSENT  # nobody has joined yet
    # The scribe records the member as absent with a reason, by hand.
    rollcall.set_entry(org.secretary, minutes, rows[org.member.email].pk, Status.EXCUSED, reason="Đi công tác")

    start = occ.start
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        # The chair: joins on time, drops out, comes back (two sessions: 38 + 25 minutes).
        post(client, joined(zoom_room, email=org.leader.email, name="Lê Giám Đốc", puuid="c-1", join_time=z(start)))
        post(client, left(zoom_room, puuid="c-1", email=org.leader.email, leave_time=z(start + timedelta(minutes=38))))
        post(client, joined(zoom_room, email=org.leader.email, name="Lê Giám Đốc", puuid="c-2",
                            join_time=z(start + timedelta(minutes=40))))
        post(client, left(zoom_room, puuid="c-2", email=org.leader.email, leave_time=z(start + timedelta(minutes=65))))
        # The member joins after all (webhooks never overwrite what the scribe wrote).
        post(client, joined(zoom_room, email=org.member.email, name="Trần Thành Viên", puuid="m-1",
                            join_time=z(start + timedelta(minutes=20))))
        post(client, left(zoom_room, puuid="m-1", email=org.member.email, leave_time=z(start + timedelta(minutes=50))))
        # An invited guest whose Zoom name is all we get (no e-mail): matched by name, late.
        post(client, joined(zoom_room, email="", name="BS. Khách Mời", puuid="g-1",
                            join_time=z(start + timedelta(minutes=25))))
        # Someone nobody invited: a walk-in row of their own.
        post(client, joined(zoom_room, email="", name="Người Lạ", puuid="x-1", join_time=z(start + timedelta(minutes=5))))
    assert callbacks  # the webhook tasks and the roll-call sync ran after their commits

    rows = {r.name: r for r in minutes.attendance.all()}
    chair = rows["Lê Giám Đốc"]
    assert (chair.status, chair.source, chair.online_minutes) == (Status.PRESENT, "online", 63)
    member = rows["Trần Thành Viên"]
    assert (member.status, member.source, member.reason, member.online_minutes) == (Status.EXCUSED, "manual", "Đi công tác", 30)
    guest = rows["BS. Khách Mời"]
    assert guest.status == Status.PRESENT and guest.email == "bacsi.khach@gmail.com"
    assert rows["Người Lạ"].status == Status.PRESENT and rows["Người Lạ"].source == "online"

    # The API: permission-checked like the meeting, and as CSV for leadership.
    url = f"/api/v1/meetings/{meeting.uid}/occurrences/{occ.pk}/attendance/"
    assert api(org.outsider).get(url).status_code == 404
    body = api(org.dept_leader).get(url).json()
    people = {p["name"]: p for p in body["attendance"]}
    assert people["Lê Giám Đốc"]["attendance"] == "present" and people["Lê Giám Đốc"]["online_minutes"] == 63
    assert people["Lê Giám Đốc"]["sessions"] == 2 and people["Lê Giám Đốc"]["invited"] is True
    assert people["Trần Thành Viên"]["attendance"] == "absent"
    assert people["Trần Thành Viên"]["sources"] == ["manual", "online"]
    assert people["BS. Khách Mời"]["attendance"] == "late" and people["BS. Khách Mời"]["answer"] == "needs_action"
    assert people["Người Lạ"]["invited"] is False and people["Người Lạ"]["answer"] is None
    assert body["counts"] == {"present": 2, "late": 1, "absent": 1}
    resp = api(org.dept_leader).get(url + "?format=csv")
    assert resp.status_code == 200 and resp["Content-Type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(resp.content.decode("utf-8-sig"))))
    assert table[0][:4] == ["Họ tên", "E-mail", "Đơn vị", "Được mời"]
    assert any(r[0] == "Lê Giám Đốc" and "63" in r for r in table[1:])


def test_attendance_api_before_the_minutes_exist_uses_answers_and_the_log(org, zoom_room, api):  # noqa: F811
    occ = zoom_room.occurrence
    url = f"/api/v1/meetings/{occ.meeting.uid}/occurrences/{occ.pk}/attendance/"
    body = api(org.secretary).get(url).json()
    assert {p["email"] for p in body["attendance"]} == {org.member.email, org.leader.email}
    assert all(p["attendance"] == "absent" for p in body["attendance"])
    assert not hasattr(occ, "minutes") or occ.minutes is None  # a GET creates nothing
    other = occ.meeting.occurrences.model.objects.exclude(meeting=occ.meeting).first()
    assert api(org.secretary).get(
        f"/api/v1/meetings/{occ.meeting.uid}/occurrences/{(other.pk if other else 999999)}/attendance/").status_code == 404
