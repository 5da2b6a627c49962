"""The department's organisation: units, their members, and the holiday calendar."""

from __future__ import annotations

from datetime import time

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from meetings.validators import validate_single_line


class UnitQuerySet(models.QuerySet["Unit"]):
    def active(self) -> UnitQuerySet:
        return self.filter(is_active=True)


class Unit(models.Model):
    """The Department of Health (root) or one of its affiliated units."""

    class Kind(models.TextChoices):
        DEPARTMENT = "department", _("Sở Y tế")
        OFFICE = "office", _("Phòng chức năng thuộc Sở")
        HOSPITAL = "hospital", _("Bệnh viện")
        HEALTH_CENTRE = "health_centre", _("Trung tâm Y tế")
        CDC = "cdc", _("Trung tâm Kiểm soát bệnh tật")
        OTHER = "other", _("Đơn vị khác")

    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children", verbose_name=_("đơn vị cấp trên")
    )
    code = models.SlugField(_("mã đơn vị"), max_length=32, unique=True)
    name = models.CharField(_("tên đầy đủ"), max_length=255, validators=[validate_single_line])
    short_name = models.CharField(_("tên viết tắt"), max_length=80, validators=[validate_single_line])
    kind = models.CharField(_("loại"), max_length=20, choices=Kind.choices)
    is_active = models.BooleanField(_("đang hoạt động"), default=True)
    email = models.EmailField(_("hộp thư đơn vị"), blank=True)
    # Booking rules applied to every room of the unit unless the room overrides them.
    opens_at = models.TimeField(_("giờ mở cửa"), default=time(7, 0))
    closes_at = models.TimeField(_("giờ đóng cửa"), default=time(18, 0))
    max_duration_minutes = models.PositiveIntegerField(
        _("thời lượng tối đa (phút)"), null=True, blank=True
    )
    max_days_ahead = models.PositiveIntegerField(_("đặt trước tối đa (ngày)"), null=True, blank=True)
    # Online-room provider used when a secretary does not pick one (see integrations/).
    default_online_provider = models.CharField(
        _("nhà cung cấp phòng họp trực tuyến mặc định"), max_length=20, blank=True
    )

    objects = UnitQuerySet.as_manager()

    class Meta:
        verbose_name = _("đơn vị")
        verbose_name_plural = _("đơn vị")
        ordering = ["parent_id", "name"]

    def __str__(self) -> str:
        return self.short_name or self.name

    @property
    def is_department(self) -> bool:
        return self.parent_id is None


class Membership(models.Model):
    class Role(models.TextChoices):
        SECRETARY = "secretary", _("Thư ký")
        MEMBER = "member", _("Thành viên")
        LEADER = "leader", _("Lãnh đạo")
        UNIT_ADMIN = "unit_admin", _("Quản trị đơn vị")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("người dùng")
    )
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("đơn vị"))
    role = models.CharField(_("vai trò"), max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(_("tạo lúc"), default=timezone.now)

    class Meta:
        verbose_name = _("thành viên đơn vị")
        verbose_name_plural = _("thành viên đơn vị")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "unit", "role"], name="meetings_membership_no_duplicates"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} — {self.unit}"


class CalendarDay(models.Model):
    """An administrator's correction to the public-holiday calendar.

    `holidays` knows the statutory Vietnamese holidays (Tết included); the government
    and the province also decree extra days off and make-up working Saturdays.
    """

    class Kind(models.TextChoices):
        DAY_OFF = "day_off", _("Ngày nghỉ")
        WORKING_DAY = "working_day", _("Ngày làm việc (làm bù)")

    date = models.DateField(_("ngày"), unique=True)
    kind = models.CharField(_("loại"), max_length=20, choices=Kind.choices)
    name = models.CharField(_("lý do"), max_length=200)

    class Meta:
        verbose_name = _("ngày nghỉ / làm bù")
        verbose_name_plural = _("ngày nghỉ / làm bù")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date:%d/%m/%Y} {self.get_kind_display()}: {self.name}"
