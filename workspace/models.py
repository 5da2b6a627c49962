"""What room admins were told about, so request e-mails are batched and sent once."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AdminDigest(models.Model):
    """One row per room admin: when they were last e-mailed about new requests.

    The digest task locks this row before sending, so two workers never mail the same admin
    twice and an admin gets at most one e-mail per DIGEST_INTERVAL.
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("người dùng"))
    last_sent_at = models.DateTimeField(_("gửi lần cuối lúc"), null=True, blank=True)

    class Meta:
        verbose_name = _("thư báo yêu cầu đặt phòng")
        verbose_name_plural = _("thư báo yêu cầu đặt phòng")

    def __str__(self) -> str:
        return f"{self.user} {self.last_sent_at}"


class RequestNotice(models.Model):
    """A booking request a room admin has been e-mailed about (never twice)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("người dùng"))
    booking = models.ForeignKey("meetings.Booking", on_delete=models.CASCADE, related_name="+", verbose_name=_("đặt phòng"))
    notified_at = models.DateTimeField(_("báo lúc"), default=timezone.now)

    class Meta:
        verbose_name = _("yêu cầu đã báo")
        verbose_name_plural = _("yêu cầu đã báo")
        constraints = [
            models.UniqueConstraint(fields=["user", "booking"], name="workspace_notice_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user} ← #{self.booking_id}"


class DecisionMail(models.Model):
    """The decision e-mail sent for one outbox message (a re-run sends nothing)."""

    message_id = models.BigIntegerField(_("mã việc chờ gửi"), unique=True)
    sent_at = models.DateTimeField(_("gửi lúc"), default=timezone.now)

    class Meta:
        verbose_name = _("thư báo kết quả duyệt")
        verbose_name_plural = _("thư báo kết quả duyệt")

    def __str__(self) -> str:
        return f"#{self.message_id} {self.sent_at}"
