"""The sign-off workflow of minutes (issue 11):

    draft → submitted (secretary) → approved (chair; or sent back to draft with a comment) → issued

Approval freezes the content as an archive.IssuedDocument with its number and SHA-256; issuing
publishes exactly that content (PDF + DOCX rendered from it). Issued minutes never change: a
correction re-opens the draft, and its approval makes a new document that supersedes the old.
Each step locks the minutes row; a refused step raises MinutesError and writes nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from meetings import audit
from minutes import notices
from minutes.actions import broadcast
from minutes.documents import MinutesError, cut_revision
from minutes.models import Minutes, Revision
from minutes.permissions import Access, access

if TYPE_CHECKING:
    from accounts.models import User
    from archive.models import IssuedDocument

MAX_COMMENT = 5000


def _lock(minutes: Minutes) -> Minutes:
    return Minutes.objects.select_for_update(of=("self",)).select_related(
        "occurrence__meeting__organizing_unit__parent", "occurrence__meeting__chair").get(pk=minutes.pk)


def _expect(minutes: Minutes, *states: str) -> None:
    if minutes.status not in states:
        labels = ", ".join(str(Minutes.Status(s).label) for s in states)
        raise MinutesError(
            "wrong_state",
            _("Biên bản đang ở trạng thái “%(state)s”; bước này chỉ làm được khi biên bản %(wanted)s.")
            % {"state": minutes.get_status_display(), "wanted": labels.lower()},
            409,
        )


def _must_write(actor: User, minutes: Minutes) -> None:
    if access(actor, minutes.occurrence.meeting, minutes) != Access.EDIT:
        raise MinutesError("forbidden", _("Chỉ thư ký, người ghi biên bản hoặc chủ trì được làm bước này."), 403)


def _must_be_chair(actor: User, minutes: Minutes) -> None:
    meeting = minutes.occurrence.meeting
    if meeting.chair_id is None or meeting.chair_id != actor.pk:
        chair = meeting.chair.full_name if meeting.chair_id else _("chưa có chủ trì")
        raise MinutesError(
            "not_chair",
            _("Chỉ người chủ trì cuộc họp (%(chair)s) được duyệt hoặc trả lại biên bản. Biên bản không thay đổi.")
            % {"chair": chair},
            403,
        )


def _audit(actor: User, action: str, minutes: Minutes, before: str, **extra: object) -> None:
    audit.record(actor, action, minutes, {"status": before}, {"status": minutes.status, **extra},
                 meeting=minutes.occurrence.meeting)


def submit(actor: User, minutes: Minutes) -> Minutes:
    """draft → submitted: the secretary hands the minutes to the chair."""
    with transaction.atomic():
        m = _lock(minutes)
        _must_write(actor, m)
        _expect(m, Minutes.Status.DRAFT)
        if not m.sections.exclude(text="").exists() and not m.conclusions.exists():
            raise MinutesError("empty", _("Biên bản chưa có nội dung hay kết luận nào: chưa trình được."))
        m.status, m.submitted_at, m.submitted_by = Minutes.Status.SUBMITTED, timezone.now(), actor
        m.save(update_fields=["status", "submitted_at", "submitted_by"])
        _audit(actor, "minutes.submitted", m, Minutes.Status.DRAFT)
        broadcast(m.pk, {"type": "status", "status": m.status})
    return m


def send_back(actor: User, minutes: Minutes, comment: str) -> Minutes:
    """submitted → draft, with the chair's comment saying what to change."""
    comment = (comment or "").strip()
    with transaction.atomic():
        m = _lock(minutes)
        _must_be_chair(actor, m)
        _expect(m, Minutes.Status.SUBMITTED)
        if not comment:
            raise MinutesError("comment_required", _("Ghi rõ cần sửa gì khi trả lại biên bản."))
        m.status, m.review_comment = Minutes.Status.DRAFT, comment[:MAX_COMMENT]
        m.save(update_fields=["status", "review_comment"])
        _audit(actor, "minutes.sent_back", m, Minutes.Status.SUBMITTED, comment=m.review_comment)
        broadcast(m.pk, {"type": "status", "status": m.status})
    return m


def approve(actor: User, minutes: Minutes) -> IssuedDocument:
    """submitted → approved: number the document and freeze its content with a SHA-256."""
    from archive import numbering
    from archive.content import build, search_text, sha256
    from archive.models import IssuedDocument

    with transaction.atomic():
        m = _lock(minutes)
        _must_be_chair(actor, m)
        _expect(m, Minutes.Status.SUBMITTED)
        meeting = m.occurrence.meeting
        today = timezone.localdate()
        previous = IssuedDocument.objects.filter(minutes=m, is_current=True).first()
        number = numbering.next_number(meeting.organizing_unit, today.year)
        content = build(m, number=number, year=today.year, issued_on=today, supersedes=previous)
        doc = IssuedDocument.objects.create(
            minutes=m, version=(previous.version + 1) if previous else 1, supersedes=previous,
            correction_reason=m.correction_reason, unit=meeting.organizing_unit, chair=meeting.chair,
            sensitivity=meeting.sensitivity, meeting_date=timezone.localtime(m.occurrence.start).date(),
            year=today.year, number=number, code=content["code"], title=meeting.title[:300],
            content=content, content_sha256=sha256(content), search_text=search_text(content),
            approved_by=actor, approved_at=timezone.now(),
        )
        m.status, m.review_comment = Minutes.Status.APPROVED, ""
        m.save(update_fields=["status", "review_comment"])
        _audit(actor, "minutes.approved", m, Minutes.Status.SUBMITTED, document=doc.code,
               sha256=doc.content_sha256)
        broadcast(m.pk, {"type": "status", "status": m.status})
    return doc


def issue(actor: User, minutes: Minutes) -> Minutes:
    """approved → issued: publish the approved document (PDF + DOCX); a correction replaces
    the version in force. The content's hash is checked against the approval record."""
    from archive import render, search
    from archive.content import sha256
    from archive.models import IssuedDocument

    with transaction.atomic():
        m = _lock(minutes)
        if m.is_issued:
            raise MinutesError("issued", _("Biên bản đã ban hành, không thể sửa."), 409)
        _must_write(actor, m)
        _expect(m, Minutes.Status.APPROVED)
        doc = IssuedDocument.objects.select_for_update().filter(minutes=m, issued_at__isnull=True).order_by("-version").first()
        if doc is None or sha256(doc.content) != doc.content_sha256:
            raise MinutesError("tampered", _("Nội dung văn bản không khớp với bản chủ trì đã duyệt: không ban hành."), 409)
        now = timezone.now()
        on_time = m.due_date is None or timezone.localtime(now).date() <= m.due_date
        if doc.supersedes_id:
            # Keep the first issue's timeliness: a correction does not make late minutes on time.
            on_time = IssuedDocument.objects.filter(pk=doc.supersedes_id).values_list("on_time", flat=True).first()
            IssuedDocument.objects.filter(pk=doc.supersedes_id).update(is_current=False)
        doc.issued_at, doc.issued_by, doc.on_time, doc.is_current = now, actor, on_time, True
        doc.save(update_fields=["issued_at", "issued_by", "on_time", "is_current"])
        render.store_files(doc)
        search.index(doc)
        m.status, m.issued_at, m.issued_by = Minutes.Status.ISSUED, now, actor
        m.issued_on_time, m.correction_reason = on_time, ""
        m.save(update_fields=["status", "issued_at", "issued_by", "issued_on_time", "correction_reason"])
        cut_revision(m, Revision.Reason.STATUS, actor)
        _audit(actor, "minutes.issued", m, Minutes.Status.APPROVED, document=doc.code)
        notices.queue(m, doc)  # the invitees' e-mail with the links, sent after commit
        broadcast(m.pk, {"type": "status", "status": m.status})
    return m


def start_correction(actor: User, minutes: Minutes, reason: str) -> Minutes:
    """issued → draft of a correction. The issued document stays as it is, in force until
    the correction is approved and issued as a new version that supersedes it."""
    reason = (reason or "").strip()
    with transaction.atomic():
        m = _lock(minutes)
        _must_write(actor, m)
        _expect(m, Minutes.Status.ISSUED)
        if not reason:
            raise MinutesError("reason_required", _("Ghi rõ lý do đính chính biên bản đã ban hành."))
        m.status, m.correction_reason = Minutes.Status.DRAFT, reason[:MAX_COMMENT]
        m.save(update_fields=["status", "correction_reason"])
        _audit(actor, "minutes.correction_started", m, Minutes.Status.ISSUED, reason=m.correction_reason)
        broadcast(m.pk, {"type": "status", "status": m.status})
    return m
