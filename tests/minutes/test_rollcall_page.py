"""The roll-call section of the minutes page, without a browser: who may edit, entries by
hand (present; absent with a reason; a substitute), adding an invited person, and the
Vietnamese refusal for someone not invited."""

from __future__ import annotations

import pytest
from django.test import Client

from meetings.models import Attendee
from minutes import actions
from minutes.models import AttendanceRecord
from tests.factories import sign_off_and_issue

pytestmark = pytest.mark.django_db
Status = AttendanceRecord.Status
HX = {"HX-Request": "true"}


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_secretary_edits_the_roll_call_per_person_and_viewers_only_read_it(org, briefing):
    occ = briefing.occurrence.pk
    minutes = actions.ensure_minutes(briefing.occurrence)
    row = minutes.attendance.get(email=org.member.email)
    sec = client_for(org.secretary)
    page = sec.get(f"/minutes/{occ}/").content.decode()
    assert 'id="roll-call"' in page and f'id="roll-form-{row.pk}"' in page
    assert "Bệnh viện Đa khoa tỉnh" in page or "BVĐK tỉnh" in page  # grouped by unit
    viewer = client_for(org.member).get(f"/minutes/{occ}/").content.decode()
    assert 'id="roll-call"' in viewer and "roll-form-" not in viewer

    # Absent with a reason (a reason is required for "vắng có lý do").
    r = sec.post(f"/minutes/{occ}/roll-call/{row.pk}/", {"status": "excused", "reason": ""}, headers=HX)
    assert r.status_code == 200 and "Ghi lý do vắng." in r.content.decode()
    assert minutes.attendance.get(pk=row.pk).status == Status.PRESENT  # nothing saved
    r = sec.post(f"/minutes/{occ}/roll-call/{row.pk}/", {"status": "excused", "reason": "Đi công tác"}, headers=HX)
    assert r.status_code == 200 and 'data-source="manual"' in r.content.decode()
    saved = minutes.attendance.get(pk=row.pk)
    assert (saved.status, saved.reason, saved.source) == (Status.EXCUSED, "Đi công tác", "manual")
    # Represented by a substitute, named.
    r = sec.post(f"/minutes/{occ}/roll-call/{row.pk}/", {"status": "substitute", "substitute": "Phó khoa Nội"}, headers=HX)
    assert minutes.attendance.get(pk=row.pk).substitute_name == "Phó khoa Nội"
    # Without JavaScript: the same form posts and comes back to the page.
    r = sec.post(f"/minutes/{occ}/roll-call/{row.pk}/", {"status": "present"})
    assert r.status_code == 302 and r["Location"].endswith(f"/minutes/{occ}/")
    # A plain viewer may not write.
    assert client_for(org.member).post(f"/minutes/{occ}/roll-call/{row.pk}/", {"status": "absent"}).status_code == 403
    assert minutes.attendance.get(pk=row.pk).status == Status.PRESENT


def test_only_invited_people_can_be_added_to_the_roll_call(org, briefing):
    occ = briefing.occurrence.pk
    minutes = actions.ensure_minutes(briefing.occurrence)
    sec = client_for(org.secretary)
    r = sec.post(f"/minutes/{occ}/roll-call/add/", {"who": "nguoila@gmail.com"}, headers=HX)
    text = r.content.decode()
    assert r.status_code == 200 and "nguoila@gmail.com không có trong thành phần mời của cuộc họp này" in text
    assert 'aria-invalid="true"' in text
    assert not minutes.attendance.filter(email="nguoila@gmail.com").exists()
    # Invited after the minutes were opened: offered in the list, and added.
    Attendee.objects.create(meeting=briefing.meeting, email="moimuon@bvdk.vn", name="Người Mời Muộn", unit=org.hospital)
    assert '<option value="moimuon@bvdk.vn">' in sec.get(f"/minutes/{occ}/roll-call/").content.decode()
    r = sec.post(f"/minutes/{occ}/roll-call/add/", {"who": "Người Mời Muộn"}, headers=HX)
    assert r.status_code == 200 and "Người Mời Muộn" in r.content.decode()
    row = minutes.attendance.get(email="moimuon@bvdk.vn")
    assert (row.status, row.source, row.unit_id) == (Status.ABSENT, "manual", org.hospital.pk)
    r = sec.post(f"/minutes/{occ}/roll-call/add/", {"who": "moimuon@bvdk.vn"}, headers=HX)
    assert "đã có trong danh sách điểm danh" in r.content.decode()
    assert minutes.attendance.filter(email="moimuon@bvdk.vn").count() == 1


def test_issued_minutes_roll_call_is_read_only(org, briefing):
    occ = briefing.occurrence.pk
    minutes = actions.ensure_minutes(briefing.occurrence)
    sign_off_and_issue(org.secretary, minutes)
    row = minutes.attendance.first()
    sec = client_for(org.secretary)
    assert "roll-form-" not in sec.get(f"/minutes/{occ}/roll-call/").content.decode()
    r = sec.post(f"/minutes/{occ}/roll-call/{row.pk}/", {"status": "absent"}, headers=HX)
    assert "Biên bản đã ban hành" in r.content.decode()
    assert minutes.attendance.get(pk=row.pk).status == row.status


def test_a_whole_unit_marked_present_at_once_keeps_substitutes(org, briefing):
    occ = briefing.occurrence.pk
    minutes = actions.ensure_minutes(briefing.occurrence)
    sec = client_for(org.secretary)
    assert f"/minutes/{occ}/roll-call/units/{org.hospital.pk}/present/" in sec.get(f"/minutes/{occ}/roll-call/").content.decode()
    r = sec.post(f"/minutes/{occ}/roll-call/units/{org.dept.pk}/present/", headers=HX)
    assert r.status_code == 200
    dept = minutes.attendance.get(email=org.dept_secretary.email)
    assert dept.status == Status.SUBSTITUTE  # represented stays represented
    r = sec.post(f"/minutes/{occ}/roll-call/units/{org.hospital.pk}/present/", headers=HX)
    hospital = list(minutes.attendance.filter(unit=org.hospital))
    assert hospital and all(r.status == Status.PRESENT for r in hospital)
    assert client_for(org.member).post(f"/minutes/{occ}/roll-call/units/{org.hospital.pk}/present/").status_code == 403


def test_roll_call_section_and_attendance_api_queries_do_not_grow_with_people(org, briefing):
    from rest_framework.test import APIClient

    from tests.factories import make_user

    occ = briefing.occurrence
    minutes = actions.ensure_minutes(occ)
    sec = client_for(org.secretary)
    api = APIClient()
    api.force_authenticate(org.secretary)
    url = f"/api/v1/meetings/{occ.meeting.uid}/occurrences/{occ.pk}/attendance/"

    def count(path, client) -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            assert client.get(path).status_code == 200
        return len(ctx.captured_queries)

    sec.get(f"/minutes/{occ.pk}/roll-call/")  # warm the session: its first request writes it once (session security)
    small = (count(f"/minutes/{occ.pk}/roll-call/", sec), count(url, api))
    for i in range(25):
        user = make_user(f"nguoi{i}@bvdk.vn", org.hospital, "member")
        a = Attendee.objects.create(meeting=occ.meeting, email=user.email, user=user, unit=org.hospital)
        AttendanceRecord.objects.create(minutes=minutes, attendee=a, unit=org.hospital, user=user, name=user.full_name,
                                        email=user.email)
    big = (count(f"/minutes/{occ.pk}/roll-call/", sec), count(url, api))
    assert big == small, (small, big)
