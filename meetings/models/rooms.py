"""Rooms, their equipment and their booking rules."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from meetings.models.organisation import Unit
from meetings.validators import validate_single_line


class Equipment(models.Model):
    slug = models.SlugField(_("mã thiết bị"), max_length=40, unique=True)
    name = models.CharField(_("tên thiết bị"), max_length=100)

    class Meta:
        verbose_name = _("thiết bị")
        verbose_name_plural = _("thiết bị")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class RoomQuerySet(models.QuerySet["Room"]):
    def active(self) -> RoomQuerySet:
        return self.filter(is_active=True, unit__is_active=True)

    def bookable_by(self, unit: Unit) -> RoomQuerySet:
        """Rooms a secretary of `unit` may reserve: their own, and shared rooms of others."""
        return self.filter(Q(unit=unit) | Q(shared=True))

    def with_equipment(self, slugs: list[str]) -> RoomQuerySet:
        qs = self
        for slug in slugs:
            qs = qs.filter(Exists(Room.equipment.through.objects.filter(
                room_id=OuterRef("pk"), equipment__slug=slug)))
        return qs


class Room(models.Model):
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="rooms", verbose_name=_("đơn vị quản lý"))
    name = models.CharField(_("tên phòng"), max_length=200, validators=[validate_single_line])
    capacity = models.PositiveIntegerField(_("sức chứa"))
    location = models.CharField(_("tầng / vị trí"), max_length=200, blank=True)
    equipment = models.ManyToManyField(Equipment, blank=True, related_name="rooms", verbose_name=_("thiết bị"))
    setup_buffer_minutes = models.PositiveIntegerField(_("chuẩn bị trước (phút)"), default=0)
    cleanup_buffer_minutes = models.PositiveIntegerField(_("dọn dẹp sau (phút)"), default=0)
    requires_approval = models.BooleanField(_("cần phê duyệt"), default=False)
    shared = models.BooleanField(_("đơn vị khác được đặt"), default=False)
    is_active = models.BooleanField(_("đang sử dụng"), default=True)
    # Empty means "use the unit's rule".
    opens_at = models.TimeField(_("giờ mở cửa"), null=True, blank=True)
    closes_at = models.TimeField(_("giờ đóng cửa"), null=True, blank=True)
    max_duration_minutes = models.PositiveIntegerField(
        _("thời lượng tối đa (phút)"), null=True, blank=True
    )
    max_days_ahead = models.PositiveIntegerField(_("đặt trước tối đa (ngày)"), null=True, blank=True)
    # A video-conference endpoint's dial string (listed in invitations of hybrid meetings).
    vc_endpoint = models.CharField(_("điểm cầu truyền hình"), max_length=200, blank=True)

    objects = RoomQuerySet.as_manager()

    class Meta:
        verbose_name = _("phòng họp")
        verbose_name_plural = _("phòng họp")
        ordering = ["unit_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "name"], name="meetings_room_unique_name"),
            models.CheckConstraint(condition=Q(capacity__gt=0), name="meetings_room_capacity_gt_0"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.unit})"

    @property
    def setup_buffer(self) -> timedelta:
        return timedelta(minutes=self.setup_buffer_minutes)

    @property
    def cleanup_buffer(self) -> timedelta:
        return timedelta(minutes=self.cleanup_buffer_minutes)

    def rules(self) -> dict[str, Any]:
        """Effective booking rules. Reads self.unit (a query unless already loaded)."""
        return {
            "opens_at": self.opens_at or self.unit.opens_at,
            "closes_at": self.closes_at or self.unit.closes_at,
            "max_duration_minutes": self.max_duration_minutes or self.unit.max_duration_minutes,
            "max_days_ahead": self.max_days_ahead or self.unit.max_days_ahead,
        }

    def rule_violation(self, start: datetime, end: datetime, now: datetime) -> str | None:
        """Why this room cannot be booked from start to end, or None. The reason does not
        name the room: it follows the room's name in a clash ("Phòng họp A (BVĐK): chỉ …")."""
        rules = self.rules()
        tz = timezone.get_default_timezone()
        local_start, local_end = start.astimezone(tz), end.astimezone(tz)
        if local_start.date() != local_end.date():
            return _("chỉ đặt được trong ngày (bắt đầu và kết thúc cùng một ngày)")
        if local_start.time() < rules["opens_at"] or local_end.time() > rules["closes_at"]:
            return _("chỉ mở cửa từ %(o)s đến %(c)s") % {
                "o": rules["opens_at"].strftime("%H:%M"),
                "c": rules["closes_at"].strftime("%H:%M"),
            }
        limit = rules["max_duration_minutes"]
        if limit and end - start > timedelta(minutes=limit):
            return _("chỉ đặt được tối đa %(m)s phút mỗi lần") % {"m": limit}
        ahead = rules["max_days_ahead"]
        if ahead and local_start.date() > (now.astimezone(tz).date() + timedelta(days=ahead)):
            return _("chỉ nhận đặt trước tối đa %(d)s ngày") % {"d": ahead}
        return None
