"""Room admins' decisions on booking requests.

`decide_bookings` is the one place a decision is made: it locks every booking it decides,
checks them all, and either decides all of them or none (a whole series with per-sitting
exceptions is one call). `approve_booking` / `reject_booking` are its one-booking forms.
"""


from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from itertools import pairwise
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from meetings import audit, outbox
from meetings.booking import (
    BookingConflict,
    Planned,
    find_clashes,
)
from meetings.formatting import vn_datetime
from meetings.models import (
    Booking,
    Meeting,
)
from meetings.permissions import can_manage_room

if TYPE_CHECKING:
    from accounts.models import User
from meetings.actions.common import (
    ActionError,
    Forbidden,
    _raise_on_race,
    _refresh_status,
)

# Sent with the requests an approval rejects because they overlap it.
OVERLAP_NOTE = gettext_noop("Phòng đã được duyệt cho một cuộc họp khác cùng thời gian.")


@dataclass
class Decision:
    """What one decide_bookings call changed."""

    approved: list[Booking] = field(default_factory=list)
    rejected: list[Booking] = field(default_factory=list)
    # Requests of other meetings rejected because an approved booking overlaps them.
    displaced: list[Booking] = field(default_factory=list)


def overlapping_requests(bookings: Iterable[Booking], exclude: Iterable[int] = ()) -> list[Booking]:
    """Requests that approving `bookings` would reject (same room, overlapping blocked time).

    One query for any number of bookings; used by the queue to warn before confirming.
    """
    from django.db.models import Q

    bookings = list(bookings)
    if not bookings:
        return []
    cond = Q()
    for b in bookings:
        cond |= Q(room_id=b.room_id, blocked_start__lt=b.blocked_end, blocked_end__gt=b.blocked_start)
    skip = {b.pk for b in bookings} | set(exclude)
    return list(
        Booking.objects.filter(cond, status=Booking.Status.REQUESTED)
        .exclude(pk__in=skip)
        .select_related("room__unit", "occurrence__meeting__organizing_unit")
        .order_by("start", "pk")
    )


def decide_bookings(
    actor: User,
    approve: Iterable[int] = (),
    reject: Iterable[int] = (),
    note: str = "",
    *,
    now: datetime | None = None,
) -> Decision:
    """Approve and reject many requested bookings in one transaction, all or nothing.

    Every booking must be a request for a room `actor` administers; approving one also
    rejects the other requests overlapping it. The requester hears of it once per meeting
    (outbox event "bookings_decided"); the per-booking events keep the invitations right.
    """
    now = now or timezone.now()
    approve_ids, reject_ids = list(dict.fromkeys(approve)), list(dict.fromkeys(reject))
    if set(approve_ids) & set(reject_ids):
        raise ActionError(_("Một buổi không thể vừa được duyệt vừa bị từ chối."), "bookings")
    wanted = approve_ids + reject_ids
    if not wanted:
        raise ActionError(_("Chưa chọn yêu cầu nào để xử lý."), "bookings")
    planned: list[Planned] = []
    result = Decision()
    try:
        with transaction.atomic():
            locked = {
                b.pk: b
                for b in Booking.objects.select_for_update()
                .filter(pk__in=wanted)
                .select_related("room__unit", "occurrence__meeting")
            }
            missing = [pk for pk in wanted if pk not in locked]
            if missing:
                raise ActionError(_("Không tìm thấy yêu cầu đặt phòng #%(id)s.") % {"id": missing[0]}, "bookings")
            for pk in wanted:
                b = locked[pk]
                if not can_manage_room(actor, b.room):
                    raise Forbidden(_("Chỉ quản trị của %(u)s mới duyệt được phòng này.") % {"u": b.room.unit.short_name})
            for pk in wanted:
                b = locked[pk]
                if b.status != Booking.Status.REQUESTED:
                    raise ActionError(
                        _("Yêu cầu đặt phòng %(room)s lúc %(when)s đã được xử lý (%(s)s).")
                        % {"room": b.room.name, "when": vn_datetime(b.start), "s": b.get_status_display()},
                        "bookings", conflict=True,
                    )
            approved = [locked[pk] for pk in approve_ids]
            _check_no_overlap_between(approved)
            planned = [
                Planned(b.occurrence.recurrence_id, b.start, b.end, b.room, occurrence_id=b.occurrence_id)
                for b in approved
            ]
            clashes = find_clashes(planned, now=now)
            if clashes:
                raise BookingConflict(clashes)
            for b in approved:
                _set(b, Booking.Status.CONFIRMED, actor, now, note)
                result.approved.append(b)
            for pk in reject_ids:
                _set(locked[pk], Booking.Status.REJECTED, actor, now, note)
                result.rejected.append(locked[pk])
            if approved:
                losers = Booking.objects.select_for_update().filter(
                    pk__in=[lo.pk for lo in overlapping_requests(approved, exclude=wanted)]
                ).select_related("occurrence__meeting", "room__unit")
                for loser in losers:
                    _set(loser, Booking.Status.REJECTED, actor, now, _(OVERLAP_NOTE))
                    result.displaced.append(loser)
            _record(actor, result)
    except IntegrityError as exc:
        _raise_on_race(planned, exc)
    return result


def _check_no_overlap_between(approved: list[Booking]) -> None:
    by_room: dict[int, list[Booking]] = defaultdict(list)
    for b in approved:
        by_room[b.room_id].append(b)
    for items in by_room.values():
        items.sort(key=lambda b: b.blocked_start)
        for a, b in pairwise(items):
            if b.blocked_start < a.blocked_end:
                raise ActionError(
                    _("Hai yêu cầu được chọn trùng giờ ở phòng %(room)s (%(when)s): chỉ duyệt được một.")
                    % {"room": b.room.name, "when": vn_datetime(b.start)}, "bookings", conflict=True,
                )


def _set(b: Booking, status: str, actor: User, now: datetime, note: str) -> None:
    b.status = status
    b.decided_by, b.decided_at, b.decision_note = actor, now, note
    b.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])


def _record(actor: User, result: Decision) -> None:
    """Meeting status, audit trail and outbox events: per booking, and once per meeting."""
    per_meeting: dict[int, tuple[Meeting, list[Booking]]] = {}
    events = [(b, "booking_approved") for b in result.approved] + [
        (b, "booking_rejected") for b in result.rejected + result.displaced
    ]
    for b, event in events:
        m = b.occurrence.meeting
        per_meeting.setdefault(m.pk, (m, []))[1].append(b)
        audit.record(actor, event.replace("_", "."), b, {"status": Booking.Status.REQUESTED}, {"status": b.status}, m)
        outbox.emit(m, event, booking_id=b.pk, occurrence_ids=[b.occurrence_id])
    for m, items in per_meeting.values():
        _refresh_status(m)
        m.save(update_fields=["status", "updated_at"])
        outbox.emit(
            m, "bookings_decided",
            approved=[b.pk for b in items if b.status == Booking.Status.CONFIRMED],
            rejected=[b.pk for b in items if b.status == Booking.Status.REJECTED],
        )


def approve_booking(actor: User, booking: Booking, note: str = "", *, now: datetime | None = None) -> Booking:
    """Confirm a requested booking; overlapping requests for the room are rejected."""
    return decide_bookings(actor, approve=[booking.pk], note=note, now=now).approved[0]


def reject_booking(actor: User, booking: Booking, note: str = "") -> Booking:
    return decide_bookings(actor, reject=[booking.pk], note=note).rejected[0]
