"""The department's organisation, its rooms and its meetings.

A meeting always has at least one Occurrence (a one-off meeting has exactly one), and
rooms are reserved per occurrence through Booking rows. That single shape serves one-off
meetings, series with exceptions, and hybrid meetings across several units.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import uuid
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from meetings.validators import validate_single_line

if TYPE_CHECKING:
    from accounts.models import User


# --- Organisation ----------------------------------------------------------------------


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
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
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
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("vai trò"), max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(default=timezone.now)

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


# --- Rooms -----------------------------------------------------------------------------


class Equipment(models.Model):
    slug = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=100)

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
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="rooms")
    name = models.CharField(_("tên phòng"), max_length=200, validators=[validate_single_line])
    capacity = models.PositiveIntegerField(_("sức chứa"))
    location = models.CharField(_("tầng / vị trí"), max_length=200, blank=True)
    equipment = models.ManyToManyField(Equipment, blank=True, related_name="rooms")
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


# --- Meetings --------------------------------------------------------------------------


def _visibility_q(user: User, prefix: str = "") -> Q:
    """Which meetings `user` may see. `prefix` points at the meeting from another model."""
    from meetings.permissions import department_leader, unit_ids

    p = prefix
    if user.is_superuser:
        return Q()
    secretary_units = unit_ids(
        user, roles=[Membership.Role.SECRETARY, Membership.Role.UNIT_ADMIN]
    )
    # A draft is the organizers' work in progress: only those who may edit it see it
    # (permissions.can_edit_meeting), not its invitees nor leaders (D10).
    not_draft = ~Q(**{f"{p}status": Meeting.Status.DRAFT})
    confidential = Q(**{f"{p}sensitivity": Meeting.Sensitivity.CONFIDENTIAL})
    editors = Q(**{f"{p}created_by": user}) | (
        Q(**{f"{p}organizing_unit__in": secretary_units}) & ~confidential
    )
    if department_leader(user):
        return not_draft | editors
    units = unit_ids(user)
    leader_units = unit_ids(user, roles=[Membership.Role.LEADER])
    invited = Q(**{f"{p}attendees__user": user})
    own = Q(**{f"{p}chair": user}) | Q(**{f"{p}created_by": user})
    # Meetings a unit joins (its people invited) are visible to that unit's members,
    # as with a paper invitation sent to the unit.
    participating = Q(**{f"{p}organizing_unit__in": units}) | Q(
        **{f"{p}attendees__unit__in": units}
    )
    internal = Q(**{f"{p}sensitivity": Meeting.Sensitivity.INTERNAL})
    managed = Q(**{f"{p}organizing_unit__in": secretary_units + leader_units})
    return editors | (not_draft & (
        invited
        | own
        | (~confidential & ~internal & participating)
        | (internal & (managed | Q(**{f"{p}organizing_unit__in": units})))
    ))


def _visible_ids(user: User) -> models.QuerySet[Any]:
    """The ids of _visibility_q(user), as a UNION of one indexed lookup per rule.

    The same rules as _visibility_q (which stays the one statement of them, checked against
    this by tests/meetings/test_visibility_query.py); written as one OR over meetings LEFT JOIN
    attendees, PostgreSQL joins every attendee row of the database to every meeting (30-60 ms
    at 200,000 occurrences), where each rule alone is an index scan (~1 ms in all)."""
    from meetings.permissions import unit_ids

    units = unit_ids(user)
    secretary_units = unit_ids(user, roles=[Membership.Role.SECRETARY, Membership.Role.UNIT_ADMIN])
    S = Meeting.Sensitivity
    meetings = Meeting.objects.values("pk").order_by()
    # Drafts: only their editors (D10), so every rule but the editors' skips them.
    published = meetings.exclude(status=Meeting.Status.DRAFT)
    attendees = Attendee.objects.exclude(meeting__status=Meeting.Status.DRAFT).values("meeting_id").order_by()
    parts = [
        meetings.filter(created_by=user),  # editors: whoever booked it
        meetings.filter(organizing_unit__in=secretary_units).exclude(sensitivity=S.CONFIDENTIAL),  # editors
        attendees.filter(user=user),  # invited
        published.filter(chair=user),  # own
        published.exclude(sensitivity__in=[S.CONFIDENTIAL, S.INTERNAL]).filter(organizing_unit__in=units),
        attendees.filter(unit__in=units).exclude(meeting__sensitivity__in=[S.CONFIDENTIAL, S.INTERNAL]),
        published.filter(sensitivity=S.INTERNAL, organizing_unit__in=units),  # internal: the unit's people
    ]
    return parts[0].union(*parts[1:], all=True)


class MeetingQuerySet(models.QuerySet["Meeting"]):
    def visible_to(self, user: User) -> MeetingQuerySet:
        """Meetings `user` may see; see permissions.py for the rules in words."""
        if not user.is_authenticated:
            return self.none()
        from meetings.permissions import department_leader

        q = _visibility_q(user)
        if not q:
            return self.all()
        if department_leader(user):
            # Everything but other people's drafts: a plain filter, no union needed.
            return self.filter(q)
        return self.filter(pk__in=_visible_ids(user))

    def visible_listed(self, user: User) -> MeetingQuerySet:
        """visible_to(), with the rules' union run first on its own and its ids passed as a
        list: PostgreSQL then plans the caller's query (a week of sittings, a page of
        meetings) for the few hundred meetings a unit's people see, by index, instead of
        guessing the union's size and hashing every meeting and sitting of the window
        (25 ms → 3 ms at 208,000 sittings). One query more; leaders' and superusers'
        plain filters are kept as they are."""
        from meetings.permissions import department_leader

        if not user.is_authenticated or user.is_superuser or department_leader(user):
            return self.visible_to(user)
        ids = {row["pk"] for row in _visible_ids(user).order_by()}
        return self.filter(pk__in=sorted(ids))

    def active(self) -> MeetingQuerySet:
        return self.exclude(status__in=[Meeting.Status.CANCELLED, Meeting.Status.DRAFT])


class Meeting(models.Model):
    class Mode(models.TextChoices):
        IN_PERSON = "in_person", _("Trực tiếp")
        ONLINE = "online", _("Trực tuyến")
        HYBRID = "hybrid", _("Trực tiếp kết hợp trực tuyến")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Nháp")
        REQUESTED = "requested", _("Chờ duyệt phòng")
        SCHEDULED = "scheduled", _("Đã lên lịch")
        HELD = "held", _("Đã họp")
        CANCELLED = "cancelled", _("Đã hủy")

    class Sensitivity(models.TextChoices):
        NORMAL = "normal", _("Thông thường")
        INTERNAL = "internal", _("Nội bộ")
        CONFIDENTIAL = "confidential", _("Mật")

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    title = models.CharField(_("tiêu đề"), max_length=300, validators=[validate_single_line])
    agenda = models.TextField(_("nội dung / chương trình"), blank=True)
    organizing_unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="organized_meetings"
    )
    chair = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="chaired_meetings",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="created_meetings"
    )
    # Series master times: the first occurrence's DTSTART/DTEND.
    start = models.DateTimeField(_("bắt đầu"))
    end = models.DateTimeField(_("kết thúc"))
    rrule = models.CharField(_("quy tắc lặp (RRULE)"), max_length=500, blank=True)
    mode = models.CharField(_("hình thức"), max_length=20, choices=Mode.choices, default=Mode.IN_PERSON)
    status = models.CharField(_("trạng thái"), max_length=20, choices=Status.choices, default=Status.SCHEDULED)
    sensitivity = models.CharField(
        _("mức độ"), max_length=20, choices=Sensitivity.choices, default=Sensitivity.NORMAL
    )
    is_urgent = models.BooleanField(_("họp khẩn"), default=False)
    urgent_reason = models.TextField(_("lý do họp khẩn"), blank=True)
    # iCalendar SEQUENCE of the series master; bumped on every change attendees must see.
    sequence = models.PositiveIntegerField(default=0)
    # A "this and following" split keeps a pointer to the series it came from.
    split_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="splits"
    )
    online_provider = models.CharField(_("phòng họp trực tuyến"), max_length=20, blank=True)
    # What the secretary typed for providers without an API (link, dial-in, passcode);
    # validated by the provider (meetings.hooks.validate_online).
    online_details = models.JSONField(_("thông tin phòng trực tuyến"), default=dict, blank=True)
    cancel_reason = models.TextField(_("lý do hủy"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = MeetingQuerySet.as_manager()

    class Meta:
        verbose_name = _("cuộc họp")
        verbose_name_plural = _("cuộc họp")
        ordering = ["start"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=models.F("start")), name="meetings_meeting_end_after_start"),
        ]
        indexes = [
            # The meeting list filters by organizing unit and time.
            models.Index(fields=["organizing_unit", "start"], name="meetings_meeting_unit_start"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_recurring(self) -> bool:
        return bool(self.rrule)

    @property
    def is_online(self) -> bool:
        return self.mode in (self.Mode.ONLINE, self.Mode.HYBRID)

    @property
    def duration(self) -> timedelta:
        return self.end - self.start


class MeetingRoom(models.Model):
    """The rooms a meeting (every occurrence of a series) takes, with the people expected in each.

    Occurrences edited on their own may book other rooms; their Booking rows say which.
    """

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="room_choices")
    room = models.ForeignKey(Room, on_delete=models.PROTECT, related_name="+")
    expected_attendees = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("phòng của cuộc họp")
        verbose_name_plural = _("phòng của cuộc họp")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "room"], name="meetings_meetingroom_unique"),
        ]

    def __str__(self) -> str:
        return str(self.room)


class OccurrenceQuerySet(models.QuerySet["Occurrence"]):
    def overlapping(self, start: datetime, end: datetime) -> OccurrenceQuerySet:
        return self.filter(start__lt=end, end__gt=start)

    def active(self) -> OccurrenceQuerySet:
        return self.exclude(status=Occurrence.Status.CANCELLED)


class Occurrence(models.Model):
    """One sitting of a meeting. `recurrence_id` is its slot in the series (RECURRENCE-ID)."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Đã lên lịch")
        HELD = "held", _("Đã họp")
        CANCELLED = "cancelled", _("Đã hủy")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="occurrences")
    index = models.PositiveIntegerField(default=0)
    recurrence_id = models.DateTimeField()
    start = models.DateTimeField()
    end = models.DateTimeField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.SCHEDULED)
    # Edited on its own ("this occurrence"): a later edit of the whole series keeps its time and rooms.
    is_exception = models.BooleanField(default=False)
    # Cancelled on its own (EXDATE); stays cancelled when the series moves.
    cancelled_individually = models.BooleanField(default=False)
    # False once the series rule no longer produces this slot (series shortened or cut).
    in_series = models.BooleanField(default=True)
    sequence = models.PositiveIntegerField(default=0)
    actual_start = models.DateTimeField(null=True, blank=True)
    actual_end = models.DateTimeField(null=True, blank=True)

    objects = OccurrenceQuerySet.as_manager()

    class Meta:
        verbose_name = _("buổi họp")
        verbose_name_plural = _("buổi họp")
        ordering = ["start"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "recurrence_id"],
                condition=Q(in_series=True),
                name="meetings_occurrence_unique_slot",
            ),
            models.CheckConstraint(condition=Q(end__gt=models.F("start")), name="meetings_occurrence_end_after_start"),
        ]
        indexes = [
            # Calendar views and the busy-attendee check scan occurrences by time.
            models.Index(fields=["start", "end"], name="meetings_occ_time"),
            # A few meetings' sittings in a window (the calendar API for one unit's people, My
            # meetings): one index range per meeting instead of every sitting of the window.
            models.Index(fields=["meeting", "start"], name="meetings_occ_meeting_start"),
        ]

    def __str__(self) -> str:
        local = timezone.localtime(self.start)
        return f"{self.meeting.title} — {local:%d/%m/%Y %H:%M}"

    @property
    def is_cancelled(self) -> bool:
        return self.status == self.Status.CANCELLED


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

    occurrence = models.ForeignKey(Occurrence, on_delete=models.CASCADE, related_name="bookings")
    room = models.ForeignKey(Room, on_delete=models.PROTECT, related_name="bookings")
    start = models.DateTimeField()
    end = models.DateTimeField()
    # start/end widened by the room's setup and cleanup buffers.
    blocked_start = models.DateTimeField()
    blocked_end = models.DateTimeField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.CONFIRMED)
    expected_attendees = models.PositiveIntegerField(default=0)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

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

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendees")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="attendances",
    )
    email = models.EmailField()
    name = models.CharField(max_length=200, blank=True, validators=[validate_single_line])
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.REQUIRED)
    rsvp = models.CharField(max_length=20, choices=Rsvp.choices, default=Rsvp.NEEDS_ACTION)
    rsvp_comment = models.TextField(blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    delegated_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="delegates"
    )
    # The public half of the personal join link /j/<key>.<mac>. The other half is an HMAC of
    # the key under SECRET_KEY and is never stored, so the database (or a backup) alone
    # cannot open anyone's link (security review D18). Rotated when the attendee is removed.
    join_key = models.CharField(max_length=64, unique=True, default=secrets.token_urlsafe, editable=False)
    # Removed attendees are kept (they were sent a CANCEL); active ones are in the invitation.
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

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


# --- Audit trail and outbox ------------------------------------------------------------


class AuditEntry(models.Model):
    """Append-only record of every change: who, when, what, before and after."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    # No database foreign keys: deleting a user or a meeting must neither rewrite entries
    # (SET NULL) nor be refused by the append-only guard (D16). The actor's name and
    # e-mail are copied into the entry so it still says who, whatever happens to the user.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.DO_NOTHING,
        db_constraint=False, related_name="+",
    )
    actor_name = models.CharField(_("người thực hiện"), max_length=200, blank=True)
    actor_email = models.CharField(_("e-mail người thực hiện"), max_length=254, blank=True)
    action = models.CharField(max_length=60)
    object_type = models.CharField(max_length=60)
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(max_length=300, blank=True)
    meeting = models.ForeignKey(
        Meeting, null=True, blank=True, on_delete=models.DO_NOTHING, db_constraint=False,
        related_name="audit_entries",
    )
    # Where it came from (IP address) for logins and other security events.
    ip = models.GenericIPAddressField(null=True, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)

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

    topic = models.CharField(max_length=60)
    meeting = models.ForeignKey(
        Meeting, null=True, blank=True, on_delete=models.CASCADE, related_name="outbox"
    )
    payload = models.JSONField(default=dict)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    available_at = models.DateTimeField(default=timezone.now)
    locked_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    done_at = models.DateTimeField(null=True, blank=True)

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

