"""The attendance log: personal-link clicks and the provider's participant events.

Provider events are matched to an attendee by e-mail, else by the name the personal join
link pre-filled (only among attendees who used their link for this occurrence); the rest
are kept as guests. Duplicates and out-of-order deliveries (a leave before its join) are
harmless.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.dispatch import Signal
from django.utils import timezone

from integrations.online.models import Attendance, OnlineRoom
from meetings.models import Attendee, Occurrence

Source = Attendance.Source

# Sent after commit whenever the log of a sitting changed (a join, a leave, a link click):
# occurrence_id=<int>. The minutes app listens and brings the roll call in line.
attendance_changed = Signal()


def _announce(occurrence_id: int) -> None:
    # robust: a listener's failure is logged and never undoes or repeats the recorded event.
    transaction.on_commit(lambda: attendance_changed.send(sender=Attendance, occurrence_id=occurrence_id), robust=True)


def record_link_join(occurrence: Occurrence, attendee: Attendee) -> Attendance:
    now = timezone.now()
    key = f"link:{attendee.pk}"
    with transaction.atomic():
        row = Attendance.objects.filter(occurrence=occurrence, source=Source.JOIN_LINK, participant_key=key).first()
        if row is None:
            row = Attendance.objects.create(
                occurrence=occurrence, attendee=attendee, source=Source.JOIN_LINK, participant_key=key,
                joined_at=now, clicks=1,
            )
        else:
            Attendance.objects.filter(pk=row.pk).update(clicks=row.clicks + 1)
        _announce(occurrence.pk)
    return row


def _match(occurrence: Occurrence, email: str, name: str) -> Attendee | None:
    attendees = occurrence.meeting.attendees.all()
    if email:
        found = attendees.filter(email__iexact=email).first()
        if found:
            return found
    if name:
        wanted = name.strip().casefold()
        clicked = Attendance.objects.filter(
            occurrence=occurrence, source=Source.JOIN_LINK, attendee__isnull=False
        ).select_related("attendee__user")
        for row in clicked:
            if row.attendee and wanted in (row.attendee.display_name.strip().casefold(),
                                           row.attendee.public_name.strip().casefold()):
                return row.attendee
    return None


def record_participant(
    room: OnlineRoom,
    participant: dict[str, Any],
    *,
    joined_at: datetime | None = None,
    left_at: datetime | None = None,
) -> Attendance | None:
    """Record a provider's join or leave; the minutes' roll call follows (attendance_changed)."""
    with transaction.atomic():
        row = _record_participant(room, participant, joined_at=joined_at, left_at=left_at)
        if row is not None:
            _announce(room.occurrence_id)
    return row


def _record_participant(
    room: OnlineRoom,
    participant: dict[str, Any],
    *,
    joined_at: datetime | None = None,
    left_at: datetime | None = None,
) -> Attendance | None:
    occurrence = room.occurrence
    email = str(participant.get("email") or "").strip().lower()
    name = str(participant.get("user_name") or "").strip()
    key = str(
        participant.get("participant_uuid") or participant.get("id") or participant.get("user_id") or f"{name}|{email}"
    )[:200]
    base = Attendance.objects.filter(occurrence=occurrence, source=Source.PROVIDER, participant_key=key)
    try:
        with transaction.atomic():
            if joined_at is not None:
                if base.filter(joined_at=joined_at).exists():
                    return None  # duplicate delivery
                early_leave = base.filter(joined_at__isnull=True, left_at__gte=joined_at).order_by("left_at").first()
                if early_leave:  # the leave came first
                    early_leave.joined_at = joined_at
                    early_leave.save(update_fields=["joined_at"])
                    return early_leave
                attendee = _match(occurrence, email, name)
                return Attendance.objects.create(
                    occurrence=occurrence, attendee=attendee, source=Source.PROVIDER, participant_key=key,
                    joined_at=joined_at, guest_name="" if attendee else name, guest_email="" if attendee else email,
                )
            if left_at is not None:
                if base.filter(left_at=left_at).exists():
                    return None
                row = base.filter(joined_at__lte=left_at, left_at__isnull=True).order_by("-joined_at").first()
                if row:
                    row.left_at = left_at
                    row.save(update_fields=["left_at"])
                    return row
                attendee = _match(occurrence, email, name)
                return Attendance.objects.create(
                    occurrence=occurrence, attendee=attendee, source=Source.PROVIDER, participant_key=key,
                    left_at=left_at, guest_name="" if attendee else name, guest_email="" if attendee else email,
                )
    except IntegrityError:
        return None  # a concurrent duplicate won
    return None
