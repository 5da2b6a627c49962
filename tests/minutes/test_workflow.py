"""The sign-off workflow (issue 11): draft → submitted → approved (or sent back) → issued,
immutable issued documents, corrections as new linked versions, QĐ 45/2018 due dates."""

from __future__ import annotations

from datetime import date

import pytest

from archive.content import sha256
from archive.models import DocumentFile, IssuedDocument
from meetings.models import AuditEntry, CalendarDay
from meetings.workdays import conclusion_deadline
from minutes import actions, workflow
from minutes.documents import MinutesError
from minutes.models import Minutes, Section


def written(org, occurrence) -> Minutes:
    """Minutes with discussion text, a conclusion and an action item."""
    minutes = actions.ensure_minutes(occurrence)
    Section.objects.filter(minutes=minutes, position=0).update(text="Họp giao ban: tình hình khám chữa bệnh ổn định.")
    actions.add_conclusion(org.secretary, minutes, "Đẩy nhanh tiến độ bệnh án điện tử.")
    actions.add_action_item(org.secretary, minutes, {"what": "Báo cáo số liệu tiêm chủng", "owner_unit": org.hospital.pk,
                                                     "due_date": "2030-01-15"})
    return minutes


def issue_all(org, minutes: Minutes) -> IssuedDocument:
    workflow.submit(org.secretary, minutes)
    doc = workflow.approve(org.leader, minutes)
    workflow.issue(org.secretary, minutes)
    doc.refresh_from_db()
    return doc


@pytest.mark.django_db
@pytest.mark.parametrize(("meeting_day", "due"), [
    (date(2026, 12, 4), date(2026, 12, 11)),   # Friday → the next Friday (weekend skipped)
    (date(2027, 2, 3), date(2027, 2, 17)),    # the day before Tết: 29 Tết to mùng 5 do not count
    (date(2027, 1, 29), date(2027, 2, 12)),   # Friday: Mon–Wed, then Tết, then Thu–Fri
])
def test_conclusion_notice_is_due_five_working_days_after_the_meeting(meeting_day, due):
    assert conclusion_deadline(meeting_day) == due


@pytest.mark.django_db
def test_admin_days_off_and_make_up_saturdays_move_the_due_date():
    CalendarDay.objects.create(date=date(2026, 12, 8), kind=CalendarDay.Kind.DAY_OFF, name="Nghỉ bù")
    CalendarDay.objects.create(date=date(2026, 12, 12), kind=CalendarDay.Kind.WORKING_DAY, name="Làm bù")
    # From Fri 4/12: Mon 7, (Tue 8 off), Wed 9, Thu 10, Fri 11, Sat 12 (make-up day) = 5.
    assert conclusion_deadline(date(2026, 12, 4)) == date(2026, 12, 12)


def test_every_minutes_gets_its_due_date(org, briefing):
    minutes = actions.ensure_minutes(briefing.occurrence)
    assert minutes.due_date == actions.minutes_due_date(briefing.occurrence)
    assert minutes.due_date > briefing.occurrence.start.date()


def test_whole_workflow_with_send_back_records_approval_and_freezes_content(org, briefing):
    minutes = written(org, briefing.occurrence)
    workflow.submit(org.secretary, minutes)
    with pytest.raises(MinutesError) as err:  # frozen while the chair reviews
        actions.add_conclusion(org.secretary, minutes, "Thêm lén")
    assert err.value.code == "locked"
    with pytest.raises(MinutesError) as err:
        workflow.send_back(org.leader, minutes, "  ")
    assert err.value.code == "comment_required"
    workflow.send_back(org.leader, minutes, "Bổ sung số liệu tiêm chủng.")
    minutes.refresh_from_db()
    assert (minutes.status, minutes.review_comment) == ("draft", "Bổ sung số liệu tiêm chủng.")
    actions.add_conclusion(org.secretary, minutes, "Tỷ lệ tiêm chủng đạt 95%.")

    workflow.submit(org.secretary, minutes)
    doc = workflow.approve(org.leader, minutes)
    assert doc.approved_by == org.leader and doc.approved_at is not None
    assert doc.content_sha256 == sha256(doc.content) and len(doc.content_sha256) == 64
    assert [c["text"] for c in doc.content["conclusions"]][-1] == "Tỷ lệ tiêm chủng đạt 95%."
    assert doc.code == "1/BB-BVDK" and doc.issued_at is None
    workflow.issue(org.secretary, minutes)
    doc.refresh_from_db()
    minutes.refresh_from_db()
    assert minutes.status == "issued" and doc.is_current and doc.issued_by == org.secretary
    assert doc.on_time is True and minutes.issued_on_time is True
    assert set(doc.files.values_list("kind", flat=True)) == {DocumentFile.Kind.PDF, DocumentFile.Kind.DOCX}
    actions_logged = set(AuditEntry.objects.filter(object_type="minutes").values_list("action", flat=True))
    assert {"minutes.submitted", "minutes.sent_back", "minutes.approved", "minutes.issued"} <= actions_logged
    with pytest.raises(MinutesError) as err:
        actions.add_conclusion(org.secretary, minutes, "Sau ban hành")
    assert err.value.code == "issued"


def test_sign_off_by_someone_not_the_chair_is_refused_and_changes_nothing(org, briefing):
    minutes = written(org, briefing.occurrence)
    workflow.submit(org.secretary, minutes)
    for intruder in (org.secretary, org.dept_leader, org.member):
        for step in (lambda u: workflow.approve(u, minutes), lambda u: workflow.send_back(u, minutes, "Sửa")):
            with pytest.raises(MinutesError) as err:
                step(intruder)
            assert err.value.code == "not_chair" and err.value.status == 403
            assert "Lê Giám Đốc" in err.value.message
    minutes.refresh_from_db()
    assert minutes.status == "submitted" and not IssuedDocument.objects.exists()


def test_steps_out_of_order_are_refused(org, briefing):
    minutes = written(org, briefing.occurrence)
    with pytest.raises(MinutesError) as err:
        workflow.approve(org.leader, minutes)
    assert err.value.code == "wrong_state"
    with pytest.raises(MinutesError) as err:
        workflow.issue(org.secretary, minutes)
    assert err.value.code == "wrong_state"
    with pytest.raises(MinutesError) as err:
        workflow.submit(org.outsider, minutes)
    assert err.value.code == "forbidden"
    assert Minutes.objects.get(pk=minutes.pk).status == "draft"


def test_a_tampered_approval_is_not_issued(org, briefing):
    minutes = written(org, briefing.occurrence)
    workflow.submit(org.secretary, minutes)
    doc = workflow.approve(org.leader, minutes)
    content = dict(doc.content, title="Tiêu đề bị sửa")
    IssuedDocument.objects.filter(pk=doc.pk).update(content=content)
    with pytest.raises(MinutesError) as err:
        workflow.issue(org.secretary, minutes)
    assert err.value.code == "tampered"
    assert Minutes.objects.get(pk=minutes.pk).status == "approved"
    assert not DocumentFile.objects.exists()


def test_a_correction_is_a_new_linked_version_and_the_first_stays_unchanged(org, briefing):
    minutes = written(org, briefing.occurrence)
    first = issue_all(org, minutes)
    first_hash, first_pdf = first.content_sha256, bytes(first.files.get(kind="pdf").data)
    with pytest.raises(MinutesError) as err:
        workflow.start_correction(org.secretary, minutes, "")
    assert err.value.code == "reason_required"
    workflow.start_correction(org.secretary, minutes, "Sai số liệu tại kết luận 1.")
    actions.add_conclusion(org.secretary, minutes, "Đính chính: tỷ lệ đạt 96%.")
    second = issue_all(org, minutes)
    first.refresh_from_db()
    assert second.supersedes == first and second.version == 2 and second.number == 2
    assert second.content["supersedes"] == {"code": first.code, "date": first.content["date"],
                                            "reason": "Sai số liệu tại kết luận 1."}
    assert not first.is_current and second.is_current
    assert first.content_sha256 == first_hash and bytes(first.files.get(kind="pdf").data) == first_pdf
    assert list(IssuedDocument.objects.current()) == [second]


def test_issue_http_endpoint_follows_the_workflow(org, briefing):
    from tests.minutes.test_minutes import client_for, post

    minutes = written(org, briefing.occurrence)
    status, body = post(client_for(org.secretary), f"/minutes/{briefing.occurrence.pk}/issue/", {})
    assert (status, body["error"]) == (409, "wrong_state")
    assert Minutes.objects.get(pk=minutes.pk).status == "draft"


def test_signoff_panel_drives_the_workflow_over_htmx(org, briefing):
    from tests.minutes.test_minutes import client_for

    minutes = written(org, briefing.occurrence)
    url = f"/minutes/{briefing.occurrence.pk}/signoff/"
    secretary, chair = client_for(org.secretary), client_for(org.leader)
    panel = secretary.get(url).content.decode()
    assert "Trình chủ trì duyệt" in panel and "Duyệt biên bản" not in panel
    assert secretary.post(url, {"step": "submit"}, HTTP_HX_REQUEST="true").status_code == 200
    refused = secretary.post(url, {"step": "approve"}, HTTP_HX_REQUEST="true").content.decode()
    assert "Chỉ người chủ trì cuộc họp (Lê Giám Đốc)" in refused
    assert "Duyệt biên bản" in chair.get(url).content.decode()
    chair.post(url, {"step": "approve"}, HTTP_HX_REQUEST="true")
    done = secretary.post(url, {"step": "issue"}, HTTP_HX_REQUEST="true").content.decode()
    assert "Đã ban hành" in done and "Văn bản đã ban hành: 1/BB-BVDK" in done
    assert Minutes.objects.get(pk=minutes.pk).status == "issued"
    assert client_for(org.outsider).get(url).status_code == 404
