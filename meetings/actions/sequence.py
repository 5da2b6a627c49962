"""iCalendar SEQUENCE (RFC 5545 §3.8.7.4, RFC 5546 §2.1.4–2.1.5): every decision in one place.

Calendars that compare SEQUENCE (Google Calendar, Thunderbird) keep, per event (UID), what
they hold and drop a message that is not newer; several of them compare a per-sitting
message with the highest SEQUENCE held for the whole event. So one counter per UID:

- `Meeting.sequence` is the highest SEQUENCE ever sent for the meeting's UID. Every series
  message carries it on the master and on every overridden sitting.
- A change attendees must re-answer for raises it by one, before its messages are planned:
  DTSTART/DTEND, RRULE, EXDATE/RDATE (a sitting moved, cancelled or dropped), LOCATION
  (rooms, in person ↔ online), the online room's join details, STATUS (cancelled), and a
  removed attendee's CANCEL (it must be newer than the REQUEST that person holds).
- A sitting changed on its own (moved or cancelled) takes the raised value as its own
  SEQUENCE (`Occurrence.sequence`): above anything sent before for it and for the master.
- Rename, agenda (DESCRIPTION) and chair changes follow RFC 5546's choice: they do not
  change anyone's participation, so SEQUENCE stays and the update goes out with a later
  DTSTAMP, which breaks the tie (§2.1.5); answers already given stay valid. Adding an
  attendee or a delegate changes nothing for the others and raises nothing.

The calendar app calls `raise_now()` when something outside these actions changed what an
invitation says (a refused room leaving LOCATION, a new join link from the provider).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from meetings.models import Meeting, Occurrence

# Field names of update_meeting (and markers of the actions) whose change needs a new SEQUENCE.
SIGNIFICANT = frozenset({
    "start", "end", "rrule", "skip", "rooms", "mode", "online_provider", "online_details",
    "exdate", "location", "online", "status", "removed_attendees",
})
# Changes that go out at the same SEQUENCE with a later DTSTAMP (RFC 5546 §2.1.4).
NOT_SIGNIFICANT = frozenset({"title", "agenda", "chair", "sensitivity", "attendees", "is_urgent", "urgent_reason"})


def significant(changed: Iterable[str]) -> bool:
    return bool(SIGNIFICANT & set(changed))


def raise_master(meeting: Meeting) -> int:
    """One more for the meeting's UID (the caller saves the meeting in its transaction)."""
    meeting.sequence += 1
    return meeting.sequence


def raise_for(meeting: Meeting, changed: Iterable[str]) -> bool:
    """Raise the counter if `changed` holds a significant change. True if raised."""
    if significant(changed):
        raise_master(meeting)
        return True
    return False


def raise_sitting(meeting: Meeting, occurrence: Occurrence) -> int:
    """A sitting moved or cancelled on its own: the UID's counter goes up and the sitting
    takes it, so its message is above everything sent before for it and for the master."""
    raise_master(meeting)
    occurrence.sequence = meeting.sequence
    return occurrence.sequence


def raise_now(meeting_id: int) -> Meeting:
    """For the calendar app: raise the counter of a meeting that changed outside the actions
    (locks the row; call inside the caller's transaction so its own bookkeeping is atomic)."""
    with transaction.atomic():
        locked = Meeting.objects.select_for_update().get(pk=meeting_id)
        raise_master(locked)
        Meeting.objects.filter(pk=locked.pk).update(sequence=locked.sequence, updated_at=timezone.now())
        locked.refresh_from_db()
    return locked
