"""One online room per occurrence, the attendance log, and per-unit provider policy."""

from __future__ import annotations

import secrets
from datetime import datetime

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def room_key() -> str:
    return secrets.token_hex(12)


class OnlineRoomQuerySet(models.QuerySet["OnlineRoom"]):
    def due(self, now: datetime) -> OnlineRoomQuerySet:
        """Pending rooms nobody is working on whose retry time has come."""
        return self.filter(state=OnlineRoom.State.PENDING, next_attempt_at__lte=now).filter(
            Q(lease_until__isnull=True) | Q(lease_until__lt=now)
        )


class OnlineRoom(models.Model):
    """The online room of one occurrence: what we want (`provider`, `desired`) and what
    exists at the provider (`external_provider`, `external_id`, join URL…).

    `state` pending means "the provider must be brought in line"; `revision` grows on
    every such request so a sync that raced with a newer change does not mark it ready.
    """

    class State(models.TextChoices):
        PENDING = "pending", _("Đang chuẩn bị")
        READY = "ready", _("Sẵn sàng")
        FAILED = "failed", _("Lỗi")
        REMOVED = "removed", _("Đã gỡ")

    occurrence = models.OneToOneField(
        "meetings.Occurrence", on_delete=models.CASCADE, related_name="online_room", verbose_name=_("buổi họp")
    )
    key = models.CharField(_("mã phòng"), max_length=32, unique=True, default=room_key, editable=False)
    provider = models.CharField(_("nhà cung cấp"), max_length=20)
    desired = models.BooleanField(_("cần có phòng"), default=True)
    state = models.CharField(_("trạng thái"), max_length=20, choices=State.choices, default=State.PENDING)
    reason = models.TextField(_("lý do / lỗi"), blank=True)
    revision = models.PositiveIntegerField(_("lần sửa"), default=0)
    # What exists at the provider.
    external_provider = models.CharField(_("nhà cung cấp đã tạo phòng"), max_length=20, blank=True)
    external_id = models.CharField(_("mã phòng ở nhà cung cấp"), max_length=64, blank=True)
    host = models.CharField(_("tài khoản chủ phòng"), max_length=254, blank=True)
    join_url = models.URLField(_("đường link tham gia"), max_length=1000, blank=True)
    passcode = models.CharField(_("mật mã"), max_length=64, blank=True)
    dial_in = models.TextField(_("quay số / điểm cầu"), blank=True)
    extra = models.JSONField(_("thông tin thêm"), default=dict, blank=True)
    synced = models.JSONField(_("nội dung đã đồng bộ"), default=dict, blank=True)  # RoomSpec.fingerprint() last pushed
    # Idempotency marker: a create was sent; if no id came back, find() before creating again.
    create_started_at = models.DateTimeField(_("bắt đầu tạo lúc"), null=True, blank=True)
    lease_until = models.DateTimeField(_("giữ xử lý đến"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("số lần thử"), default=0)
    next_attempt_at = models.DateTimeField(_("thử lại lúc"), default=timezone.now)
    # The join URL/passcode attendees were last told about (online_link_changed).
    announced = models.JSONField(_("đường link đã báo"), default=dict, blank=True)
    failure_notified_at = models.DateTimeField(_("báo lỗi lúc"), null=True, blank=True)
    # Someone changed or deleted the room in the provider's own UI.
    changed_outside = models.TextField(_("sửa ngoài Quorum"), blank=True)
    live_status = models.CharField(_("tình trạng buổi họp"), max_length=20, blank=True)  # started / ended (webhooks)
    created_at = models.DateTimeField(_("tạo lúc"), default=timezone.now)
    updated_at = models.DateTimeField(_("cập nhật lúc"), auto_now=True)

    objects = OnlineRoomQuerySet.as_manager()

    class Meta:
        verbose_name = _("phòng họp trực tuyến")
        verbose_name_plural = _("phòng họp trực tuyến")
        ordering = ["occurrence__start"]
        indexes = [
            # The reconciler scans pending rooms by retry time.
            models.Index(
                fields=["next_attempt_at"], name="online_room_pending",
                condition=Q(state="pending"),
            ),
            # Webhooks find the room by the provider's meeting id.
            models.Index(fields=["external_provider", "external_id"], name="online_room_external"),
        ]

    def __str__(self) -> str:
        return f"{self.provider} · {self.occurrence} ({self.get_state_display()})"

    @property
    def is_ready(self) -> bool:
        return self.state == self.State.READY and bool(self.join_url)


class Attendance(models.Model):
    """Who joined an occurrence online and when: an attendee, or a guest we could not match."""

    class Source(models.TextChoices):
        JOIN_LINK = "join_link", _("Link cá nhân")
        PROVIDER = "provider", _("Nhà cung cấp (webhook)")

    occurrence = models.ForeignKey(
        "meetings.Occurrence", on_delete=models.CASCADE, related_name="online_attendance", verbose_name=_("buổi họp")
    )
    attendee = models.ForeignKey(
        "meetings.Attendee", null=True, blank=True, on_delete=models.SET_NULL, related_name="online_attendance", verbose_name=_("người được mời")
    )
    guest_name = models.CharField(_("tên khách"), max_length=200, blank=True)
    guest_email = models.EmailField(_("e-mail khách"), blank=True)
    source = models.CharField(_("nguồn"), max_length=20, choices=Source.choices)
    # One participant session at the provider (Zoom participant_uuid), or "link:<attendee>".
    participant_key = models.CharField(_("mã phiên tham gia"), max_length=200)
    joined_at = models.DateTimeField(_("vào lúc"), null=True, blank=True)
    left_at = models.DateTimeField(_("rời lúc"), null=True, blank=True)
    clicks = models.PositiveIntegerField(_("số lần bấm"), default=0)
    created_at = models.DateTimeField(_("tạo lúc"), default=timezone.now)

    class Meta:
        verbose_name = _("điểm danh trực tuyến")
        verbose_name_plural = _("điểm danh trực tuyến")
        ordering = ["occurrence_id", "joined_at", "id"]
        constraints = [
            # Duplicate webhooks and repeated clicks update one row per session.
            models.UniqueConstraint(
                fields=["occurrence", "source", "participant_key", "joined_at"],
                name="online_attendance_one_session",
            ),
        ]

    def __str__(self) -> str:
        who = self.attendee or self.guest_name or self.guest_email or "?"
        return f"{who} — {self.occurrence_id}"

    @property
    def is_guest(self) -> bool:
        return self.attendee_id is None


class UnitOnlinePolicy(models.Model):
    """Per-unit choices beyond Unit.default_online_provider."""

    unit = models.OneToOneField("meetings.Unit", on_delete=models.CASCADE, related_name="online_policy", verbose_name=_("đơn vị"))
    # Used for an occurrence when no Zoom host licence is free (empty: refuse instead).
    fallback_provider = models.CharField(_("nhà cung cấp dự phòng khi hết tài khoản Zoom"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("chính sách phòng trực tuyến của đơn vị")
        verbose_name_plural = _("chính sách phòng trực tuyến của đơn vị")

    def __str__(self) -> str:
        return f"{self.unit}: {self.fallback_provider or '—'}"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        from integrations.online import registry

        provider = registry.get(self.fallback_provider) if self.fallback_provider else None
        if self.fallback_provider and (provider is None or "host_pool" in provider.capabilities):
            usable = [k for k in registry.provider_keys() if "host_pool" not in registry.get(k).capabilities]
            raise ValidationError({"fallback_provider": _("Chọn một nhà cung cấp không cần tài khoản host: %(k)s.")
                                   % {"k": ", ".join(usable)}})
