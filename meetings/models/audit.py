"""The append-only audit trail and the transactional outbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from meetings.models.meetings import Meeting


class AuditEntry(models.Model):
    """Append-only record of every change: who, when, what, before and after."""

    at = models.DateTimeField(_("thời điểm"), default=timezone.now, db_index=True)
    # No database foreign keys: deleting a user or a meeting must neither rewrite entries
    # (SET NULL) nor be refused by the append-only guard (D16). The actor's name and
    # e-mail are copied into the entry so it still says who, whatever happens to the user.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.DO_NOTHING,
        db_constraint=False, related_name="+",
        verbose_name=_("người thực hiện (tài khoản)"),
    )
    actor_name = models.CharField(_("người thực hiện"), max_length=200, blank=True)
    actor_email = models.CharField(_("e-mail người thực hiện"), max_length=254, blank=True)
    action = models.CharField(_("thao tác"), max_length=60)
    object_type = models.CharField(_("loại đối tượng"), max_length=60)
    object_id = models.CharField(_("mã đối tượng"), max_length=64)
    object_repr = models.CharField(_("đối tượng"), max_length=300, blank=True)
    meeting = models.ForeignKey(
        Meeting, null=True, blank=True, on_delete=models.DO_NOTHING, db_constraint=False,
        related_name="audit_entries",
        verbose_name=_("cuộc họp"),
    )
    # Where it came from (IP address) for logins and other security events.
    ip = models.GenericIPAddressField(_("địa chỉ IP"), null=True, blank=True)
    before = models.JSONField(_("trước khi sửa"), null=True, blank=True)
    after = models.JSONField(_("sau khi sửa"), null=True, blank=True)

    class Meta:
        verbose_name = _("nhật ký thay đổi")
        verbose_name_plural = _("nhật ký thay đổi")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="meetings_audit_object")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_type}#{self.object_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValidationError("Audit entries are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ValidationError("Audit entries are append-only.")


class OutboxQuerySet(models.QuerySet["OutboxMessage"]):
    def due(self, now: datetime) -> OutboxQuerySet:
        return self.filter(
            Q(status=OutboxMessage.Status.PENDING, available_at__lte=now)
            | Q(status=OutboxMessage.Status.PROCESSING, locked_until__lt=now)
        )


class OutboxMessage(models.Model):
    """A side effect (Zoom call, invitation mail, …) written in the same transaction as
    the change that causes it, so that a crash after commit cannot lose it.

    `topic` names the handler registered in meetings.outbox; handlers are idempotent.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Đang chờ")
        PROCESSING = "processing", _("Đang xử lý")
        DONE = "done", _("Xong")
        FAILED = "failed", _("Lỗi")

    topic = models.CharField(_("loại việc"), max_length=60)
    meeting = models.ForeignKey(
        Meeting, null=True, blank=True, on_delete=models.CASCADE, related_name="outbox", verbose_name=_("cuộc họp")
    )
    payload = models.JSONField(_("dữ liệu"), default=dict)
    status = models.CharField(_("trạng thái"), max_length=20, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(_("số lần thử"), default=0)
    available_at = models.DateTimeField(_("xử lý từ"), default=timezone.now)
    locked_until = models.DateTimeField(_("khóa đến"), null=True, blank=True)
    last_error = models.TextField(_("lỗi gần nhất"), blank=True)
    created_at = models.DateTimeField(_("tạo lúc"), default=timezone.now)
    done_at = models.DateTimeField(_("xong lúc"), null=True, blank=True)

    objects = OutboxQuerySet.as_manager()

    class Meta:
        verbose_name = _("việc chờ gửi")
        verbose_name_plural = _("việc chờ gửi")
        ordering = ["id"]
        indexes = [
            # The drainer picks due rows; finished rows are the vast majority and excluded.
            models.Index(
                fields=["available_at"],
                name="meetings_outbox_due",
                condition=Q(status__in=["pending", "processing"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.topic} #{self.pk} ({self.status})"
