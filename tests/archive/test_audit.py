"""Leaders' archive searches and exports leave an audit entry (issues #11 and #12): the words,
filters and number of results, or the period, unit and number of documents; never the title
or text of a confidential result."""

from __future__ import annotations

import json

from meetings.models import AuditEntry
from tests.archive.conftest import client_for, issue


def _entries(action: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action).order_by("id"))


def test_each_search_records_words_filters_and_count_but_no_confidential_text(org, briefing, confidential):
    issue(org, briefing.occurrence, text="Họp giao ban tuần.")
    issue(org, confidential.occurrence, text="Nhân sự: đề xuất bổ nhiệm Trưởng khoa Nội.")
    c = client_for(org.dept_leader)
    assert c.get("/archive/", {"q": "bo nhiem", "unit": org.hospital.pk, "date_from": "2020-01-01"}).status_code == 200
    api = c.get("/api/v1/archive/", {"q": "giao ban", "sensitivity": "normal"}).json()
    assert api["count"] == 1 and api["count_capped"] is False
    page, from_api = _entries("archive.searched")
    assert page.actor_id == org.dept_leader.pk and page.actor_name == org.dept_leader.full_name
    assert page.after["q"] == "bo nhiem" and page.after["count"] == 1 and page.after["count_capped"] is False
    assert page.after["filters"] == {"unit": org.hospital.pk, "date_from": "2020-01-01"}
    assert from_api.after["q"] == "giao ban" and from_api.after["filters"] == {"sensitivity": "normal"}
    stored = json.dumps([e.after for e in (page, from_api)], ensure_ascii=False) + page.object_repr
    for secret in ("Họp mật", "Trưởng khoa", "bổ nhiệm", confidential.meeting.title):
        assert secret not in stored


def test_refused_searches_and_plain_visits_record_nothing(org, briefing):
    issue(org, briefing.occurrence)
    c = client_for(org.leader)
    assert c.get("/archive/").status_code == 200  # opening the page is not a search
    assert c.get("/archive/", {"q": "x" * 10_000}).status_code == 400
    assert not _entries("archive.searched")


def test_exports_and_downloads_record_period_unit_and_number_of_documents(
        org, briefing, confidential, django_capture_on_commit_callbacks):
    doc = issue(org, briefing.occurrence)
    secret = issue(org, confidential.occurrence, text="Đề xuất bổ nhiệm.")
    c = client_for(org.dept_leader)
    start, end = sorted([doc.meeting_date, secret.meeting_date])
    with django_capture_on_commit_callbacks(execute=True):
        r = c.post("/archive/export/", {"unit": org.hospital.pk, "date_from": start.isoformat(),
                                        "date_to": end.isoformat()})
    assert r.status_code == 302
    assert c.get(f"{r['Location']}download/").status_code == 200
    exported, downloaded = _entries("archive.exported"), _entries("archive.export_downloaded")
    assert len(exported) == 1 and len(downloaded) == 1
    for entry in (exported[0], downloaded[0]):
        assert entry.actor_id == org.dept_leader.pk
        assert entry.after["unit"] == org.hospital.pk and entry.after["documents"] == 2
        assert entry.after["date_from"] == start.isoformat() and entry.after["date_to"] == end.isoformat()
    assert c.get(f"/archive/documents/{secret.pk}/file.pdf").status_code == 200
    (one,) = _entries("archive.document_downloaded")
    assert one.after == {"document": secret.pk, "code": secret.code, "kind": "pdf"}
    stored = json.dumps([e.after for e in AuditEntry.objects.filter(action__startswith="archive.")], ensure_ascii=False)
    assert confidential.meeting.title not in stored and "bổ nhiệm" not in stored
