"""Changing a meeting: one sitting, this and following, or the whole series."""


from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from meetings import audit, hooks, outbox, recurrence
from meetings.booking import (
    Planned,
)
from meetings.models import (
    Attendee,
    Booking,
    Meeting,
    MeetingRoom,
    Occurrence,
)

if TYPE_CHECKING:
    from accounts.models import User
from meetings.actions import sequence
from meetings.actions.common import (
    OCCURRENCE_FIELDS,
    SERIES_FIELDS,
    ActionError,
    AttendeeInput,
    RoomChoice,
    Scope,
    _book,
    _frozen,
    _plan,
    _raise_on_race,
    _refresh_status,
    _release,
    _resolve_attendees,
    _starts,
    _sync_attendees,
    check_rooms,
    check_skip,
    check_times,
    check_urgency,
    expected_per_room,
)


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
                    _("%(r)s chỉ chứa %(c)s người, dự kiến %(n)s người.")
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
    # SEQUENCE: the one place that decides is meetings.actions.sequence.
    sequence.raise_for(meeting, changed | ({"removed_attendees"} if changes.get("_removed_ids") else set()))
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
            current = [
                RoomChoice(b.room, b.expected_attendees)
                for b in occ.bookings.filter(status__in=[Booking.Status.CONFIRMED, Booking.Status.REQUESTED]).select_related("room__unit")
            ]
            choices = current
            if "rooms" in changes:
                people = [AttendeeInput(email=a.email, unit=a.unit, role=a.role) for a in meeting.attendees.filter(is_active=True).select_related("unit")]
                choices = check_rooms(actor, meeting.organizing_unit, changes["rooms"], people, meeting.mode)
            same_rooms = sorted(c.room.pk for c in choices) == sorted(c.room.pk for c in current)
            if start == occ.start and end == occ.end and same_rooms:
                return meeting  # the same change again (a double submit, a retry): nothing to do or tell
            check_times(start, end, now)
            _release(actor, meeting, [occ.pk])
            occ.start, occ.end = start, end
            occ.is_exception = True
            sequence.raise_sitting(meeting, occ)
            occ.save(update_fields=["start", "end", "is_exception", "sequence"])
            planned = _plan(actor, [occ], choices)
            _book(actor, meeting, planned, now)
            _refresh_status(meeting)
            meeting.save(update_fields=["status", "sequence", "updated_at"])
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
            sequence.raise_master(old)  # RRULE gained an UNTIL
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


