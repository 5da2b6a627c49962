"""Exports: one PDF (the document page's download), or a ZIP of the PDFs of a period and a
unit with a CSV index. Built by a huey task that records its progress on the ExportJob row."""

from __future__ import annotations

import csv
import io
import zipfile
from typing import Any

from django.db import transaction
from django.utils import timezone

from archive import permissions, render
from archive.models import DocumentFile, ExportJob
from meetings import audit

CSV_HEADER = ["so_ky_hieu", "tieu_de", "don_vi", "ngay_hop", "chu_tri", "dung_han", "da_ky_so", "sha256_noi_dung", "tep"]


def documents_for(job: ExportJob):
    qs = permissions.visible_documents(job.requested_by).current().filter(
        meeting_date__gte=job.date_from, meeting_date__lte=job.date_to)
    if job.unit_id:
        qs = qs.filter(unit_id=job.unit_id)
    return qs.select_related("unit", "chair").order_by("meeting_date", "id")


def build(job_id: int) -> str:
    job = ExportJob.objects.filter(pk=job_id).select_related("requested_by").first()
    if job is None or job.status == ExportJob.Status.DONE:
        return "gone" if job is None else "done"
    docs = list(documents_for(job))
    ExportJob.objects.filter(pk=job.pk).update(status=ExportJob.Status.RUNNING, total=len(docs), done=0)
    out = io.BytesIO()
    index = io.StringIO()
    writer = csv.writer(index)
    writer.writerow(CSV_HEADER)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for n, doc in enumerate(docs, 1):
            render.ensure_files(doc)
            pdf = DocumentFile.objects.filter(document=doc, kind=DocumentFile.Kind.PDF).only("data", "signature").first()
            name = f"{doc.meeting_date:%Y-%m-%d}_{doc.code.replace('/', '-')}.pdf"
            if pdf is not None:
                archive.writestr(name, bytes(pdf.data))
            writer.writerow([doc.code, doc.title, doc.unit.name, doc.meeting_date.isoformat(),
                             doc.chair.full_name if doc.chair else "", "có" if doc.on_time else "không",
                             "có" if doc.signed_at else "không", doc.content_sha256, name if pdf else ""])
            if n % 10 == 0 or n == len(docs):
                ExportJob.objects.filter(pk=job.pk).update(done=n)
        # UTF-8 with BOM so Excel shows the Vietnamese letters correctly.
        archive.writestr("danh-muc.csv", "\ufeff" + index.getvalue())
    with transaction.atomic():
        ExportJob.objects.filter(pk=job.pk).update(
            status=ExportJob.Status.DONE, data=out.getvalue(), done=len(docs), finished_at=timezone.now())
        audit_export(job, "archive.exported", len(docs))
    return "done"


def audit_export(job: ExportJob, action: str, documents: int, request: Any = None) -> None:
    """The period, the unit and the number of documents: never their titles (some may be confidential)."""
    audit.security(action, job.requested_by, request, export=job.pk, unit=job.unit_id,
                   date_from=job.date_from, date_to=job.date_to, documents=documents)


def has_documents(user, unit_id: int | None, date_from, date_to) -> bool:
    qs = permissions.visible_documents(user).current().filter(meeting_date__gte=date_from, meeting_date__lte=date_to)
    if unit_id:
        qs = qs.filter(unit_id=unit_id)
    return qs.exists()

