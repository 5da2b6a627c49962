"""Room admins' decisions on booking requests."""


from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from meetings import audit, outbox
from meetings.booking import (
    BookingConflict,
    Planned,
    find_clashes,
)
from meetings.models import (
    Booking,
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


