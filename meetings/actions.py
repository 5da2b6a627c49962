"""The named writes of Quorum. Each one validates, locks what it changes, books rooms
through the engine, records the audit trail and queues side effects in the outbox, all
in one transaction. Views and commands call these; nothing else writes meetings.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from meetings import audit, hooks, outbox, recurrence, workdays
from meetings.booking import (
    BookingConflict,
    Clash,
    Planned,
    find_clashes,
    insert,
    insert_bookings,
    insert_catches_clashes,
    is_overlap_violation,
)
from meetings.models import (
    Attendee,
    AuditEntry,
    Booking,
    Meeting,
    MeetingRoom,
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
            raise ActionError(_("Phòng %(r)s được chọn hai lần.") % {"r": room.name}, "rooms")
        seen.add(room.pk)
        if not room.is_active or not room.unit.is_active:
            raise ActionError(_("Phòng %(r)s không còn sử dụng.") % {"r": room.name}, "rooms")
        if room.unit_id != unit.pk and not room.shared and not can_book_for(actor, room.unit):
            raise ActionError(
                _("Phòng %(r)s thuộc %(u)s, đơn vị này không cho đơn vị khác đặt.")
                % {"r": room.name, "u": room.unit.short_name},
                "rooms",
            )
    if mode == Meeting.Mode.IN_PERSON and not choices:
        raise ActionError(_("Cuộc họp trực tiếp cần ít nhất một phòng."), "rooms")
    counted = expected_per_room(choices, attendees, unit)
    for choice in counted:
        if choice.expected is not None and choice.expected > choice.room.capacity:
            raise ActionError(
                _("Phòng %(r)s chỉ chứa %(c)s người, dự kiến %(n)s người.")
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


# --- create ----------------------------------------------------------------------------


def create_meeting(
    actor: User, data: MeetingInput, skip: Iterable[datetime] = (), *, now: datetime | None = None
) -> Meeting:
    """Create a meeting (or a series) and book its rooms, all or nothing.

    Raises ActionError (400), Forbidden (403) or BookingConflict (409, listing every
    occurrence and room that clashes; pass those occurrence starts in `skip` to book the rest).
    `now` is for tests and imports (defaults to the clock).
    """
    now = now or timezone.now()
    if not can_book_for(actor, data.organizing_unit):
        raise Forbidden(_("Bạn không phải thư ký của %(u)s.") % {"u": data.organizing_unit.short_name})
    if not data.title.strip():
        raise ActionError(_("Cuộc họp cần có tiêu đề."), "title")
    check_times(data.start, data.end, now)
    rule_text, starts = _starts(data.rrule, data.start)
    skipped = check_skip(skip, starts)
    active_starts = [s for s in starts if s not in skipped]
    if not active_starts:
        raise ActionError(_("Mọi buổi họp của chuỗi đều bị bỏ qua."), "skip")
    check_urgency(active_starts[0], data.is_urgent, data.urgent_reason, now)
    attendees = _resolve_attendees(data.attendees, data.chair)
    choices = check_rooms(actor, data.organizing_unit, data.rooms, attendees, data.mode)
    duration = data.end - data.start
    provider = data.online_provider or (data.organizing_unit.default_online_provider if data.mode != Meeting.Mode.IN_PERSON else "")
    details = hooks.validate_online(provider, data.online_details, data) if data.mode != Meeting.Mode.IN_PERSON else {}

    booking_now = not data.draft
    # The status is known before anything is written: a room needing approval leaves the
    # meeting "requested" (what _refresh_status would find afterwards), so no UPDATE later.
    waiting = booking_now and any(c.room.requires_approval and not can_manage_room(actor, c.room) for c in choices)
    status = Meeting.Status.DRAFT if data.draft else (Meeting.Status.REQUESTED if waiting else Meeting.Status.SCHEDULED)
    meeting = Meeting(
        title=data.title.strip(),
        agenda=data.agenda,
        organizing_unit=data.organizing_unit,
        chair=data.chair,
        created_by=actor,
        start=data.start,
        end=data.end,
        rrule=rule_text,
        mode=data.mode,
        sensitivity=data.sensitivity,
        is_urgent=data.is_urgent,
        urgent_reason=data.urgent_reason.strip() if data.is_urgent else "",
        online_provider=provider,
        online_details=details,
        status=status,
    )
    planned: list[Planned] = []
    try:
        with transaction.atomic():
            # Like bulk_create, no model signals: meeting changes are announced through the outbox.
            insert([meeting])
            occurrences = insert([
                Occurrence(
                    meeting=meeting,
                    index=i,
                    recurrence_id=s,
                    start=s,
                    end=s + duration,
                    status=Occurrence.Status.CANCELLED if s in skipped else Occurrence.Status.SCHEDULED,
                    cancelled_individually=s in skipped,
                )
                for i, s in enumerate(starts)
            ])
            insert([MeetingRoom(meeting=meeting, room=c.room, expected_attendees=c.expected or 0) for c in choices])
            # A new meeting has no attendee rows yet: insert, nothing to reconcile.
            insert([Attendee(meeting=meeting, email=a.email, name=a.name, user=a.user, unit=a.unit, role=a.role)
                    for a in attendees])
            entries = [audit.entry(actor, "meeting.created", meeting, None, audit.snapshot(meeting), meeting)]
            if booking_now:
                planned = _plan(actor, [o for o in occurrences if not o.is_cancelled], choices)
                _book(actor, meeting, planned, now, entries)
            audit.write(entries)  # one INSERT for the meeting's and its bookings' entries
            if booking_now:
                outbox.emit(meeting, "created", occurrence_ids=[o.pk for o in occurrences])
    except IntegrityError as exc:
        _raise_on_race(planned, exc)
    return meeting


def publish_meeting(
    actor: User, meeting: Meeting, skip: Iterable[datetime] = (), *, now: datetime | None = None
) -> Meeting:
    """A draft becomes a real meeting: rooms are booked and invitations go out."""
    if meeting.status != Meeting.Status.DRAFT:
        raise ActionError(_("Chỉ cuộc họp nháp mới cần gửi đi."), "status", conflict=True)
    now = now or timezone.now()
    planned: list[Planned] = []
    try:
        with transaction.atomic():
            meeting = Meeting.objects.select_for_update().select_related("organizing_unit").get(pk=meeting.pk)
            occurrences = list(meeting.occurrences.filter(in_series=True).order_by("index"))
            skipped = check_skip(skip, [o.recurrence_id for o in occurrences])
            for occ in occurrences:
                if occ.recurrence_id in skipped:
                    occ.status, occ.cancelled_individually = Occurrence.Status.CANCELLED, True
                    occ.save(update_fields=["status", "cancelled_individually"])
            active = [o for o in occurrences if not o.is_cancelled]
            if not active:
                raise ActionError(_("Mọi buổi họp của chuỗi đều bị bỏ qua."), "skip")
            check_times(active[0].start, active[0].end, now)
            check_urgency(active[0].start, meeting.is_urgent, meeting.urgent_reason, now)
            choices = [RoomChoice(mr.room, mr.expected_attendees) for mr in meeting.room_choices.select_related("room__unit")]
            planned = _plan(actor, active, choices)
            _book(actor, meeting, planned, now)
            meeting.status = Meeting.Status.SCHEDULED
            _refresh_status(meeting)
            meeting.save(update_fields=["status"])
            audit.record(actor, "meeting.published", meeting, {"status": "draft"}, {"status": meeting.status}, meeting)
            outbox.emit(meeting, "created", occurrence_ids=[o.pk for o in occurrences])
    except IntegrityError as exc:
        _raise_on_race(planned, exc)
    return meeting


# --- update ----------------------------------------------------------------------------


def update_meeting(
    actor: User,
    meeting: Meeting,
    changes: dict[str, Any],
    *,
    scope: str = Scope.ALL,
    occurrence: Occurrence | None = None,
    skip: Iterable[datetime] = (),
    now: datetime | None = None,
) -> Meeting:
    """Change a meeting, one occurrence of it, or this and the following occurrences.

    Occurrences edited on their own keep their edits when the series is changed later,
    and occurrences cancelled on their own stay cancelled.
    """
    if scope not in Scope.CHOICES:
        raise ActionError(_("Phạm vi phải là occurrence, following hoặc all."), "scope")
    if meeting.status == Meeting.Status.CANCELLED:
        raise ActionError(_("Cuộc họp đã bị hủy, không thể sửa."), conflict=True)
    if scope != Scope.ALL:
        if not meeting.is_recurring:
            raise ActionError(_("Cuộc họp không lặp lại nên không có phạm vi 'một buổi' hay 'các buổi sau'."), "scope")
        if occurrence is None:
            raise ActionError(_("Hãy chọn buổi họp (occurrence) cần sửa."), "occurrence")
    unknown = set(changes) - (OCCURRENCE_FIELDS if scope == Scope.OCCURRENCE else SERIES_FIELDS)
    if unknown:
        raise ActionError(
            _("Không sửa được các trường sau với phạm vi này: %(f)s.") % {"f": ", ".join(sorted(unknown))},
            sorted(unknown)[0],
        )
    if scope == Scope.OCCURRENCE:
        assert occurrence is not None
        return _update_occurrence(actor, meeting, occurrence, changes, now)
    if scope == Scope.FOLLOWING and occurrence is not None and occurrence.index > 0:
        return _split_and_update(actor, meeting, occurrence, changes, skip, now)
    return _update_series(actor, meeting, changes, skip, now)


def _current_choices(meeting: Meeting) -> list[RoomChoice]:
    return [RoomChoice(mr.room, mr.expected_attendees) for mr in meeting.room_choices.select_related("room__unit")]


def _update_series(
    actor: User, meeting: Meeting, changes: dict[str, Any], skip: Iterable[datetime], now: datetime | None
) -> Meeting:
    now = now or timezone.now()
    planned: list[Planned] = []
    try:
        with transaction.atomic():
            # The lock serialises edits of one meeting (two secretaries saving at once).
            meeting = Meeting.objects.select_for_update().select_related("organizing_unit").get(pk=meeting.pk)
            planned, changed = _apply_series_changes(actor, meeting, changes, skip, now)
            if changed:
                outbox.emit(meeting, "updated", changed_fields=sorted(changed - {"_added", "_removed"}),
                            added_attendee_ids=changes.get("_added_ids", []),
                            removed_attendee_ids=changes.get("_removed_ids", []))
    except IntegrityError as exc:
        _raise_on_race(planned, exc)
    return meeting


def _apply_series_changes(
    actor: User, meeting: Meeting, changes: dict[str, Any], skip: Iterable[datetime], now: datetime
) -> tuple[list[Planned], set[str]]:
    before = audit.snapshot(meeting)
    changed: set[str] = set()
    for name in ("title", "agenda", "chair", "mode", "sensitivity", "is_urgent", "urgent_reason", "online_provider", "online_details"):
        if name in changes and getattr(meeting, name) != changes[name]:
            setattr(meeting, name, changes[name].strip() if isinstance(changes[name], str) else changes[name])
            changed.add(name)
    if {"mode", "online_provider", "online_details"} & changed:
        if meeting.mode == Meeting.Mode.IN_PERSON:
            meeting.online_provider, meeting.online_details = "", {}
        else:
            meeting.online_details = hooks.validate_online(meeting.online_provider, meeting.online_details, meeting)
    if not meeting.title:
        raise ActionError(_("Cuộc họp cần có tiêu đề."), "title")
    if meeting.is_urgent and not meeting.urgent_reason.strip():
        raise ActionError(_("Họp khẩn phải ghi rõ lý do."), "urgent_reason")

    new_start = changes.get("start", meeting.start)
    new_end = changes.get("end", meeting.end)
    if "end" not in changes and "start" in changes:
        new_end = new_start + meeting.duration
    new_rrule = changes.get("rrule", meeting.rrule) if meeting.is_recurring or "rrule" in changes else ""
    if "rrule" not in changes and new_rrule and new_start != meeting.start:
        # Moving a series by N hours/days moves its UNTIL too, or the last meeting falls off.
        new_rrule = recurrence.shift_until(new_rrule, new_start - meeting.start)
    timing = new_start != meeting.start or new_end != meeting.end or recurrence.normalise(new_rrule or "") != meeting.rrule

    attendee_items = None
    if "attendees" in changes or "chair" in changed:
        items = changes.get("attendees")
        if items is None:
            items = [AttendeeInput(email=a.email, name=a.name, user=a.user, unit=a.unit, role=a.role if a.role != Attendee.Role.CHAIR else Attendee.Role.REQUIRED)
                     for a in meeting.attendees.filter(is_active=True).select_related("user", "unit")]
        attendee_items = _resolve_attendees(items, meeting.chair)
    current = _current_choices(meeting)
    rooms_changed = False
    choices = current
    if "rooms" in changes:
        people = attendee_items or [AttendeeInput(email=a.email, unit=a.unit, role=a.role) for a in meeting.attendees.filter(is_active=True).select_related("unit")]
        choices = check_rooms(actor, meeting.organizing_unit, changes["rooms"], people, meeting.mode)
        rooms_changed = sorted((c.room.pk, c.expected) for c in choices) != sorted((c.room.pk, c.expected) for c in current)
    elif "mode" in changed and meeting.mode == Meeting.Mode.IN_PERSON and not current:
        raise ActionError(_("Cuộc họp trực tiếp cần ít nhất một phòng."), "rooms")
    elif attendee_items is not None and current:
        # New people must still fit the rooms already booked.
        recount = expected_per_room([RoomChoice(c.room) for c in current], attendee_items, meeting.organizing_unit)
        for choice, counted in zip(current, recount, strict=True):
            people = max(choice.expected or 0, counted.expected or 0)
            if people > choice.room.capacity:
                raise ActionError(
                    _("Phòng %(r)s chỉ chứa %(c)s người, dự kiến %(n)s người.")
                    % {"r": choice.room.name, "c": choice.room.capacity, "n": people},
                    "rooms",
                )

    planned: list[Planned] = []
    if timing or rooms_changed or skip:
        check_times(new_start, new_end, now, allow_past=True)
        rule_text, starts = _starts(new_rrule, new_start)
        planned = _replan(actor, meeting, new_start, new_end, rule_text, starts, choices, skip, now)
        if timing:
            for name, value in (("start", new_start), ("end", new_end), ("rrule", rule_text)):
                if getattr(meeting, name) != value:
                    setattr(meeting, name, value)
                    changed.add(name)
        if rooms_changed:
            MeetingRoom.objects.filter(meeting=meeting).delete()
            MeetingRoom.objects.bulk_create(MeetingRoom(meeting=meeting, room=c.room, expected_attendees=c.expected or 0) for c in choices)
            changed.add("rooms")
        if skip:
            changed.add("skip")
    if attendee_items is not None:
        added, removed = _sync_attendees(meeting, attendee_items)
        if added or removed:
            changed.add("attendees")
            changes["_added_ids"], changes["_removed_ids"] = added, removed
    if changed & NOTIFIABLE or "skip" in changed:
        meeting.sequence += 1
    _refresh_status(meeting)
    meeting.save()
    after = audit.snapshot(meeting)
    if changed:
        audit.record(actor, "meeting.updated", meeting, before, after, meeting)
    return planned, changed


def _replan(
    actor: User,
    meeting: Meeting,
    new_start: datetime,
    new_end: datetime,
    rule_text: str,
    starts: list[datetime],
    choices: list[RoomChoice],
    skip: Iterable[datetime],
    now: datetime,
) -> list[Planned]:
    """Map the series onto its new slots by position, keep exceptions, rebook rooms."""
    duration = new_end - new_start
    skipped = check_skip(skip, starts)
    occs = list(meeting.occurrences.filter(in_series=True).order_by("index"))
    live = [o for o in occs if not _frozen(o, now)]
    # Release the bookings we are about to redo (non-exception, future occurrences).
    _release(actor, meeting, [o.pk for o in live if not o.is_exception])
    # Two phases so that shifting slots never collides with the unique (meeting, slot).
    original_slot = {o.pk: o.recurrence_id for o in occs}
    parking = datetime(1900, 1, 1, tzinfo=timezone.get_default_timezone())
    for o in occs:
        o.recurrence_id = parking + timedelta(minutes=o.index)
    Occurrence.objects.bulk_update(occs, ["recurrence_id"])

    to_book: list[Occurrence] = []
    kept: list[Occurrence] = []
    for i, slot in enumerate(starts):
        occ = occs[i] if i < len(occs) else Occurrence(meeting=meeting, index=i)
        occ.recurrence_id = slot
        if occ.pk and _frozen(occ, now):
            if occ.start != slot or occ.end != slot + duration:
                occ.is_exception = True
        elif not occ.is_exception:
            occ.start, occ.end = slot, slot + duration
            if slot in skipped and not occ.is_cancelled:
                occ.status, occ.cancelled_individually = Occurrence.Status.CANCELLED, True
            if not occ.is_cancelled:
                if occ.start < now:
                    raise ActionError(_("Buổi họp %(d)s sẽ rơi vào thời điểm đã qua.") % {"d": timezone.localtime(occ.start).strftime("%d/%m/%Y %H:%M")}, "start")
                to_book.append(occ)
        elif slot in skipped and not occ.is_cancelled:
            occ.status, occ.cancelled_individually = Occurrence.Status.CANCELLED, True
            _release(actor, meeting, [occ.pk])
        kept.append(occ)
    dropped = occs[len(starts):]
    for occ in dropped:
        occ.in_series = False
        occ.recurrence_id = original_slot[occ.pk]  # out of the series, it keeps its own slot
        if not _frozen(occ, now):
            occ.status = Occurrence.Status.CANCELLED
    _release(actor, meeting, [o.pk for o in dropped if not _frozen(o, now)])
    existing = [o for o in kept if o.pk] + dropped
    Occurrence.objects.bulk_update(existing, ["recurrence_id", "start", "end", "status", "cancelled_individually", "is_exception", "in_series"])
    new = [o for o in kept if not o.pk]
    if new:
        Occurrence.objects.bulk_create(new)
        if not new[0].pk:
            by_index = {o.index: o.pk for o in meeting.occurrences.filter(index__in=[n.index for n in new], in_series=True)}
            for n in new:
                n.pk = by_index[n.index]
    if to_book:
        check_urgency(min(o.start for o in to_book), meeting.is_urgent, meeting.urgent_reason, now)
    planned = _plan(actor, to_book, choices)
    _book(actor, meeting, planned, now)
    return planned


def _update_occurrence(
    actor: User, meeting: Meeting, occurrence: Occurrence, changes: dict[str, Any], now: datetime | None
) -> Meeting:
    now = now or timezone.now()
    planned: list[Planned] = []
    try:
        with transaction.atomic():
            meeting = Meeting.objects.select_for_update().select_related("organizing_unit").get(pk=meeting.pk)
            occ = meeting.occurrences.select_for_update().get(pk=occurrence.pk)
            if occ.is_cancelled:
                raise ActionError(_("Buổi họp này đã bị hủy."), "occurrence", conflict=True)
            if _frozen(occ, now):
                raise ActionError(_("Buổi họp đã diễn ra, không thể dời."), "occurrence", conflict=True)
            before = audit.snapshot(occ)
            start = changes.get("start", occ.start)
            end = changes.get("end", occ.end if "start" not in changes else start + (occ.end - occ.start))
            check_times(start, end, now)
            current = [
                RoomChoice(b.room, b.expected_attendees)
                for b in occ.bookings.filter(status__in=[Booking.Status.CONFIRMED, Booking.Status.REQUESTED]).select_related("room__unit")
            ]
            choices = current
            if "rooms" in changes:
                people = [AttendeeInput(email=a.email, unit=a.unit, role=a.role) for a in meeting.attendees.filter(is_active=True).select_related("unit")]
                choices = check_rooms(actor, meeting.organizing_unit, changes["rooms"], people, meeting.mode)
            _release(actor, meeting, [occ.pk])
            occ.start, occ.end = start, end
            occ.is_exception = True
            occ.sequence += 1
            occ.save(update_fields=["start", "end", "is_exception", "sequence"])
            planned = _plan(actor, [occ], choices)
            _book(actor, meeting, planned, now)
            _refresh_status(meeting)
            meeting.save(update_fields=["status", "updated_at"])
            audit.record(actor, "occurrence.updated", occ, before, audit.snapshot(occ), meeting)
            outbox.emit(meeting, "occurrence_updated", occurrence_ids=[occ.pk], changed_fields=sorted(changes))
    except IntegrityError as exc:
        _raise_on_race(planned, exc)
    return meeting


def _split_and_update(
    actor: User, meeting: Meeting, occurrence: Occurrence, changes: dict[str, Any],
    skip: Iterable[datetime], now: datetime | None,
) -> Meeting:
    """'This and following': the series ends before `occurrence`, a new series (new UID)
    carries it and the rest, with their exceptions, and takes the changes."""
    now = now or timezone.now()
    planned: list[Planned] = []
    try:
        with transaction.atomic():
            old = Meeting.objects.select_for_update().select_related("organizing_unit").get(pk=meeting.pk)
            occ = old.occurrences.get(pk=occurrence.pk)
            tail = list(old.occurrences.filter(in_series=True, index__gte=occ.index).order_by("index"))
            previous = old.occurrences.filter(in_series=True, index=occ.index - 1).first()
            if previous is None:
                raise ActionError(_("Không tìm thấy buổi họp liền trước để tách chuỗi."), "occurrence")
            before_old = audit.snapshot(old)
            new = Meeting.objects.get(pk=old.pk)
            new.pk = None
            new.id = None
            new.uid = uuid.uuid4()
            new.split_from = old
            new.start = occ.recurrence_id
            new.end = occ.recurrence_id + old.duration
            new.rrule = recurrence.with_count(old.rrule, len(tail))
            new.sequence = 0
            new.created_by = actor
            new.created_at = now
            new.save()
            MeetingRoom.objects.bulk_create(
                MeetingRoom(meeting=new, room_id=mr.room_id, expected_attendees=mr.expected_attendees)
                for mr in old.room_choices.all()
            )
            for a in old.attendees.filter(is_active=True):
                Attendee.objects.create(
                    meeting=new, email=a.email, name=a.name, user=a.user, unit=a.unit, role=a.role,
                    rsvp=a.rsvp, rsvp_comment=a.rsvp_comment, responded_at=a.responded_at,
                )
            for o in tail:
                o.meeting = new
                o.index -= occ.index
            Occurrence.objects.bulk_update(tail, ["meeting", "index"])
            old.rrule = recurrence.with_until(old.rrule, previous.recurrence_id)
            old.sequence += 1
            old.save()
            audit.record(actor, "meeting.split", old, before_old, audit.snapshot(old), old)
            audit.record(actor, "meeting.created", new, None, audit.snapshot(new), new)
            outbox.emit(old, "updated", changed_fields=["rrule"], split_into=str(new.uid),
                        moved_occurrence_ids=[o.pk for o in tail])
            planned, _changed = _apply_series_changes(actor, new, dict(changes), skip, now)
            outbox.emit(new, "created", occurrence_ids=[o.pk for o in new.occurrences.all()], split_from=str(old.uid))
    except IntegrityError as exc:
        _raise_on_race(planned, exc)
    return new


# --- cancel ----------------------------------------------------------------------------


def cancel_meeting(
    actor: User,
    meeting: Meeting,
    *,
    scope: str = Scope.ALL,
    occurrence: Occurrence | None = None,
    reason: str = "",
    now: datetime | None = None,
) -> Meeting:
    """Cancel a meeting, one occurrence, or this and the following ones. Nothing is
    deleted: records stay, rooms are released, attendees are told."""
    now = now or timezone.now()
    if scope not in Scope.CHOICES:
        raise ActionError(_("Phạm vi phải là occurrence, following hoặc all."), "scope")
    if scope != Scope.ALL:
        if not meeting.is_recurring:
            raise ActionError(_("Cuộc họp không lặp lại nên không có phạm vi 'một buổi' hay 'các buổi sau'."), "scope")
        if occurrence is None:
            raise ActionError(_("Hãy chọn buổi họp (occurrence) cần hủy."), "occurrence")
    with transaction.atomic():
        meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
        if meeting.status == Meeting.Status.CANCELLED:
            raise ActionError(_("Cuộc họp đã bị hủy trước đó."), conflict=True)
        before = audit.snapshot(meeting)
        if scope == Scope.ALL or (scope == Scope.FOLLOWING and occurrence is not None and occurrence.index == 0):
            live = [o for o in meeting.occurrences.filter(in_series=True) if not _frozen(o, now) and not o.is_cancelled]
            Occurrence.objects.filter(pk__in=[o.pk for o in live]).update(status=Occurrence.Status.CANCELLED)
            _release(actor, meeting, [o.pk for o in live])
            meeting.status = Meeting.Status.CANCELLED
            meeting.cancel_reason = reason.strip()
            meeting.sequence += 1
            meeting.save()
            audit.record(actor, "meeting.cancelled", meeting, before, audit.snapshot(meeting), meeting)
            outbox.emit(meeting, "cancelled", occurrence_ids=[o.pk for o in live], reason=meeting.cancel_reason)
            return meeting
        assert occurrence is not None
        occ = meeting.occurrences.select_for_update().get(pk=occurrence.pk)
        if scope == Scope.OCCURRENCE:
            if occ.is_cancelled:
                raise ActionError(_("Buổi họp này đã bị hủy trước đó."), "occurrence", conflict=True)
            if _frozen(occ, now):
                raise ActionError(_("Buổi họp đã diễn ra, không thể hủy."), "occurrence", conflict=True)
            occ_before = audit.snapshot(occ)
            occ.status, occ.cancelled_individually = Occurrence.Status.CANCELLED, True
            occ.sequence += 1
            occ.save(update_fields=["status", "cancelled_individually", "sequence"])
            _release(actor, meeting, [occ.pk])
            _refresh_status(meeting)
            meeting.save(update_fields=["status", "updated_at"])
            audit.record(actor, "occurrence.cancelled", occ, occ_before, audit.snapshot(occ), meeting)
            outbox.emit(meeting, "occurrence_cancelled", occurrence_ids=[occ.pk], reason=reason.strip())
            return meeting
        # following: the rule ends before this occurrence.
        previous = meeting.occurrences.filter(in_series=True, index=occ.index - 1).first()
        tail = list(meeting.occurrences.filter(in_series=True, index__gte=occ.index))
        if any(_frozen(o, now) for o in tail):
            raise ActionError(_("Có buổi họp trong phạm vi đã diễn ra."), "occurrence", conflict=True)
        Occurrence.objects.filter(pk__in=[o.pk for o in tail]).update(status=Occurrence.Status.CANCELLED, in_series=False)
        _release(actor, meeting, [o.pk for o in tail])
        meeting.rrule = recurrence.with_until(meeting.rrule, previous.recurrence_id if previous else occ.recurrence_id)
        meeting.sequence += 1
        _refresh_status(meeting)
        meeting.save()
        audit.record(actor, "meeting.truncated", meeting, before, audit.snapshot(meeting), meeting)
        outbox.emit(meeting, "updated", changed_fields=["rrule"], dropped_occurrence_ids=[o.pk for o in tail], reason=reason.strip())
        return meeting


# --- approvals -------------------------------------------------------------------------


def approve_booking(actor: User, booking: Booking, note: str = "", *, now: datetime | None = None) -> Booking:
    """Confirm a requested booking; overlapping requests for the room are rejected."""
    now = now or timezone.now()
    planned: list[Planned] = []
    try:
        with transaction.atomic():
            booking = Booking.objects.select_for_update().select_related("room__unit", "occurrence__meeting").get(pk=booking.pk)
            if not can_manage_room(actor, booking.room):
                raise Forbidden(_("Chỉ quản trị của %(u)s mới duyệt được phòng này.") % {"u": booking.room.unit.short_name})
            if booking.status != Booking.Status.REQUESTED:
                raise ActionError(_("Yêu cầu đặt phòng này đã được xử lý (%(s)s).") % {"s": booking.get_status_display()}, conflict=True)
            planned = [Planned(booking.occurrence.recurrence_id, booking.start, booking.end, booking.room, occurrence_id=booking.occurrence_id)]
            clashes = find_clashes(planned, now=now)
            if clashes:
                raise BookingConflict(clashes)
            booking.status = Booking.Status.CONFIRMED
            booking.decided_by, booking.decided_at, booking.decision_note = actor, now, note
            booking.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
            losers = list(
                Booking.objects.select_for_update()
                .filter(room=booking.room, status=Booking.Status.REQUESTED)
                .overlapping(booking.blocked_start, booking.blocked_end)
                .exclude(pk=booking.pk)
                .select_related("occurrence__meeting")
            )
            for loser in losers:
                loser.status = Booking.Status.REJECTED
                loser.decided_by, loser.decided_at = actor, now
                loser.decision_note = _("Phòng đã được duyệt cho một cuộc họp khác cùng thời gian.")
                loser.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
            for b, event in [(booking, "booking_approved")] + [(lo, "booking_rejected") for lo in losers]:
                m = b.occurrence.meeting
                _refresh_status(m)
                m.save(update_fields=["status", "updated_at"])
                audit.record(actor, event.replace("_", "."), b, {"status": Booking.Status.REQUESTED}, {"status": b.status}, m)
                outbox.emit(m, event, booking_id=b.pk, occurrence_ids=[b.occurrence_id])
    except IntegrityError as exc:
        _raise_on_race(planned, exc)
    return booking


def reject_booking(actor: User, booking: Booking, note: str = "") -> Booking:
    with transaction.atomic():
        booking = Booking.objects.select_for_update().select_related("room__unit", "occurrence__meeting").get(pk=booking.pk)
        if not can_manage_room(actor, booking.room):
            raise Forbidden(_("Chỉ quản trị của %(u)s mới duyệt được phòng này.") % {"u": booking.room.unit.short_name})
        if booking.status != Booking.Status.REQUESTED:
            raise ActionError(_("Yêu cầu đặt phòng này đã được xử lý (%(s)s).") % {"s": booking.get_status_display()}, conflict=True)
        booking.status = Booking.Status.REJECTED
        booking.decided_by, booking.decided_at, booking.decision_note = actor, timezone.now(), note
        booking.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        meeting = booking.occurrence.meeting
        _refresh_status(meeting)
        meeting.save(update_fields=["status", "updated_at"])
        audit.record(actor, "booking.rejected", booking, {"status": Booking.Status.REQUESTED}, {"status": booking.status}, meeting)
        outbox.emit(meeting, "booking_rejected", booking_id=booking.pk, occurrence_ids=[booking.occurrence_id])
    return booking


def mark_past_occurrences_held(now: datetime | None = None) -> int:
    """Occurrences that have ended become 'held'; a meeting whose last one ended too."""
    now = now or timezone.now()
    live = [Meeting.Status.SCHEDULED, Meeting.Status.REQUESTED]
    done = Occurrence.objects.filter(
        status=Occurrence.Status.SCHEDULED, end__lte=now, meeting__status__in=live
    ).update(status=Occurrence.Status.HELD)
    finished = (
        Meeting.objects.filter(status__in=live, occurrences__status=Occurrence.Status.HELD)
        .exclude(Q(occurrences__status=Occurrence.Status.SCHEDULED))
        .values("pk")
    )
    Meeting.objects.filter(pk__in=finished).update(status=Meeting.Status.HELD)
    return done
