"""Reading iTIP REPLY messages (RFC 5546 §3.2.3) that clients send to the organizer mailbox.

Outlook writes `TZID=SE Asia Standard Time` and upper-case `MAILTO:`; attendees are matched
case-insensitively. A REPLY for an older SEQUENCE than the one we last sent, or older than a
reply already applied, is ignored; one from a person who was not invited is logged, not added;
one whose From: is not the replying attendee is refused.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import parseaddr

from django.db.models import Q
from django.utils import timezone
from icalendar import Calendar

from config.redact import mask_personal_data
from integrations.calendar import answers, ical
from integrations.calendar.models import InboundReply
from meetings.actions import ActionError
from meetings.models import Attendee, Meeting, Occurrence

log = logging.getLogger(__name__)
Outcome = InboundReply.Outcome
RSVP = {"ACCEPTED": Attendee.Rsvp.ACCEPTED, "TENTATIVE": Attendee.Rsvp.TENTATIVE, "DECLINED": Attendee.Rsvp.DECLINED}


def calendar_parts(msg: EmailMessage) -> list[bytes]:
    found = []
    for part in msg.walk():
        if part.get_content_type() in ("text/calendar", "application/ics"):
            payload = part.get_payload(decode=True)
            if payload:
                found.append(payload)
    return found


def address(value: object) -> str:
    text = str(value or "").strip()
    if text.lower().startswith("mailto:"):
        text = text[7:]
    return text.strip().lower()


def ingest_bytes(raw: bytes) -> list[InboundReply]:
    """Apply every REPLY VEVENT in one e-mail; returns what became of each."""
    msg = message_from_bytes(raw, policy=policy.default)
    sender = parseaddr(str(msg.get("From", "")))[1].lower()
    message_id = str(msg.get("Message-ID", "")).strip()[:300]
    if message_id and InboundReply.objects.filter(message_id=message_id).exists():
        return []  # read before (the folder or mailbox is read again)
    parts = calendar_parts(msg)
    if not parts:
        return []
    try:
        cal = Calendar.from_ical(parts[0])
    except ValueError as exc:
        return [InboundReply.objects.create(message_id=message_id, sender=sender, outcome=Outcome.INVALID, detail=str(exc)[:2000])]
    if str(cal.get("METHOD", "")).upper() != "REPLY":
        return []
    return [_apply(ev, sender, message_id) for ev in cal.walk("VEVENT")]


def _decoded(ev: object, name: str) -> datetime | None:
    try:
        value = ev.decoded(name)  # type: ignore[attr-defined]
    except KeyError:
        return None
    if isinstance(value, datetime):
        return value if timezone.is_aware(value) else value.replace(tzinfo=ical.tz())
    return None


def _apply(ev: object, sender: str, message_id: str) -> InboundReply:
    get = ev.get  # type: ignore[attr-defined]
    who = get("ATTENDEE")
    if isinstance(who, list):
        who = who[0] if who else None
    row = InboundReply(
        message_id=message_id, sender=sender, uid=str(get("UID", ""))[:255],
        attendee_email=address(who)[:300],
        partstat=str(getattr(who, "params", {}).get("PARTSTAT", "")).upper()[:30],
        sequence=int(get("SEQUENCE", 0) or 0),
        dtstamp=_decoded(ev, "DTSTAMP"),
        recurrence_id=_decoded(ev, "RECURRENCE-ID"),
    )

    def done(outcome: str, detail: str = "") -> InboundReply:
        row.outcome, row.detail = outcome, detail[:2000]
        row.save()
        if outcome != Outcome.APPLIED:
            log.warning("iTIP REPLY #%s from %s for %s not applied: %s %s", row.pk, mask_personal_data(row.attendee_email),
                        row.uid, outcome, mask_personal_data(detail))
        return row

    try:
        meeting = Meeting.objects.filter(uid=uuid.UUID(row.uid)).first()
    except ValueError:
        meeting = None
    if meeting is None:
        return done(Outcome.UNKNOWN_MEETING)
    row.meeting = meeting
    if sender and sender != row.attendee_email:
        return done(Outcome.SENDER_MISMATCH, f"From: {sender}, ATTENDEE: {row.attendee_email}")
    attendee = meeting.attendees.filter(email__iexact=row.attendee_email, is_active=True).first()
    if attendee is None:
        return done(Outcome.UNKNOWN_ATTENDEE, "Người trả lời không có trong thành phần mời; không thêm.")
    row.attendee = attendee
    if meeting.status == Meeting.Status.CANCELLED:
        return done(Outcome.CANCELLED)
    occ = None
    current = meeting.sequence
    if row.recurrence_id is not None:
        occ = Occurrence.objects.filter(meeting=meeting, in_series=True, recurrence_id=row.recurrence_id).first()
        if occ is None:
            return done(Outcome.INVALID, "RECURRENCE-ID không khớp buổi họp nào.")
        current = ical.occurrence_sequence(meeting, occ)
    if row.sequence < current:
        return done(Outcome.OLD_SEQUENCE, f"SEQUENCE {row.sequence} < {current}")
    newer = InboundReply.objects.filter(attendee=attendee, outcome=Outcome.APPLIED, recurrence_id=row.recurrence_id).filter(
        Q(sequence__gt=row.sequence) | Q(sequence=row.sequence, dtstamp__gt=row.dtstamp) if row.dtstamp else Q(sequence__gt=row.sequence)
    )
    if newer.exists():
        return done(Outcome.OLD_SEQUENCE, "Đã có trả lời mới hơn.")
    rsvp = RSVP.get(row.partstat)
    if rsvp is None:
        return done(Outcome.INVALID, f"PARTSTAT {row.partstat or '(trống)'} không dùng được.")
    try:
        answers.respond(attendee, rsvp, str(get("COMMENT", "") or ""), occurrence=occ, actor=attendee.user)
    except ActionError as exc:
        return done(Outcome.INVALID, exc.message)
    return done(Outcome.APPLIED)
