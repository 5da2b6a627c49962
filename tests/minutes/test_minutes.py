"""Minutes without sockets: pre-filled attendance, conclusions, action items and the unit's
list, CRDT storage, revisions (diff, restore), issuing, permissions over HTTP."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from meetings.models import Membership
from minutes import actions, documents, workflow
from minutes.documents import MinutesError
from minutes.models import ActionItem, AttendanceRecord, Minutes, Revision
from minutes.permissions import Access, access
from minutes.rendering import render_markdown
from tests.factories import make_user
from tests.minutes.conftest import Typist

Status = AttendanceRecord.Status


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def post(c: Client, url: str, body) -> tuple[int, dict]:
    r = c.post(url, data=json.dumps(body) if not isinstance(body, bytes) else body, content_type="application/json")
    return r.status_code, r.json()


def test_sections_follow_the_agenda_and_attendance_is_prefilled(org, briefing):
    minutes = actions.ensure_minutes(briefing.occurrence)
    assert [s.title for s in minutes.sections.all()] == [
        "Báo cáo tình hình khám chữa bệnh", "Kế hoạch tiêm chủng", "Ý kiến các đơn vị"]
    rows = {r.email: r for r in minutes.attendance.all()}
    assert rows[org.member.email].status == Status.PRESENT
    assert rows[org.member.email].unit == org.hospital
    assert rows["bacsi@cdc.vn"].status == Status.EXCUSED
    assert rows["bacsi@cdc.vn"].reason == "Trực chống dịch"
    assert rows[org.dept_secretary.email].status == Status.SUBSTITUTE
    assert rows[org.dept_secretary.email].substitute_name == "Phó Thư Ký Sở"
    assert "phothuky@soyte.vn" not in rows  # shown as the substitute, not as a row of their own
    assert rows["khach@benhvien.vn"].status == Status.ABSENT
    assert actions.ensure_minutes(briefing.occurrence).pk == minutes.pk  # idempotent


def test_online_attendance_marks_people_present(org, briefing):
    minutes = actions.ensure_minutes(briefing.occurrence)
    changed = actions.apply_online_attendance(minutes, [
        actions.OnlineParticipant(email="KHACH@benhvien.vn", minutes=55),
        actions.OnlineParticipant(email="walkin@cdc.vn", name="Người vào thêm", minutes=10),
    ])
    assert changed == 2
    guest = minutes.attendance.get(email="khach@benhvien.vn")
    assert (guest.status, guest.source, guest.online_minutes) == (Status.PRESENT, "online", 55)
    assert minutes.attendance.get(email="walkin@cdc.vn").name == "Người vào thêm"


def test_conclusions_are_numbered_and_action_items_reach_the_units_list(org, briefing):
    minutes = actions.ensure_minutes(briefing.occurrence)
    c1 = actions.add_conclusion(org.secretary, minutes, "Tăng cường trực cấp cứu")
    c2 = actions.add_conclusion(org.secretary, minutes, "Giao CDC báo cáo số ca", is_decision=True)
    assert (c1.number, c2.number) == (1, 2)
    yesterday = timezone.localdate() - timedelta(days=1)
    by_unit = actions.add_action_item(org.secretary, minutes, {
        "what": "Báo cáo số ca sốt xuất huyết", "owner_unit": org.cdc.pk, "due_date": yesterday.isoformat()})
    by_person = actions.add_action_item(org.secretary, minutes, {
        "what": "Rà soát thuốc", "owner_user": org.member.pk})
    assert by_unit.effective_status() == ActionItem.Status.OVERDUE
    assert by_person.unit == org.hospital and by_person.number == 2
    with pytest.raises(MinutesError) as err:
        actions.add_action_item(org.secretary, minutes, {"what": "Không ai làm"})
    assert err.value.code == "owner_required"

    # The unit's list lives on the action-items page; the old address moved there for good.
    old = client_for(briefing.cdc_member).get(f"/minutes/units/{org.cdc.pk}/actions/")
    assert old.status_code == 301 and old["Location"] == f"/actions/units/?unit={org.cdc.pk}"
    page = client_for(briefing.cdc_member).get(old["Location"]).content.decode()
    assert "Báo cáo số ca sốt xuất huyết" in page and "Rà soát thuốc" not in page
    # Done items leave the open list; someone of another unit may not read the list.
    actions.set_action_status(org.secretary, by_unit, ActionItem.Status.DONE)
    assert "Báo cáo số ca sốt xuất huyết" not in client_for(briefing.cdc_member).get(old["Location"]).content.decode()
    assert client_for(org.member).get(f"/actions/units/?unit={org.cdc.pk}").status_code == 404
    page = client_for(org.member).get(f"/minutes/units/{org.hospital.pk}/actions/", follow=True)
    assert page.redirect_chain[0] == (f"/actions/units/?unit={org.hospital.pk}", 301)
    assert "Rà soát thuốc" in page.content.decode()


def test_updates_are_stored_with_readable_text_and_survive_a_fresh_process(org, briefing):
    minutes = actions.ensure_minutes(briefing.occurrence)
    section = minutes.sections.first()
    a, b = Typist(), Typist()
    ua, ub = a.type("Khoa Nội: 120 ca. "), b.type("Khoa Nhi: 80 ca. ")
    documents.apply_update(minutes.pk, section.pk, ua, org.secretary)
    documents.apply_update(minutes.pk, section.pk, ub, org.leader)
    documents.cache.drop(section.uid)  # as after a restart
    section.refresh_from_db()
    stored = Typist(bytes(section.ydoc))
    assert str(stored) == section.text
    assert "Khoa Nội: 120 ca." in section.text and "Khoa Nhi: 80 ca." in section.text
    assert section.version == 2 and set(section.pending_authors) == {org.secretary.pk, org.leader.pk}


def test_bad_updates_and_foreign_sections_are_refused(org, briefing, confidential):
    minutes = actions.ensure_minutes(briefing.occurrence)
    other = actions.ensure_minutes(confidential.occurrence)
    foreign = other.sections.first()
    with pytest.raises(MinutesError) as err:
        documents.apply_update(minutes.pk, foreign.pk, Typist().type("x"), org.secretary)
    assert err.value.code == "wrong_minutes"
    section = minutes.sections.first()
    with pytest.raises(MinutesError) as err:
        documents.apply_update(minutes.pk, section.pk, b"\x07garbage", org.secretary)
    assert err.value.code == "bad_update"
    section.refresh_from_db()
    assert section.version == 0 and section.text == ""


def test_revisions_diff_and_restore_without_losing_anything(org, briefing, settings):
    settings.MINUTES_REVISION_INTERVAL = 0  # every edit cuts an activity revision
    minutes = actions.ensure_minutes(briefing.occurrence)
    section = minutes.sections.first()
    t = Typist()
    documents.apply_update(minutes.pk, section.pk, t.type("Dòng một\n"), org.secretary)
    first = minutes.revisions.order_by("-number").first()
    documents.apply_update(minutes.pk, section.pk, t.type("Dòng hai\n"), org.leader)
    second = minutes.revisions.order_by("-number").first()
    assert second.number > first.number and second.reason == Revision.Reason.ACTIVITY
    assert [a["name"] for a in second.authors] == [org.leader.full_name]
    diff = actions.diff_revisions(first, second)
    assert diff[0]["changed"] and "+Dòng hai" in diff[0]["diff"]

    restored = actions.restore_revision(org.secretary, minutes, first)
    section.refresh_from_db()
    assert section.text == "Dòng một\n"
    before = minutes.revisions.get(number=restored.number - 1)
    assert before.reason == Revision.Reason.BEFORE_RESTORE
    assert before.content[str(section.pk)]["text"] == "Dòng một\nDòng hai\n"  # kept, not overwritten
    # A typist who still has the old text keeps converging with the server.
    t.apply(bytes(section.ydoc))
    assert str(t) == "Dòng một\n"


def test_revision_interval_limits_activity_revisions(org, briefing, settings):
    settings.MINUTES_REVISION_INTERVAL = 3600
    minutes = actions.ensure_minutes(briefing.occurrence)
    Minutes.objects.filter(pk=minutes.pk).update(last_revision_at=timezone.now() - timedelta(hours=2))
    section, t = minutes.sections.first(), Typist()
    for word in ["một ", "hai ", "ba "]:
        documents.apply_update(minutes.pk, section.pk, t.type(word), org.secretary)
    assert minutes.revisions.count() == 1


def test_issued_minutes_are_immutable(org, briefing):
    minutes = actions.ensure_minutes(briefing.occurrence)
    section = minutes.sections.first()
    documents.apply_update(minutes.pk, section.pk, Typist().type("Kết quả"), org.secretary)
    workflow.submit(org.secretary, minutes)
    workflow.approve(org.leader, minutes)
    actions.issue_minutes(org.secretary, minutes)
    assert minutes.revisions.get(reason=Revision.Reason.STATUS).status == "issued"
    with pytest.raises(MinutesError) as err:
        documents.apply_update(minutes.pk, section.pk, Typist().type("sửa lén"), org.secretary)
    assert err.value.code == "issued"
    c = client_for(org.secretary)
    for url, body in [(f"/minutes/{briefing.occurrence.pk}/conclusions/", {"text": "Thêm"}),
                      (f"/minutes/{briefing.occurrence.pk}/issue/", {}),
                      (f"/minutes/{briefing.occurrence.pk}/revisions/1/restore/", {})]:
        status, body = post(c, url, body)
        assert (status, body["error"]) == (409, "issued")
    section.refresh_from_db()
    assert section.text == "Kết quả"


def test_http_api_validates_input_and_writes_nothing_on_error(org, briefing):
    occ = briefing.occurrence.pk
    c = client_for(org.secretary)
    status, body = post(c, f"/minutes/{occ}/conclusions/", b"{not json")
    assert (status, body["error"]) == (400, "bad_json")
    status, body = post(c, f"/minutes/{occ}/actions/", {"what": "X", "owner_unit": org.cdc.pk, "due_date": "31/12"})
    assert (status, body["error"]) == (400, "bad_date")
    minutes = Minutes.objects.get(occurrence_id=occ)
    row = minutes.attendance.get(email="khach@benhvien.vn")
    status, body = post(c, f"/minutes/{occ}/attendance/{row.pk}/", {"status": "maybe"})
    assert status == 400
    status, _ = post(c, f"/minutes/{occ}/attendance/{row.pk}/", {"status": "excused", "reason": "Ốm"})
    assert status == 200
    assert minutes.attendance.get(pk=row.pk).reason == "Ốm"
    assert not minutes.action_items.exists() and not minutes.conclusions.exists()
    status, body = post(c, "/minutes/preview/", {"text": "**đậm** <script>alert(1)</script>"})
    assert "<strong>đậm</strong>" in body["html"] and "<script" not in body["html"]
    page = c.get(f"/minutes/{occ}/")
    assert page.status_code == 200 and "Kế hoạch tiêm chủng" in page.content.decode()
    assert "minutes/yjs.bundle.js" not in page.content.decode()  # loaded by minutes.js, from our static


def test_markdown_is_sanitised():
    html = render_markdown("[x](javascript:alert(1)) <img src=x onerror=alert(1)>\n\n- một")
    assert "javascript:" not in html and "onerror" not in html and "<li>một</li>" in html


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("secretary", Access.EDIT), ("leader", Access.EDIT), ("member", Access.VIEW),
        ("dept_leader", Access.VIEW), ("outsider", Access.NONE), ("unit_admin", Access.EDIT),
        ("cdc_member", Access.NONE), ("cdc_person", Access.VIEW),
    ],
)
def test_who_may_open_the_minutes_of_a_normal_meeting(org, briefing, who, expected):
    user = getattr(briefing, who, None) or getattr(org, who)
    assert access(user, briefing.meeting) == expected


def test_confidential_minutes_only_for_invitees_chair_and_department_leaders(org, confidential):
    meeting = confidential.meeting
    assert access(confidential.invitee, meeting) == Access.VIEW
    assert access(org.dept_leader, meeting) == Access.EDIT  # the chair
    other_leader = make_user("pgd@soyte.vn", org.dept, Membership.Role.LEADER)
    assert access(other_leader, meeting) == Access.VIEW
    assert access(org.leader, meeting) == Access.NONE  # unit leader, not invited
    assert access(org.member, meeting) == Access.NONE
    assert client_for(org.member).get(f"/minutes/{confidential.occurrence.pk}/").status_code == 404
    status, body = post(client_for(confidential.invitee), f"/minutes/{confidential.occurrence.pk}/conclusions/", {"text": "x"})
    assert status == 403 and body["error"] == "forbidden"
