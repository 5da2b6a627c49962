"""“Nhắc người chưa trả lời”: one e-mail to each attendee who has not answered, with their
personal answer link. Queued through the outbox (not lost if the process dies) and sent by
its handler; a second click within QUIET_MINUTES sends nothing."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from django.core.cache import cache
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils.translation import gettext as _

from meetings import audit, outbox
from meetings.formatting import vn_datetime
from meetings.models import Attendee, Meeting, OutboxMessage

if TYPE_CHECKING:
    from accounts.models import User

TOPIC = "answer_reminder"
QUIET_MINUTES = 30
log = logging.getLogger(__name__)


def register() -> None:
    # Never emitted for meeting events: rows are put by remind_unanswered() only.
    outbox.subscribe(TOPIC, handle, wants=lambda meeting, event, payload: False)


def remind_unanswered(actor: User, meeting: Meeting) -> int | None:
    """Queue the reminder; the number of people it goes to, or None if one was sent lately."""
    if not cache.add(f"quorum:remind:{meeting.uid}", 1, QUIET_MINUTES * 60):  # uid: unique beyond one database
        return None
    ids = list(meeting.attendees.filter(is_active=True, rsvp=Attendee.Rsvp.NEEDS_ACTION).values_list("pk", flat=True))
    if ids:
        with transaction.atomic():
            outbox.put([OutboxMessage(topic=TOPIC, meeting=meeting, payload={"attendee_ids": ids})])
            audit.record(actor, "meeting.reminded", meeting, None, {"attendees": len(ids)}, meeting)
    return len(ids)


def handle(message: OutboxMessage) -> None:
    """Send to the ones still without an answer; each person once per outbox row."""
    from integrations.calendar import answers

    meeting = Meeting.objects.filter(pk=message.meeting_id).select_related("organizing_unit").first()
    if meeting is None or meeting.status in (Meeting.Status.CANCELLED, Meeting.Status.DRAFT):
        return
    first = meeting.occurrences.filter(in_series=True).exclude(status="cancelled").order_by("start").first()
    people = meeting.attendees.filter(pk__in=message.payload.get("attendee_ids", []), is_active=True,
                                      rsvp=Attendee.Rsvp.NEEDS_ACTION)
    for a in people:
        key = f"quorum:remind:{meeting.uid}:{message.pk}:{a.pk}"
        if cache.get(key):
            continue  # sent before a retry of this row
        links = answers.links(a)
        body = _(
            "Kính gửi %(name)s,\n\n%(unit)s chưa nhận được trả lời của đồng chí cho cuộc họp “%(title)s”%(when)s.\n"
            "Xin đồng chí cho biết có tham dự hay không tại: %(link)s\n\nTrân trọng."
        ) % {"name": a.display_name, "unit": meeting.organizing_unit.short_name, "title": meeting.title,
             "when": (", " + vn_datetime(first.start)) if first else "", "link": links["page"]}
        EmailMessage(_("Nhắc trả lời giấy mời: %(t)s") % {"t": meeting.title}, body, None, [a.email]).send()
        cache.set(key, 1, 7 * 24 * 3600)
