"""Shared parts of the named writes: inputs, validation, booking helpers."""


from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError
from django.utils import timezone
from django.utils.translation import gettext as _

from meetings import audit, recurrence, workdays
from meetings.booking import (
    BookingConflict,
    Clash,
    Planned,
    find_clashes,
    insert_bookings,
    insert_catches_clashes,
    is_overlap_violation,
)
from meetings.models import (
    Attendee,
    AuditEntry,
    Booking,
    Meeting,
    Occurrence,
    Room,
    Unit,
)
from meetings.permissions import can_book_for, can_manage_room

if TYPE_CHECKING:
    from accounts.models import User


class ActionError(Exception):
    """Invalid input or state, with a sentence for the user and the field it concerns."""

    def __init__(self, message: str, field: str | None = None, *, conflict: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.conflict = conflict


class Forbidden(Exception):
    pass


class Scope:
    OCCURRENCE = "occurrence"
    FOLLOWING = "following"
    ALL = "all"
    CHOICES = (OCCURRENCE, FOLLOWING, ALL)


@dataclass
class RoomChoice:
    room: Room
    expected: int | None = None


@dataclass
class AttendeeInput:
    email: str
    name: str = ""
    user: Any = None
    unit: Unit | None = None
    role: str = Attendee.Role.REQUIRED


@dataclass
class MeetingInput:
    title: str
    organizing_unit: Unit
    start: datetime
    end: datetime
    agenda: str = ""
    chair: Any = None
    rrule: str = ""
    mode: str = Meeting.Mode.IN_PERSON
    sensitivity: str = Meeting.Sensitivity.NORMAL
    is_urgent: bool = False
    urgent_reason: str = ""
    online_provider: str = ""
    online_details: dict[str, Any] = field(default_factory=dict)
    rooms: list[RoomChoice] = field(default_factory=list)
    attendees: list[AttendeeInput] = field(default_factory=list)
    draft: bool = False


# Fields a caller may change with update_meeting(scope="all"/"following").
SERIES_FIELDS = {
    "title", "agenda", "chair", "start", "end", "rrule", "mode", "sensitivity",
    "is_urgent", "urgent_reason", "online_provider", "online_details", "rooms", "attendees",
}
OCCURRENCE_FIELDS = {"start", "end", "rooms"}
# Changes attendees must be told about (a new SEQUENCE for the invitation).
NOTIFIABLE = {"title", "agenda", "chair", "start", "end", "rrule", "mode", "rooms", "attendees", "online_provider", "online_details", "sensitivity"}


# --- validation ------------------------------------------------------------------------


def check_times(start: datetime, end: datetime, now: datetime, *, allow_past: bool = False) -> None:
    for name, value in (("start", start), ("end", end)):
        if timezone.is_naive(value):
            raise ActionError(
                _("Thời gian phải kèm múi giờ (ví dụ 2026-12-01T08:00:00+07:00)."), name
            )
    if end <= start:
        raise ActionError(_("Giờ kết thúc phải sau giờ bắt đầu."), "end")
    if end - start > timedelta(hours=24):
        raise ActionError(_("Một buổi họp không được dài quá 24 giờ."), "end")
    if not allow_past and start < now:
        raise ActionError(_("Không thể đặt lịch họp vào thời điểm đã qua."), "start")


def check_urgency(first_start: datetime, is_urgent: bool, reason: str, now: datetime) -> None:
    """QĐ 45/2018: invitations go out N working days ahead unless the meeting is urgent."""
    if is_urgent and not reason.strip():
        raise ActionError(_("Họp khẩn phải ghi rõ lý do."), "urgent_reason")
    if not is_urgent and workdays.needs_urgent_flag(first_start, now):
        deadline = workdays.invitation_deadline(timezone.localtime(first_start).date())
        raise ActionError(
            _(
                "Giấy mời phải gửi trước ít nhất %(n)s ngày làm việc (hạn chót %(d)s). "
                "Đánh dấu họp khẩn và ghi lý do nếu cần họp sớm hơn."
            )
            % {"n": _notice_days(), "d": deadline.strftime("%d/%m/%Y")},
            "is_urgent",
        )


def _notice_days() -> int:
    from django.conf import settings

    return settings.QUORUM_MIN_NOTICE_WORKING_DAYS


def check_rooms(actor: User, unit: Unit, choices: list[RoomChoice], attendees: list[AttendeeInput], mode: str) -> list[RoomChoice]:
    """Rooms usable by `unit`, no duplicates, and big enough. Returns choices with counts."""
    seen: set[int] = set()
    for choice in choices:
        room = choice.room
        if room.pk in seen:
            raise ActionError(_("%(r)s được chọn hai lần.") % {"r": room.name}, "rooms")
        seen.add(room.pk)
        if not room.is_active or not room.unit.is_active:
            raise ActionError(_("%(r)s không còn sử dụng.") % {"r": room.name}, "rooms")
        if room.unit_id != unit.pk and not room.shared and not can_book_for(actor, room.unit):
            raise ActionError(
                _("%(r)s thuộc %(u)s, đơn vị này không cho đơn vị khác đặt.")
                % {"r": room.name, "u": room.unit.short_name},
                "rooms",
            )
    if mode == Meeting.Mode.IN_PERSON and not choices:
        raise ActionError(_("Cuộc họp trực tiếp cần ít nhất một phòng."), "rooms")
    counted = expected_per_room(choices, attendees, unit)
    for choice in counted:
        if choice.expected is not None and choice.expected > choice.room.capacity:
            raise ActionError(
                _("%(r)s chỉ chứa %(c)s người, dự kiến %(n)s người.")
                % {"r": choice.room.name, "c": choice.room.capacity, "n": choice.expected},
                "rooms",
            )
    return counted


def expected_per_room(choices: list[RoomChoice], attendees: list[AttendeeInput], unit: Unit) -> list[RoomChoice]:
    """People expected in each room: as given, else attendees by unit (each unit joins from
    its own room; those of units without a room go to the organizer's, or the first)."""
    if not choices:
        return []
    if all(c.expected is not None for c in choices):
        return choices
    counts = {c.room.pk: 0 for c in choices}
    by_unit = {c.room.unit_id: c.room.pk for c in choices}
    home = by_unit.get(unit.pk, choices[0].room.pk)
    for a in attendees:
        if a.role == Attendee.Role.OBSERVER and len(choices) > 1:
            continue
        unit_id = a.unit.pk if a.unit else None
        counts[by_unit.get(unit_id, home) if len(choices) > 1 else home] += 1
    return [RoomChoice(c.room, c.expected if c.expected is not None else counts[c.room.pk]) for c in choices]


def check_attendees(attendees: list[AttendeeInput]) -> None:
    seen: dict[str, int] = {}
    duplicates = []
    for a in attendees:
        key = a.email.strip().lower()
        if key in seen:
            duplicates.append(a.email)
        seen[key] = 1
    if duplicates:
        raise ActionError(
            _("Địa chỉ e-mail bị trùng trong danh sách mời: %(e)s.") % {"e": ", ".join(sorted(set(duplicates)))},
            "attendees",
        )


def check_skip(skip: Iterable[datetime], starts: list[datetime]) -> set[datetime]:
    wanted = set(skip)
    unknown = wanted - set(starts)
    if unknown:
        first = min(unknown)
        raise ActionError(
            _("Ngày cần bỏ qua %(d)s không thuộc chuỗi cuộc họp.")
            % {"d": timezone.localtime(first).strftime("%d/%m/%Y %H:%M")},
            "skip",
        )
    return wanted


def _starts(rrule: str, start: datetime) -> tuple[str, list[datetime]]:
    if not rrule:
        return "", [start]
    try:
        rule = recurrence.validate(rrule, start)
    except recurrence.RecurrenceError as exc:
        raise ActionError(str(exc), "rrule") from None
    return rule.text, rule.expand(start)


# --- booking helpers -------------------------------------------------------------------


def _plan(actor: User, occurrences: Iterable[Occurrence], choices: list[RoomChoice]) -> list[Planned]:
    return [
        Planned(
            key=occ.recurrence_id,
            start=occ.start,
            end=occ.end,
            room=c.room,
            expected=c.expected or 0,
            requested=c.room.requires_approval and not can_manage_room(actor, c.room),
            occurrence_id=occ.pk,
        )
        for occ in occurrences
        for c in choices
    ]


def _book(
    actor: User, meeting: Meeting, planned: list[Planned], now: datetime, entries: list[AuditEntry] | None = None
) -> list[Booking]:
    """Check and insert, and record each booking in the audit trail (appended to `entries`
    when given, for the caller to write in one go). Must run inside the caller's
    transaction (on SQLite that transaction holds the write lock from its start)."""
    clashes = find_clashes(planned, now=now, db=not insert_catches_clashes(planned))
    if clashes:
        raise BookingConflict(clashes)
    bookings = [
        Booking(
            occurrence_id=p.occurrence_id,
            room=p.room,
            start=p.start,
            end=p.end,
            blocked_start=p.blocked[0],
            blocked_end=p.blocked[1],
            status=Booking.Status.REQUESTED if p.requested else Booking.Status.CONFIRMED,
            expected_attendees=p.expected,
        )
        for p in planned
    ]
    created = insert_bookings(planned, bookings, now)
    if created:
        made = audit.entries_for(actor, "booking.created", created, meeting)
        if entries is None:
            audit.write(made)
        else:
            entries.extend(made)
    return created


def _release(actor: User | None, meeting: Meeting, occurrence_ids: Iterable[int]) -> int:
    """Give the rooms of these occurrences back (the rows stay, as 'released')."""
    ids = list(occurrence_ids)
    if not ids:
        return 0
    live = list(
        Booking.objects.filter(occurrence_id__in=ids)
        .filter(status__in=[Booking.Status.CONFIRMED, Booking.Status.REQUESTED])
        .values_list("pk", "status")
    )
    if not live:
        return 0
    Booking.objects.filter(pk__in=[pk for pk, _status in live]).update(status=Booking.Status.RELEASED)
    AuditEntry.objects.bulk_create(
        AuditEntry(
            actor=actor if actor is not None and getattr(actor, "pk", None) else None,
            action="booking.released", object_type="booking", object_id=str(pk),
            meeting=meeting, before={"status": status}, after={"status": Booking.Status.RELEASED},
        )
        for pk, status in live
    )
    return len(live)


def _raise_on_race(planned: list[Planned], exc: IntegrityError) -> None:
    """A concurrent transaction won the room between our check and our insert (bookings
    are inserted by insert_bookings, which already turns that into BookingConflict)."""
    if not is_overlap_violation(exc) or not planned:
        raise exc
    clashes = find_clashes(planned)
    if not clashes:
        p = planned[0]
        clashes = [Clash(p.key, p.room, _("vừa được đặt bởi một cuộc họp khác"))]
    raise BookingConflict(clashes) from None


def _refresh_status(meeting: Meeting) -> None:
    if meeting.status in (Meeting.Status.CANCELLED, Meeting.Status.DRAFT, Meeting.Status.HELD):
        return
    waiting = Booking.objects.filter(
        occurrence__meeting=meeting, status=Booking.Status.REQUESTED
    ).exists()
    meeting.status = Meeting.Status.REQUESTED if waiting else Meeting.Status.SCHEDULED


def _frozen(occ: Occurrence, now: datetime) -> bool:
    """Occurrences that have ended are history: series edits do not move them."""
    return occ.end <= now or occ.status == Occurrence.Status.HELD


# --- attendees -------------------------------------------------------------------------


def _resolve_attendees(items: list[AttendeeInput], chair: Any) -> list[AttendeeInput]:
    from accounts.models import User
    from meetings.models import Membership

    check_attendees(items)
    items = list(items)
    if chair is not None and chair.email.lower() not in {a.email.lower() for a in items}:
        items.insert(0, AttendeeInput(email=chair.email, name=chair.full_name, user=chair, role=Attendee.Role.CHAIR))
    if not items:
        return []  # no lookups: compiling even an empty IN query costs milliseconds
    emails = [a.email.strip().lower() for a in items]
    users = {u.email.lower(): u for u in User.objects.filter(email__in=emails)}
    first_unit: dict[int, Unit] = {}
    if users:
        for m in Membership.objects.filter(user__in=list(users.values())).select_related("unit").order_by("id"):
            first_unit.setdefault(m.user_id, m.unit)
    resolved = []
    for a in items:
        email = a.email.strip().lower()
        user = a.user or users.get(email)
        unit = a.unit or (first_unit.get(user.pk) if user else None)
        role = Attendee.Role.CHAIR if chair is not None and user is not None and user.pk == chair.pk else a.role
        resolved.append(AttendeeInput(email=email, name=a.name or (user.full_name if user else ""), user=user, unit=unit, role=role))
    return resolved


def _sync_attendees(meeting: Meeting, items: list[AttendeeInput]) -> tuple[list[int], list[int]]:
    """Make the active attendees equal `items`. Returns (added ids, removed ids)."""
    existing = {a.email: a for a in meeting.attendees.all()}
    wanted = {a.email: a for a in items}
    added, removed = [], []
    for email, a in wanted.items():
        row = existing.get(email)
        if row is None:
            row = Attendee.objects.create(
                meeting=meeting, email=email, name=a.name, user=a.user, unit=a.unit, role=a.role
            )
            added.append(row.pk)
            continue
        changed = []
        for attr, value in (("name", a.name), ("user", a.user), ("unit", a.unit), ("role", a.role)):
            if getattr(row, attr) != value:
                setattr(row, attr, value)
                changed.append(attr)
        if not row.is_active:
            row.is_active = True
            row.rsvp = Attendee.Rsvp.NEEDS_ACTION
            changed += ["is_active", "rsvp"]
            added.append(row.pk)
        if changed:
            row.save(update_fields=changed)
    for email, row in existing.items():
        if email not in wanted and row.is_active:
            row.is_active = False
            row.save(update_fields=["is_active"])
            removed.append(row.pk)
    return added, removed


