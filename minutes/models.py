"""Minutes of one sitting (Occurrence): attendance, sections, conclusions, action items.

Section text is a CRDT document (Yjs update format, read and written with pycrdt). The
database keeps the encoded document *and* its readable text, so a restart loses nothing
and the text can be searched or rendered without pycrdt.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from meetings.models import Attendee, Occurrence, Unit


class Minutes(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Đang soạn")
        SUBMITTED = "submitted", _("Chờ chủ trì duyệt")
        APPROVED = "approved", _("Đã duyệt, chờ ban hành")
        ISSUED = "issued", _("Đã ban hành")

    occurrence = models.OneToOneField(Occurrence, on_delete=models.CASCADE, related_name="minutes", verbose_name=_("buổi họp"))
    status = models.CharField(_("trạng thái"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    created_at = models.DateTimeField(_("tạo lúc"), default=timezone.now)
    updated_at = models.DateTimeField(_("cập nhật lúc"), default=timezone.now)
    issued_at = models.DateTimeField(_("ban hành lúc"), null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("người ban hành")
    )
    # When the last revision was cut; edits after `MINUTES_REVISION_INTERVAL` cut another.
    last_revision_at = models.DateTimeField(_("lưu phiên bản gần nhất lúc"), default=timezone.now)
    # Extra people (besides the organizing unit's secretaries and the chair) who may write.
    scribes = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+", verbose_name=_("người ghi biên bản"))
    # Sign-off workflow (archive/): QĐ 45/2018 due date (5 working days after the sitting),
    # who submitted, the chair's send-back comment, and whether it was issued on time.
    due_date = models.DateField(_("hạn ban hành"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("trình duyệt lúc"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("người trình")
    )
    review_comment = models.TextField(_("ý kiến của chủ trì"), blank=True)
    # Non-empty while a correction of issued minutes is being written (what it corrects and why).
    correction_reason = models.TextField(_("lý do đính chính"), blank=True)
    issued_on_time = models.BooleanField(_("ban hành đúng hạn"), null=True, blank=True)

    class Meta:
        verbose_name = _("biên bản")
        verbose_name_plural = _("biên bản")
        indexes = [
            # Deadline sweeps and the dashboard's overdue counts read unissued minutes by due date.
            models.Index(fields=["due_date"], name="minutes_due_open", condition=~Q(status="issued")),
        ]

    def __str__(self) -> str:
        return f"Biên bản: {self.occurrence}"

    @property
    def is_issued(self) -> bool:
        return self.status == self.Status.ISSUED

    @property
    def is_locked(self) -> bool:
        """Only a draft is written to; submitted, approved and issued minutes are frozen."""
        return self.status != self.Status.DRAFT


class Section(models.Model):
    """One agenda item's discussion notes: a Yjs document holding one Y.Text named "text"."""

    minutes = models.ForeignKey(Minutes, on_delete=models.CASCADE, related_name="sections", verbose_name=_("biên bản"))
    # Names the document in per-process caches (row ids can be reused on SQLite).
    uid = models.UUIDField(_("mã mục"), default=uuid.uuid4, unique=True, editable=False)
    position = models.PositiveIntegerField(_("vị trí"), default=0)
    title = models.CharField(_("mục"), max_length=300)
    ydoc = models.BinaryField(_("tài liệu cộng tác (Yjs)"), default=bytes)
    text = models.TextField(_("nội dung"), blank=True)
    # Bumped on every stored update; a process's cached document is valid while it matches.
    version = models.PositiveIntegerField(_("phiên bản"), default=0)
    # Users (ids) who wrote here since the last revision.
    pending_authors = models.JSONField(_("người sửa chưa lưu phiên bản"), default=list, blank=True)
    updated_at = models.DateTimeField(_("cập nhật lúc"), default=timezone.now)

    class Meta:
        verbose_name = _("mục biên bản")
        verbose_name_plural = _("mục biên bản")
        ordering = ["minutes_id", "position", "id"]

    def __str__(self) -> str:
        return self.title


class AttendanceRecord(models.Model):
    class Status(models.TextChoices):
        PRESENT = "present", _("Có mặt")
        ABSENT = "absent", _("Vắng")
        EXCUSED = "excused", _("Vắng có lý do")
        SUBSTITUTE = "substitute", _("Cử người dự thay")

    class Source(models.TextChoices):
        INVITATION = "invitation", _("Theo giấy mời")
        ONLINE = "online", _("Theo phòng họp trực tuyến")
        MANUAL = "manual", _("Thư ký ghi")

    minutes = models.ForeignKey(Minutes, on_delete=models.CASCADE, related_name="attendance", verbose_name=_("biên bản"))
    attendee = models.ForeignKey(Attendee, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("người được mời"))
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("đơn vị"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("tài khoản")
    )
    name = models.CharField(_("họ tên"), max_length=200)
    email = models.EmailField(_("e-mail"), blank=True)
    status = models.CharField(_("trạng thái"), max_length=20, choices=Status.choices, default=Status.ABSENT)
    reason = models.TextField(_("lý do"), blank=True)
    substitute_name = models.CharField(_("người dự thay"), max_length=200, blank=True)
    substitute_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("người dự thay")
    )
    source = models.CharField(_("nguồn"), max_length=20, choices=Source.choices, default=Source.INVITATION)
    # Minutes spent in the online room, when the provider reports it.
    online_minutes = models.PositiveIntegerField(_("số phút dự trực tuyến"), null=True, blank=True)

    class Meta:
        verbose_name = _("điểm danh")
        verbose_name_plural = _("điểm danh")
        ordering = ["unit_id", "name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["minutes", "email"], condition=~Q(email=""), name="minutes_attendance_unique_email"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}: {self.get_status_display()}"


class Conclusion(models.Model):
    """A numbered conclusion or decision (kết luận)."""

    minutes = models.ForeignKey(Minutes, on_delete=models.CASCADE, related_name="conclusions", verbose_name=_("biên bản"))
    number = models.PositiveIntegerField(_("số"))
    text = models.TextField(_("nội dung"))
    is_decision = models.BooleanField(_("là quyết định"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("người tạo")
    )
    created_at = models.DateTimeField(_("tạo lúc"), default=timezone.now)

    class Meta:
        verbose_name = _("kết luận")
        verbose_name_plural = _("kết luận")
        ordering = ["minutes_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["minutes", "number"], name="minutes_conclusion_unique_number"),
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.text[:60]}"


class ActionItemQuerySet(models.QuerySet["ActionItem"]):
    def open(self) -> ActionItemQuerySet:
        return self.filter(status=ActionItem.Status.OPEN)

    def overdue(self, today: date | None = None) -> ActionItemQuerySet:
        return self.open().filter(due_date__lt=today or timezone.localdate())

    def for_unit(self, unit: Unit) -> ActionItemQuerySet:
        """The unit's list: items owned by the unit or by one of its people."""
        return self.filter(Q(owner_unit=unit) | Q(unit=unit))


class ActionItem(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Đang thực hiện")
        DONE = "done", _("Đã hoàn thành")
        # Not stored: an open item past its due date is shown as overdue.
        OVERDUE = "overdue", _("Quá hạn")

    minutes = models.ForeignKey(Minutes, on_delete=models.CASCADE, related_name="action_items", verbose_name=_("biên bản"))
    number = models.PositiveIntegerField(_("số"))
    what = models.TextField(_("nội dung công việc"))
    owner_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="action_items", verbose_name=_("người thực hiện")
    )
    owner_unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("đơn vị thực hiện"))
    # The unit whose list carries the item (the owner unit, or the owner person's unit).
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.SET_NULL, related_name="action_items", verbose_name=_("đơn vị theo dõi"))
    due_date = models.DateField(_("hạn"), null=True, blank=True)
    status = models.CharField(_("trạng thái"), max_length=20, choices=Status.choices, default=Status.OPEN)
    done_at = models.DateTimeField(_("hoàn thành lúc"), null=True, blank=True)
    # Closing an item says how it was done (archive/: the unit's and the person's lists).
    done_note = models.TextField(_("kết quả thực hiện"), blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("người đóng việc")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("người tạo")
    )
    created_at = models.DateTimeField(_("tạo lúc"), default=timezone.now)

    objects = ActionItemQuerySet.as_manager()

    class Meta:
        verbose_name = _("việc cần làm")
        verbose_name_plural = _("việc cần làm")
        ordering = ["minutes_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["minutes", "number"], name="minutes_action_unique_number"),
            models.CheckConstraint(
                condition=Q(owner_user__isnull=False) | Q(owner_unit__isnull=False),
                name="minutes_action_has_owner",
            ),
        ]
        indexes = [
            # The unit's open-items list.
            models.Index(fields=["unit", "due_date"], name="minutes_action_unit_open", condition=Q(status="open")),
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.what[:60]}"

    def effective_status(self, today: date | None = None) -> str:
        if self.status == self.Status.OPEN and self.due_date and self.due_date < (today or timezone.localdate()):
            return self.Status.OVERDUE
        return self.status

    def as_dict(self, today: date | None = None) -> dict[str, Any]:
        status = self.effective_status(today)
        return {
            "id": self.pk,
            "number": self.number,
            "what": self.what,
            "owner_user": {"id": self.owner_user_id, "name": self.owner_user.full_name} if self.owner_user_id else None,
            "owner_unit": {"id": self.owner_unit_id, "name": str(self.owner_unit)} if self.owner_unit_id else None,
            "unit_id": self.unit_id,
            "due_date": self.due_date.isoformat() if self.due_date else None,
            "due_label": self.due_date.strftime("%d/%m/%Y") if self.due_date else "",
            "status": status,
            "status_label": str(self.Status(status).label),
            "minutes_id": self.minutes_id,
        }


class Revision(models.Model):
    """A snapshot of every section (CRDT state + text) with who wrote since the previous one."""

    class Reason(models.TextChoices):
        ACTIVITY = "activity", _("Tự động khi đang soạn")
        STATUS = "status", _("Đổi trạng thái")
        BEFORE_RESTORE = "before_restore", _("Trước khi khôi phục")
        RESTORE = "restore", _("Khôi phục")
        MANUAL = "manual", _("Lưu phiên bản")

    minutes = models.ForeignKey(Minutes, on_delete=models.CASCADE, related_name="revisions", verbose_name=_("biên bản"))
    number = models.PositiveIntegerField(_("số"))
    created_at = models.DateTimeField(_("tạo lúc"), default=timezone.now)
    reason = models.CharField(_("lý do"), max_length=20, choices=Reason.choices)
    # [{"id": user id, "name": full name}, ...]
    authors = models.JSONField(_("người sửa"), default=list)
    # {"<section id>": {"title": ..., "text": ..., "ydoc": base64}}
    content = models.JSONField(_("nội dung"), default=dict)
    status = models.CharField(_("trạng thái biên bản"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("phiên bản biên bản")
        verbose_name_plural = _("phiên bản biên bản")
        ordering = ["minutes_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["minutes", "number"], name="minutes_revision_unique_number"),
        ]

    def __str__(self) -> str:
        return f"#{self.number} {self.created_at:%d/%m/%Y %H:%M}"
