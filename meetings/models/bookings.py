"""Rooms reserved per occurrence."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from meetings.models.meetings import Occurrence
from meetings.models.rooms import Room


class BookingQuerySet(models.QuerySet["Booking"]):
    def holding(self) -> BookingQuerySet:
        """Bookings that occupy their room (the ones the exclusion constraint covers)."""
        return self.filter(status=Booking.Status.CONFIRMED)

    def overlapping(self, start: datetime, end: datetime) -> BookingQuerySet:
        return self.filter(blocked_start__lt=end, blocked_end__gt=start)


class Booking(models.Model):
    """A room reserved for one occurrence. Confirmed bookings never overlap per room.

    PostgreSQL enforces it with an exclusion constraint (migration 0002); SQLite runs
    every write transaction under BEGIN IMMEDIATE, so check-then-insert is serialised.
    """

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Chờ duyệt")
        CONFIRMED = "confirmed", _("Đã xác nhận")
        REJECTED = "rejected", _("Bị từ chối")
        RELEASED = "released", _("Đã trả phòng")

    # Indexed by (occurrence, status) below, which serves every lookup by occurrence: one
    # index fewer for each booking to write.
    occurrence = models.ForeignKey(Occurrence, on_delete=models.CASCADE, related_name="bookings", verbose_name=_("buổi họp"),
                                   db_index=False)
    room = models.ForeignKey(Room, on_delete=models.PROTECT, related_name="bookings", verbose_name=_("phòng họp"))
    start = models.DateTimeField(_("bắt đầu"))
    end = models.DateTimeField(_("kết thúc"))
    # start/end widened by the room's setup and cleanup buffers.
    blocked_start = models.DateTimeField(_("giữ phòng từ"))
    blocked_end = models.DateTimeField(_("giữ phòng đến"))
    status = models.CharField(_("trạng thái"), max_length=20, choices=Status.choices, default=Status.CONFIRMED)
    expected_attendees = models.PositiveIntegerField(_("số người dự kiến"), default=0)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("người duyệt")
    )
    decided_at = models.DateTimeField(_("duyệt lúc"), null=True, blank=True)
    decision_note = models.TextField(_("ghi chú khi duyệt"), blank=True)
    created_at = models.DateTimeField(_("tạo lúc"), default=timezone.now)

    objects = BookingQuerySet.as_manager()

    class Meta:
        verbose_name = _("đặt phòng")
        verbose_name_plural = _("đặt phòng")
        ordering = ["start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(blocked_end__gt=models.F("blocked_start")),
                name="meetings_booking_nonempty",
            ),
        ]
        indexes = [
            # Conflict checks and the availability finder: room + time, holding bookings only.
            models.Index(
                fields=["room", "blocked_start", "blocked_end"],
                name="meetings_booking_room_time",
                condition=Q(status="confirmed"),
            ),
            models.Index(fields=["occurrence", "status"], name="meetings_booking_occ"),
        ]

    def __str__(self) -> str:
        local = timezone.localtime(self.start)
        return f"{self.room} {local:%d/%m/%Y %H:%M}"
