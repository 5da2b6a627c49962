"""Creating and publishing meetings."""


from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from meetings import audit, hooks, outbox
from meetings.booking import (
    Planned,
    insert,
)
from meetings.models import (
    Attendee,
    Booking,
    Meeting,
    MeetingRoom,
    Occurrence,
)
from meetings.permissions import can_book_for, can_manage_room

if TYPE_CHECKING:
    from accounts.models import User
from meetings.actions.common import (
    ActionError,
    Forbidden,
    MeetingInput,
    RoomChoice,
    _book,
    _plan,
    _raise_on_race,
    _refresh_status,
    _release,
    _resolve_attendees,
    _starts,
    check_rooms,
    check_skip,
    check_times,
    check_urgency,
)

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
    booked: list[Booking] = []
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
            rooms = insert([MeetingRoom(meeting=meeting, room=c.room, expected_attendees=c.expected or 0)
                            for c in choices])
            # A new meeting has no attendee rows yet: insert, nothing to reconcile.
            people = insert([Attendee(meeting=meeting, email=a.email, name=a.name, user=a.user, unit=a.unit,
                                      role=a.role) for a in attendees])
            entries = [audit.entry(actor, "meeting.created", meeting, None, audit.snapshot(meeting), meeting)]
            if booking_now:
                planned = _plan(actor, [o for o in occurrences if not o.is_cancelled], choices)
                booked = _book(actor, meeting, planned, now, entries)
            audit.write(entries)  # one INSERT for the meeting's and its bookings' entries
            if booking_now:
                outbox.emit(meeting, "created", occurrence_ids=[o.pk for o in occurrences])
    except IntegrityError as exc:
        _raise_on_race(planned, exc)
    meeting.written = Written(rooms, people, occurrences, booked)
    return meeting


@dataclass(frozen=True)
class Written:
    """The rows create_meeting() wrote, for a caller that answers with them (the API's 201)
    instead of reading back five tables."""

    rooms: list[MeetingRoom]
    people: list[Attendee]
    occurrences: list[Occurrence]
    booked: list[Booking]

    def attach(self, meeting: Meeting) -> Meeting:
        """Load the rows onto `meeting` as prefetch_related() would (`.all()` answers from
        memory; `.filter()` still queries). Only for an answer built right away: later
        `.all()` calls on this instance would not see changes made after."""
        by_occurrence: dict[int, list[Booking]] = {o.pk: [] for o in self.occurrences}
        for b in sorted(self.booked, key=lambda b: (b.start, b.pk)):
            by_occurrence[b.occurrence_id].append(b)
        for o in self.occurrences:
            o.meeting = meeting
            _prefetched(o, "bookings", by_occurrence[o.pk])
        _prefetched(meeting, "room_choices", sorted(self.rooms, key=lambda r: r.pk))
        _prefetched(meeting, "attendees", sorted(self.people, key=lambda a: a.pk))
        _prefetched(meeting, "occurrences", sorted(self.occurrences, key=lambda o: (o.index, o.start)))
        return meeting


def _prefetched(obj: object, name: str, rows: list) -> None:
    """What prefetch_related() leaves behind: a related queryset already evaluated."""
    qs = getattr(obj, name).get_queryset()
    qs._result_cache = rows
    qs._prefetch_done = True
    obj.__dict__.setdefault("_prefetched_objects_cache", {})[name] = qs


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


def release_draft_rooms(actor: User, meeting: Meeting) -> int:
    """A draft gives back the rooms it holds (every occurrence), e.g. before it is published,
    which books them again. Nobody has been invited yet, so nobody is told; each booking's
    release and the draft's are in the audit trail, and the "draft_rooms_released" event goes
    to the outbox for any subscriber that wants it. Returns the number of bookings released."""
    with transaction.atomic():
        meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
        if meeting.status != Meeting.Status.DRAFT:
            raise ActionError(_("Chỉ cuộc họp nháp mới trả phòng theo cách này."), "status", conflict=True)
        occurrence_ids = list(meeting.occurrences.values_list("pk", flat=True))
        released = _release(actor, meeting, occurrence_ids)
        if released:
            audit.record(actor, "meeting.draft_rooms_released", meeting, None, {"released": released}, meeting)
            outbox.emit(meeting, "draft_rooms_released", occurrence_ids=occurrence_ids, released=released)
    return released


# --- update ----------------------------------------------------------------------------


