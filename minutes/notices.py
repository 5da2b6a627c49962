"""The e-mail after the meeting: once the minutes are issued, every invitee who may open them
gets one message with a link to the issued minutes page and to the document (PDF, DOCX).

Queued through the outbox in the transaction that issues the minutes (workflow.issue), so it
goes out only after commit and is not lost if a worker dies. Exactly once per invitee and
sitting: a Reminder row of kind "minutes" is inserted (the unique key is the claim) before
the message leaves; a failed send is released and tried again by the outbox's retries.

Each person reads it in their language (Vietnamese unless their profile says English). The
subject of a confidential meeting never carries its title (D2): mail subjects are shown in
notifications and mail logs; the body names it only to people who may open the minutes.
The document's "Nơi nhận" lists units, not addresses, so there is no distribution list to
mail beyond the invitees. Guests without an account cannot open the page and get nothing.
"""

from __future__ import annotations

import logging
import smtplib
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from meetings import outbox
from meetings.formatting import vn_datetime
from meetings.models import Meeting, OutboxMessage

if TYPE_CHECKING:
    from archive.models import IssuedDocument
    from meetings.models import Attendee
    from minutes.models import Minutes

TOPIC = "minutes_issued"
log = logging.getLogger(__name__)


def register() -> None:
    # Never emitted for meeting events: the row is put by queue() when minutes are issued.
    outbox.subscribe(TOPIC, handle, wants=lambda meeting, event, payload: False)


def queue(minutes: Minutes, document: IssuedDocument) -> None:
    """Call inside the transaction that issues the minutes; the send happens after commit."""
    outbox.put([OutboxMessage(topic=TOPIC, meeting=minutes.occurrence.meeting,
                              payload={"minutes": minutes.pk, "document": document.pk})])


def recipients(minutes: Minutes) -> list[Attendee]:
    """Active invitees with an active account who may open these minutes."""
    from minutes.permissions import Access, access

    meeting = minutes.occurrence.meeting
    people = meeting.attendees.filter(is_active=True, user__isnull=False, user__is_active=True).select_related("user")
    return [a for a in people.order_by("pk") if access(a.user, meeting, minutes) != Access.NONE]


def compose(minutes: Minutes, document: IssuedDocument, attendee: Attendee) -> EmailMessage:
    """The message for one person, in their language."""
    meeting = minutes.occurrence.meeting
    language = attendee.user.language if attendee.user_id and attendee.user.language else settings.LANGUAGE_CODE
    with translation.override(language):
        values = {
            "name": attendee.display_name,
            "title": meeting.title,
            "unit": meeting.organizing_unit.short_name or meeting.organizing_unit.name,
            "when": vn_datetime(minutes.occurrence.start, language),
            "code": document.code,
            "page": settings.SITE_URL + reverse("minutes:page", args=[minutes.occurrence_id]),
            "document": settings.SITE_URL + reverse("archive_document", args=[document.pk]),
        }
        if meeting.sensitivity == Meeting.Sensitivity.CONFIDENTIAL:
            subject = _("[Quorum] Biên bản đã ban hành: một cuộc họp mật của %(unit)s, %(when)s") % values
        else:
            subject = _("[Quorum] Biên bản đã ban hành: %(title)s") % values
        body = _(
            "Kính gửi %(name)s,\n\n"
            "Biên bản cuộc họp “%(title)s” (%(when)s) đã được ban hành, số %(code)s.\n\n"
            "Xem biên bản: %(page)s\n"
            "Văn bản (PDF, DOCX): %(document)s\n\n"
            "Trân trọng."
        ) % values
    return EmailMessage(subject, body, None, [attendee.email])


def _claim(attendee: Attendee, minutes: Minutes) -> int | None:
    """The Reminder row that makes this person's message exactly-once, or None if another
    worker sent it (or is sending it). A failed earlier attempt is taken over."""
    from integrations.calendar.models import Reminder

    kind = Reminder.Kind.MINUTES
    try:
        with transaction.atomic():
            return Reminder.objects.create(attendee=attendee, occurrence_id=minutes.occurrence_id, kind=kind).pk
    except IntegrityError:
        row = Reminder.objects.filter(attendee=attendee, occurrence_id=minutes.occurrence_id, kind=kind,
                                      status=Reminder.Status.FAILED).values_list("pk", flat=True).first()
        if row and Reminder.objects.filter(pk=row, status=Reminder.Status.FAILED).update(
                status=Reminder.Status.CLAIMED):
            return row
        return None


def handle(message: OutboxMessage) -> None:
    """Send to everyone not yet sent to; a failed send is retried with the outbox row."""
    from django.utils import timezone

    from archive.models import IssuedDocument
    from integrations.calendar.models import Reminder
    from minutes.models import Minutes

    minutes = (Minutes.objects.filter(pk=message.payload.get("minutes"))
               .select_related("occurrence__meeting__organizing_unit").first())
    document = IssuedDocument.objects.filter(pk=message.payload.get("document"), issued_at__isnull=False).first()
    if minutes is None or document is None or not minutes.is_issued:
        return  # withdrawn in the meantime (a correction under way): nothing to announce
    failed = 0
    for attendee in recipients(minutes):
        row = _claim(attendee, minutes)
        if row is None:
            continue
        try:
            compose(minutes, document, attendee).send()
        except (smtplib.SMTPException, OSError) as exc:
            log.warning("minutes notice %s to %s failed: %s", row, attendee.email, exc)
            Reminder.objects.filter(pk=row).update(status=Reminder.Status.FAILED, last_error=str(exc)[:2000])
            failed += 1
            continue
        Reminder.objects.filter(pk=row).update(status=Reminder.Status.SENT, sent_at=timezone.now())
    if failed:
        raise outbox.Retry(f"{failed} minutes notice(s) not sent")
