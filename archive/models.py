"""Issued documents (the NĐ 30/2020 record of a sitting's minutes), their files and signatures,
the per-unit document numbering, signing certificates, deadline notices and exports.

An IssuedDocument is created when the chair approves the minutes: the content is frozen as
JSON, hashed (SHA-256) and numbered; issuing publishes it. It is never edited afterwards: a
correction is a new IssuedDocument of the same minutes that `supersedes` the previous one.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from meetings.models import Meeting, Unit
from minutes.models import Minutes


class DocumentCounter(models.Model):
    """The last number given per unit per year (locked with SELECT … FOR UPDATE)."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+", verbose_name=_("đơn vị"))
    year = models.PositiveIntegerField(_("năm"))
    last = models.PositiveIntegerField(_("số đã cấp gần nhất"), default=0)

    class Meta:
        verbose_name = _("bộ đếm số văn bản")
        verbose_name_plural = _("bộ đếm số văn bản")
        constraints = [models.UniqueConstraint(fields=["unit", "year"], name="archive_counter_unit_year")]

    def __str__(self) -> str:
        return f"{self.unit_id}/{self.year}: {self.last}"


class IssuedDocumentQuerySet(models.QuerySet["IssuedDocument"]):
    def issued(self) -> IssuedDocumentQuerySet:
        return self.filter(issued_at__isnull=False)

    def current(self) -> IssuedDocumentQuerySet:
        """The version in force: issued and not superseded by a later issued correction."""
        return self.issued().filter(is_current=True)


class IssuedDocument(models.Model):
    minutes = models.ForeignKey(Minutes, on_delete=models.PROTECT, related_name="documents", verbose_name=_("biên bản"))
    version = models.PositiveIntegerField(_("phiên bản"), default=1)
    supersedes = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by", verbose_name=_("thay thế văn bản")
    )
    correction_reason = models.TextField(_("lý do đính chính"), blank=True)
    # Denormalised from the meeting so the archive filters and searches one table.
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+", verbose_name=_("đơn vị"))
    chair = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("chủ trì")
    )
    sensitivity = models.CharField(_("mức độ"), max_length=20, choices=Meeting.Sensitivity.choices)
    meeting_date = models.DateField(_("ngày họp"))
    year = models.PositiveIntegerField(_("năm"))
    number = models.PositiveIntegerField(_("số văn bản"))
    code = models.CharField(_("số, ký hiệu"), max_length=80)
    title = models.CharField(_("tiêu đề"), max_length=300)
    # The frozen document (see archive/content.py) and its SHA-256 (canonical JSON).
    content = models.JSONField(_("nội dung"))
    content_sha256 = models.CharField(_("mã băm nội dung (SHA-256)"), max_length=64)
    # Plain text searched by the archive: title, discussion, conclusions, action items.
    search_text = models.TextField(_("văn bản tìm kiếm"), blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("người phê duyệt")
    )
    approved_at = models.DateTimeField(_("phê duyệt lúc"), default=timezone.now)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("người ban hành")
    )
    issued_at = models.DateTimeField(_("ban hành lúc"), null=True, blank=True)
    on_time = models.BooleanField(_("đúng hạn"), null=True, blank=True)
    is_current = models.BooleanField(_("bản đang có hiệu lực"), default=False)
    # Signature state of the stored PDF (re-verified whenever the file's hash changes).
    signed_at = models.DateTimeField(_("ký lúc"), null=True, blank=True)
    signer_name = models.CharField(_("người ký"), max_length=300, blank=True)

    objects = IssuedDocumentQuerySet.as_manager()

    class Meta:
        verbose_name = _("văn bản biên bản")
        verbose_name_plural = _("văn bản biên bản")
        ordering = ["-meeting_date", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "year", "number"], name="archive_doc_unique_number"),
            models.UniqueConstraint(fields=["minutes", "version"], name="archive_doc_unique_version"),
            # At most one version in force per minutes.
            models.UniqueConstraint(fields=["minutes"], condition=Q(is_current=True), name="archive_doc_one_current"),
        ]
        indexes = [
            models.Index(fields=["unit", "meeting_date"], name="archive_doc_unit_date"),
            models.Index(fields=["meeting_date"], name="archive_doc_date"),
        ]

    def __str__(self) -> str:
        return f"{self.code}: {self.title}"


class DocumentFile(models.Model):
    """The bytes of one rendering: the PDF (signed or not) and the DOCX. Kept out of
    IssuedDocument so lists never load them."""

    class Kind(models.TextChoices):
        PDF = "pdf", "PDF"
        DOCX = "docx", "DOCX"

    class Signature(models.TextChoices):
        UNSIGNED = "unsigned", _("Chưa ký số")
        VALID = "valid", _("Chữ ký hợp lệ")
        INVALID = "invalid", _("Chữ ký không hợp lệ")

    document = models.ForeignKey(IssuedDocument, on_delete=models.CASCADE, related_name="files", verbose_name=_("văn bản"))
    kind = models.CharField(_("định dạng"), max_length=10, choices=Kind.choices)
    data = models.BinaryField(_("dữ liệu tệp"))
    sha256 = models.CharField(_("mã băm (SHA-256)"), max_length=64)
    created_at = models.DateTimeField(_("tạo lúc"), default=timezone.now)
    # Last verification, valid while `verified_sha256` equals the hash of the bytes.
    signature = models.CharField(_("chữ ký số"), max_length=10, choices=Signature.choices, default=Signature.UNSIGNED)
    signature_detail = models.CharField(_("chi tiết chữ ký"), max_length=500, blank=True)
    verified_sha256 = models.CharField(_("mã băm đã kiểm tra"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("tệp văn bản")
        verbose_name_plural = _("tệp văn bản")
        constraints = [models.UniqueConstraint(fields=["document", "kind"], name="archive_file_unique_kind")]

    def __str__(self) -> str:
        return f"{self.document_id}.{self.kind}"


class SigningCertificate(models.Model):
    """A PKCS#12 bundle for a signer (a person) or for a unit. The password is never stored:
    it is read from the environment variable named here, or typed at signing."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+", verbose_name=_("người ký")
    )
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.CASCADE, related_name="+", verbose_name=_("đơn vị"))
    label = models.CharField(_("tên chứng thư"), max_length=200)
    pkcs12 = models.BinaryField(_("tệp PKCS#12"))
    password_env = models.CharField(_("biến môi trường chứa mật khẩu"), max_length=100, blank=True)
    subject = models.CharField(_("chủ thể"), max_length=500, blank=True)
    # The issuing CA certificates (PEM), read when the bundle was registered: trust roots.
    chain_pem = models.TextField(_("chuỗi chứng thư (PEM)"), blank=True)
    not_after = models.DateTimeField(_("hết hạn lúc"), null=True, blank=True)
    is_active = models.BooleanField(_("đang dùng"), default=True)
    created_at = models.DateTimeField(_("tạo lúc"), default=timezone.now)

    class Meta:
        verbose_name = _("chứng thư số")
        verbose_name_plural = _("chứng thư số")
        constraints = [
            models.CheckConstraint(condition=Q(user__isnull=False) | Q(unit__isnull=False), name="archive_cert_has_owner"),
        ]

    def __str__(self) -> str:
        return self.label


class DeadlineNotice(models.Model):
    """One notice per minutes and kind: the unique row makes "exactly once" hold even when
    two workers sweep at the same time; `sent_at` lets a lost send be re-driven."""

    class Kind(models.TextChoices):
        REMINDER = "reminder", _("Nhắc thư ký trước hạn")
        OVERDUE = "overdue", _("Báo chủ trì quá hạn")
        ACTION_REMINDER = "action_reminder", _("Nhắc việc sắp đến hạn")

    minutes = models.ForeignKey(Minutes, null=True, blank=True, on_delete=models.CASCADE, related_name="+", verbose_name=_("biên bản"))
    action_item = models.ForeignKey(
        "minutes.ActionItem", null=True, blank=True, on_delete=models.CASCADE, related_name="+", verbose_name=_("việc cần làm")
    )
    kind = models.CharField(_("loại"), max_length=20, choices=Kind.choices)
    recipients = models.JSONField(_("người nhận"), default=list)
    created_at = models.DateTimeField(_("tạo lúc"), default=timezone.now)
    sent_at = models.DateTimeField(_("gửi lúc"), null=True, blank=True)

    class Meta:
        verbose_name = _("thông báo hạn")
        verbose_name_plural = _("thông báo hạn")
        constraints = [
            models.UniqueConstraint(fields=["minutes", "kind"], condition=Q(minutes__isnull=False), name="archive_notice_once"),
            models.UniqueConstraint(
                fields=["action_item", "kind"], condition=Q(action_item__isnull=False), name="archive_action_notice_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.minutes_id or self.action_item_id}"


class ExportJob(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Đang chờ")
        RUNNING = "running", _("Đang tạo")
        DONE = "done", _("Xong")
        FAILED = "failed", _("Lỗi")

    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("người yêu cầu"))
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("đơn vị"))
    date_from = models.DateField(_("từ ngày"))
    date_to = models.DateField(_("đến ngày"))
    status = models.CharField(_("trạng thái"), max_length=10, choices=Status.choices, default=Status.PENDING)
    total = models.PositiveIntegerField(_("tổng số"), default=0)
    done = models.PositiveIntegerField(_("đã xong"), default=0)
    message = models.CharField(_("thông báo"), max_length=500, blank=True)
    data = models.BinaryField(_("dữ liệu tệp"), null=True, blank=True)
    created_at = models.DateTimeField(_("tạo lúc"), default=timezone.now)
    finished_at = models.DateTimeField(_("xong lúc"), null=True, blank=True)

    class Meta:
        verbose_name = _("lượt xuất dữ liệu")
        verbose_name_plural = _("lượt xuất dữ liệu")

    def __str__(self) -> str:
        return f"export {self.pk} ({self.status})"

    @property
    def percent(self) -> int:
        return int(self.done * 100 / self.total) if self.total else (100 if self.status == self.Status.DONE else 0)
