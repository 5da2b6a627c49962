"""Export: a ZIP of the period's PDFs with a CSV index, built by a huey task (immediate under
tests) whose progress page offers the download; an empty period is refused with a message."""

from __future__ import annotations

import csv
import io
import zipfile

from archive.models import ExportJob
from tests.archive.conftest import client_for, issue


def test_zip_of_pdfs_with_csv_index(org, briefing, django_capture_on_commit_callbacks):
    doc = issue(org, briefing.occurrence)
    c = client_for(org.leader)
    day = doc.meeting_date.isoformat()
    with django_capture_on_commit_callbacks(execute=True):  # the task is enqueued after commit
        r = c.post("/archive/export/", {"unit": org.hospital.pk, "date_from": day, "date_to": day})
    assert r.status_code == 302
    job = ExportJob.objects.get()
    status = c.get(r["Location"], HTTP_HX_REQUEST="true").content.decode()
    assert "Tải tệp ZIP" in status and 'value="100"' in status
    z = zipfile.ZipFile(io.BytesIO(c.get(f"/archive/export/{job.pk}/download/").content))
    names = z.namelist()
    assert "danh-muc.csv" in names and any(n.endswith("_1-BB-BVDK.pdf") for n in names)
    rows = list(csv.reader(io.StringIO(z.read("danh-muc.csv").decode("utf-8-sig"))))
    assert rows[1][0] == "1/BB-BVDK" and rows[1][1] == "Giao ban bệnh viện" and rows[1][7] == doc.content_sha256
    assert z.read(rows[1][8]).startswith(b"%PDF")
    # Someone else's export is not theirs to download.
    assert client_for(org.dept_leader).get(f"/archive/export/{job.pk}/download/").status_code == 404


def test_empty_period_gets_a_clear_message_and_no_job(org, briefing):
    issue(org, briefing.occurrence)
    r = client_for(org.leader).post("/archive/export/", {"date_from": "2001-01-01", "date_to": "2001-01-31"})
    assert r.status_code == 400
    assert "Không có biên bản đã ban hành nào trong khoảng thời gian này" in r.content.decode()
    assert not ExportJob.objects.exists()
    r = client_for(org.leader).post("/archive/export/", {"date_from": "2026-02-01", "date_to": "2026-01-01"})
    assert r.status_code == 400 and "“Đến ngày” phải sau “Từ ngày”." in r.content.decode()
