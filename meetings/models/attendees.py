"""The people invited to a meeting, and their personal join links."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from meetings.models.meetings import Meeting
from meetings.models.organisation import Unit
from meetings.validators import validate_single_line


def join_token_for(key: str) -> str:
    mac = hmac.new(settings.SECRET_KEY.encode(), f"quorum.join:{key}".encode(), hashlib.sha256).digest()
    return f"{key}.{base64.urlsafe_b64encode(mac).decode().rstrip('=')}"


class Attendee(models.Model):
    class Role(models.TextChoices):
        CHAIR = "chair", _("Chủ trì")
        REQUIRED = "required", _("Thành phần")
        OPTIONAL = "optional", _("Mời tham dự (không bắt buộc)")
        OBSERVER = "observer", _("Dự thính")

    class Rsvp(models.TextChoices):
        NEEDS_ACTION = "needs_action", _("Chưa trả lời")
        ACCEPTED = "accepted", _("Tham dự")
        TENTATIVE = "tentative", _("Chưa chắc chắn")
        DECLINED = "declined", _("Không tham dự")
        DELEGATED = "delegated", _("Cử người dự thay")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendees", verbose_name=_("cuộc họp"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="attendances",
        verbose_name=_("tài khoản"),
    )
    email = models.EmailField(_("e-mail"))
    name = models.CharField(_("họ tên"), max_length=200, blank=True, validators=[validate_single_line])
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("đơn vị"))
    role = models.CharField(_("vai trò"), max_length=20, choices=Role.choices, default=Role.REQUIRED)
    rsvp = models.CharField(_("trả lời"), max_length=20, choices=Rsvp.choices, default=Rsvp.NEEDS_ACTION)
    rsvp_comment = models.TextField(_("ghi chú khi trả lời"), blank=True)
    responded_at = models.DateTimeField(_("trả lời lúc"), null=True, blank=True)
    delegated_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="delegates", verbose_name=_("dự thay cho")
    )
    # The public half of the personal join link /j/<key>.<mac>. The other half is an HMAC of
    # the key under SECRET_KEY and is never stored, so the database (or a backup) alone
    # cannot open anyone's link (security review D18). Rotated when the attendee is removed.
    join_key = models.CharField(_("khóa đường link tham gia"), max_length=64, unique=True, default=secrets.token_urlsafe, editable=False)
    # Removed attendees are kept (they were sent a CANCEL); active ones are in the invitation.
    is_active = models.BooleanField(_("còn trong danh sách mời"), default=True)
    created_at = models.DateTimeField(_("tạo lúc"), default=timezone.now)

    class Meta:
        verbose_name = _("thành phần mời")
        verbose_name_plural = _("thành phần mời")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "email"], name="meetings_attendee_unique_email"),
        ]
        indexes = [models.Index(fields=["user", "meeting"], name="meetings_attendee_user")]

    def __str__(self) -> str:
        return self.name or self.email

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Removing an attendee kills their link for good: if they are invited again later
        # they get a new one (D18).
        fields = kwargs.get("update_fields")
        if self.pk is not None and not self.is_active and (fields is None or "is_active" in fields):
            self.join_key = secrets.token_urlsafe()
            if fields is not None:
                kwargs["update_fields"] = [*fields, "join_key"]
        super().save(*args, **kwargs)

    @property
    def join_token(self) -> str:
        """The secret of the personal join link; computed, never stored."""
        pinned = getattr(self, "_join_token", None)
        return pinned if pinned is not None else join_token_for(self.join_key)

    @join_token.setter
    def join_token(self, value: str) -> None:
        # Lets golden-file tests pin the link; never saved.
        self._join_token = value

    @classmethod
    def by_join_token(cls, token: str) -> Attendee | None:
        """The attendee whose link this is (one indexed query plus a constant-time compare)."""
        key, _sep, _mac = token.partition(".")
        if not key or not _sep:
            return None
        found = cls.objects.select_related("meeting__organizing_unit", "user").filter(join_key=key).first()
        if found is None or not hmac.compare_digest(join_token_for(found.join_key), token):
            return None
        return found

    @property
    def display_name(self) -> str:
        return self.name or (self.user.full_name if self.user_id and self.user else "") or self.email
