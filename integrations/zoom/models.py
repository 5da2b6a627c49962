"""The Zoom host-licence pool, its allocations and daily budget, and received webhooks."""

from __future__ import annotations

from datetime import date

from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# Zoom allows 100 meeting create/update requests per host user per day (reset 00:00 UTC).
DAILY_BUDGET = 100


class ZoomHostAccountQuerySet(models.QuerySet["ZoomHostAccount"]):
    def usable_by(self, unit_id: int) -> ZoomHostAccountQuerySet:
        """Active hosts of the unit first, then shared ones (unit empty)."""
        return self.filter(is_active=True).filter(Q(unit_id=unit_id) | Q(unit__isnull=True))


class ZoomHostAccount(models.Model):
    """A licensed Zoom user that hosts meetings scheduled by Quorum (one at a time)."""

    zoom_user_id = models.CharField(_("Zoom user id hoặc e-mail"), max_length=100, unique=True)
    email = models.EmailField(_("e-mail"), blank=True)
    unit = models.ForeignKey(
        "meetings.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="zoom_hosts",
        help_text=_("Để trống: tài khoản dùng chung cho mọi đơn vị."),
        verbose_name=_("đơn vị"),
    )
    is_active = models.BooleanField(_("đang dùng"), default=True)
    created_at = models.DateTimeField(_("tạo lúc"), default=timezone.now)

    objects = ZoomHostAccountQuerySet.as_manager()

    class Meta:
        verbose_name = _("tài khoản Zoom (host)")
        verbose_name_plural = _("tài khoản Zoom (host)")
        ordering = ["unit_id", "zoom_user_id"]

    def __str__(self) -> str:
        owner = self.unit.short_name if self.unit_id and self.unit else _("dùng chung")
        return f"{self.email or self.zoom_user_id} ({owner})"


class HostAllocation(models.Model):
    """One occurrence holds one host from blocked_start to blocked_end (meeting + buffers).

    Active allocations of one host never overlap: PostgreSQL enforces it with an exclusion
    constraint (migration 0002); on SQLite every write transaction runs under BEGIN
    IMMEDIATE, so the check-then-insert in pool.reserve() is serialised.
    """

    host = models.ForeignKey(ZoomHostAccount, on_delete=models.PROTECT, related_name="allocations", verbose_name=_("tài khoản Zoom"))
    occurrence = models.OneToOneField("meetings.Occurrence", on_delete=models.CASCADE, related_name="zoom_host", verbose_name=_("buổi họp"))
    blocked_start = models.DateTimeField(_("giữ phòng từ"))
    blocked_end = models.DateTimeField(_("giữ phòng đến"))
    active = models.BooleanField(_("đang giữ"), default=True)
    created_at = models.DateTimeField(_("tạo lúc"), default=timezone.now)

    class Meta:
        verbose_name = _("phân bổ tài khoản Zoom")
        verbose_name_plural = _("phân bổ tài khoản Zoom")
        constraints = [
            models.CheckConstraint(condition=Q(blocked_end__gt=F("blocked_start")), name="zoom_allocation_nonempty"),
        ]
        indexes = [
            # Free-host search: active allocations of candidate hosts overlapping a window.
            models.Index(fields=["host", "blocked_start", "blocked_end"], name="zoom_alloc_host_time",
                         condition=Q(active=True)),
        ]

    def __str__(self) -> str:
        return f"{self.host} → {self.occurrence_id}"


class HostUsage(models.Model):
    """Create/update requests sent for a host on one UTC day (Zoom's daily limit)."""

    host = models.ForeignKey(ZoomHostAccount, on_delete=models.CASCADE, related_name="usage", verbose_name=_("tài khoản Zoom"))
    day = models.DateField(_("ngày"))
    count = models.PositiveIntegerField(_("số cuộc họp"), default=0)

    class Meta:
        verbose_name = _("hạn mức Zoom trong ngày")
        verbose_name_plural = _("hạn mức Zoom trong ngày")
        constraints = [models.UniqueConstraint(fields=["host", "day"], name="zoom_usage_one_row_per_day")]

    def __str__(self) -> str:
        return f"{self.host} {self.day}: {self.count}/{DAILY_BUDGET}"


class WebhookEvent(models.Model):
    """A verified webhook delivery, stored before it is processed (in a huey task).
    `dedupe_key` makes Zoom's retries and duplicates harmless."""

    dedupe_key = models.CharField(_("khóa chống trùng"), max_length=64, unique=True)
    event = models.CharField(_("sự kiện"), max_length=80)
    event_ts = models.BigIntegerField(_("thời điểm sự kiện"), null=True, blank=True)
    payload = models.JSONField(_("dữ liệu"))
    received_at = models.DateTimeField(_("nhận lúc"), default=timezone.now)
    processed_at = models.DateTimeField(_("xử lý lúc"), null=True, blank=True)
    result = models.TextField(_("kết quả"), blank=True)

    class Meta:
        verbose_name = _("webhook Zoom")
        verbose_name_plural = _("webhook Zoom")
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.event} {self.received_at:%Y-%m-%d %H:%M:%S}"


def utc_day(now: object = None) -> date:
    from datetime import UTC

    moment = now or timezone.now()
    return moment.astimezone(UTC).date()  # type: ignore[attr-defined]
