"""Meetings, who may see them, the rooms they take, and their occurrences (sittings)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from meetings.models.organisation import Membership, Unit
from meetings.models.rooms import Room
from meetings.validators import validate_single_line

if TYPE_CHECKING:
    from accounts.models import User


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
    from meetings.models.attendees import Attendee
    from meetings.permissions import unit_ids

    units = unit_ids(user)
    secretary_units = unit_ids(user, roles=[Membership.Role.SECRETARY, Membership.Role.UNIT_ADMIN])
    S = Meeting.Sensitivity
    meetings = Meeting.objects.values("pk").order_by()
    # Drafts: only their editors (D10), so every rule but the editors' skips them.
    published = meetings.exclude(status=Meeting.Status.DRAFT)
    # Meetings by their attendee rows: the rows' meeting ids first, as an id array (InIds),
    # then those meetings by primary key. Joined instead, PostgreSQL hashed every meeting
    # of the database for a unit's attendee rows (4 ms of a 7 ms list at 8,000 meetings).
    attending = Attendee.objects.values("meeting_id").order_by()
    parts = [
        meetings.filter(created_by=user),  # editors: whoever booked it
        meetings.filter(organizing_unit__in=secretary_units).exclude(sensitivity=S.CONFIDENTIAL),  # editors
        published.filter(InIds(models.F("pk"), attending.filter(user=user))),  # invited
        published.filter(chair=user),  # own
        published.exclude(sensitivity__in=[S.CONFIDENTIAL, S.INTERNAL]).filter(organizing_unit__in=units),
        published.exclude(sensitivity__in=[S.CONFIDENTIAL, S.INTERNAL]).filter(
            InIds(models.F("pk"), attending.filter(unit__in=units))),
        published.filter(sensitivity=S.INTERNAL, organizing_unit__in=units),  # internal: the unit's people
    ]
    return parts[0].union(*parts[1:], all=True)


class InIds(models.Expression):
    """`lhs IN (q1) OR lhs IN (q2) …`, written on PostgreSQL as `lhs = ANY(ARRAY(q1) || …)`.

    ARRAY(…) makes each subquery an init plan run once, whose result the planner treats as a
    short list of values (as it would a literal IN list): it plans the outer query (a page of
    meetings, a week of sittings) as index lookups of those ids instead of guessing a
    union's size and hashing every meeting and sitting. As a plain `IN (union)` that guess
    cost 25 ms at 208,000 sittings; fetching the ids first and sending them back as a
    literal list cost a round trip and ~3 ms of Python for a unit's ~3,000 union rows.
    Several querysets rather than their UNION: SQLite allows no LIMIT in a UNION's member,
    and Django cannot nest a UNION in a subquery of another one (My meetings' "today or this
    page", where the page is a sliced queryset)."""

    conditional = True
    output_field = models.BooleanField()

    def __init__(self, lhs: Any, *querysets: Any) -> None:
        super().__init__()
        self.lhs = lhs
        # A slice keeps its order (a page: ORDER BY … LIMIT); otherwise order is noise.
        self.subqueries = [models.Subquery(q if q.query.is_sliced else q.order_by()) for q in querysets]

    def get_source_expressions(self) -> list[Any]:
        return [self.lhs, *self.subqueries]

    def set_source_expressions(self, exprs: list[Any]) -> None:
        self.lhs, *self.subqueries = exprs

    def _compiled(self, compiler: Any) -> tuple[str, list[Any], list[tuple[str, list[Any]]]]:
        lhs, lhs_params = compiler.compile(self.lhs)
        return lhs, list(lhs_params), [compiler.compile(q) for q in self.subqueries]

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, lhs_params, subs = self._compiled(compiler)
        params: list[Any] = []
        for _sql, sub_params in subs:
            params += [*lhs_params, *sub_params]
        return "(" + " OR ".join(f"{lhs} IN {sql}" for sql, _p in subs) + ")", params

    def as_postgresql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, lhs_params, subs = self._compiled(compiler)
        arrays = " || ".join(f"ARRAY{sql}" for sql, _p in subs)
        return f"{lhs} = ANY({arrays})", [*lhs_params, *(p for _sql, sub_params in subs for p in sub_params)]


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
        """visible_to() for the read lists: the rules' union as an id array (see InIds), so
        that PostgreSQL plans the list for the few hundred meetings a unit's people see.
        Leaders' and superusers' plain filters are kept as they are."""
        from meetings.permissions import department_leader

        if not user.is_authenticated or user.is_superuser or department_leader(user):
            return self.visible_to(user)
        return self.filter(InIds(models.F("pk"), _visible_ids(user)))

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

    uid = models.UUIDField(_("mã UID"), default=uuid.uuid4, unique=True, editable=False)
    title = models.CharField(_("tiêu đề"), max_length=300, validators=[validate_single_line])
    agenda = models.TextField(_("nội dung / chương trình"), blank=True)
    organizing_unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="organized_meetings", verbose_name=_("đơn vị tổ chức")
    )
    chair = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="chaired_meetings",
        verbose_name=_("chủ trì"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="created_meetings", verbose_name=_("người tạo")
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
    sequence = models.PositiveIntegerField(_("số lần cập nhật (SEQUENCE)"), default=0)
    # A "this and following" split keeps a pointer to the series it came from.
    split_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="splits", verbose_name=_("tách từ chuỗi")
    )
    online_provider = models.CharField(_("phòng họp trực tuyến"), max_length=20, blank=True)
    # What the secretary typed for providers without an API (link, dial-in, passcode);
    # validated by the provider (meetings.hooks.validate_online).
    online_details = models.JSONField(_("thông tin phòng trực tuyến"), default=dict, blank=True)
    cancel_reason = models.TextField(_("lý do hủy"), blank=True)
    created_at = models.DateTimeField(_("tạo lúc"), default=timezone.now)
    updated_at = models.DateTimeField(_("cập nhật lúc"), auto_now=True)

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

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="room_choices", verbose_name=_("cuộc họp"))
    room = models.ForeignKey(Room, on_delete=models.PROTECT, related_name="+", verbose_name=_("phòng họp"))
    expected_attendees = models.PositiveIntegerField(_("số người dự kiến"), default=0)

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

    # Indexed by (meeting, start) below: an index of its own would only be chosen where the
    # pair serves better (a page of sittings read every meeting's whole series).
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="occurrences", verbose_name=_("cuộc họp"),
                                db_index=False)
    index = models.PositiveIntegerField(_("thứ tự"), default=0)
    recurrence_id = models.DateTimeField(_("vị trí trong chuỗi (RECURRENCE-ID)"))
    start = models.DateTimeField(_("bắt đầu"))
    end = models.DateTimeField(_("kết thúc"))
    status = models.CharField(_("trạng thái"), max_length=20, choices=Status.choices, default=Status.SCHEDULED)
    # Edited on its own ("this occurrence"): a later edit of the whole series keeps its time and rooms.
    is_exception = models.BooleanField(_("sửa riêng buổi này"), default=False)
    # Cancelled on its own (EXDATE); stays cancelled when the series moves.
    cancelled_individually = models.BooleanField(_("hủy riêng buổi này"), default=False)
    # False once the series rule no longer produces this slot (series shortened or cut).
    in_series = models.BooleanField(_("thuộc chuỗi"), default=True)
    sequence = models.PositiveIntegerField(_("số thứ tự cập nhật (SEQUENCE)"), default=0)
    actual_start = models.DateTimeField(_("thực tế bắt đầu"), null=True, blank=True)
    actual_end = models.DateTimeField(_("thực tế kết thúc"), null=True, blank=True)

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
