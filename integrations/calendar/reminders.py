"""Reminders: the day before at 16:00 and 30 minutes before (per-unit settings).

Exactly once per attendee, occurrence and kind: a Reminder row is inserted (the unique
constraint is the claim) before the mail goes out, so two workers running the periodic
task at the same moment cannot both send. Nothing for cancelled meetings or occurrences,
nor for people who declined (the meeting or that occurrence) or sent a substitute, nor for
people not yet invited or invited after the reminder's moment (the invitation said it all).
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Min
from django.utils import timezone

from config.redact import mask_personal_data
from integrations.calendar import ical, mail
from integrations.calendar.models import Delivery, OccurrenceResponse, Reminder, ReminderSetting
from meetings.models import Attendee, Meeting, Occurrence

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Policy:
    day_before: bool = True
    day_before_at: time = time(16, 0)
    minutes_before: int | None = 30


DEFAULT = Policy()
NO_REMINDER = (Attendee.Rsvp.DECLINED, Attendee.Rsvp.DELEGATED)


def policies() -> dict[int, Policy]:
    return {
        s.unit_id: Policy(s.day_before, s.day_before_at, s.minutes_before)
        for s in ReminderSetting.objects.all()
    }


def due(now: datetime) -> list[tuple[Attendee, Occurrence, str]]:
    """(attendee, occurrence, kind) whose reminder time has come and that were not claimed."""
    tz = ical.tz()
    occs = list(
        Occurrence.objects.filter(
            status=Occurrence.Status.SCHEDULED, in_series=True, start__gt=now, start__lte=now + timedelta(days=2),
            meeting__status__in=[Meeting.Status.SCHEDULED, Meeting.Status.REQUESTED],
        ).select_related("meeting")
    )
    if not occs:
        return []
    by_meeting: dict[int, list[Attendee]] = {}
    for a in Attendee.objects.filter(meeting__in={o.meeting_id for o in occs}, is_active=True).exclude(rsvp__in=NO_REMINDER).select_related("user"):
        by_meeting.setdefault(a.meeting_id, []).append(a)
    declined = set(
        OccurrenceResponse.objects.filter(occurrence__in=occs, rsvp__in=NO_REMINDER).values_list("attendee_id", "occurrence_id")
    )
    claimed = set(Reminder.objects.filter(occurrence__in=occs).values_list("attendee_id", "occurrence_id", "kind"))
    # When each person was first invited: someone invited after a reminder's moment (an
    # urgent meeting minutes away) has just been told; a reminder on top would be noise.
    invited = dict(
        Delivery.objects.filter(meeting__in={o.meeting_id for o in occs}, kind=Delivery.Kind.REQUEST)
        .values("attendee_id").annotate(first=Min("created_at")).values_list("attendee_id", "first").order_by()
    )
    rules = policies()
    today = now.astimezone(tz).date()
    result = []
    for occ in occs:
        start = occ.start.astimezone(tz)
        for a in by_meeting.get(occ.meeting_id, []):
            if (a.pk, occ.pk) in declined:
                continue
            p = rules.get(a.unit_id, DEFAULT) if a.unit_id else DEFAULT
            eve = start.date() - timedelta(days=1)
            wanted = []
            if p.day_before and today == eve and datetime.combine(eve, p.day_before_at, tzinfo=tz) <= now:
                wanted.append(Reminder.Kind.DAY_BEFORE)
            if p.minutes_before and start - timedelta(minutes=p.minutes_before) <= now:
                wanted.append(Reminder.Kind.SOON)
            moment = {Reminder.Kind.DAY_BEFORE: datetime.combine(eve, p.day_before_at, tzinfo=tz),
                      Reminder.Kind.SOON: start - timedelta(minutes=p.minutes_before or 0)}
            told = invited.get(a.pk)
            wanted = [k for k in wanted if told is not None and told < moment[k]]
            result += [(a, occ, kind) for kind in wanted if (a.pk, occ.pk, kind) not in claimed]
    return result


def claim(attendee: Attendee, occ: Occurrence, kind: str) -> Reminder | None:
    try:
        with transaction.atomic():
            return Reminder.objects.create(attendee=attendee, occurrence=occ, kind=kind)
    except IntegrityError:
        return None  # another worker has it


def run(now: datetime | None = None) -> int:
    """Send every due reminder; returns how many this call sent."""
    now = now or timezone.now()
    sent = 0
    cache: dict[int, ical.MeetingData] = {}
    for attendee, occ, kind in due(now):
        row = claim(attendee, occ, kind)
        if row is None:
            continue
        data = cache.get(occ.meeting_id) or ical.MeetingData.load(occ.meeting)
        cache[occ.meeting_id] = data
        msg = mail.compose(data, attendee, kind="reminder", occurrence=occ)
        try:
            msg.send(using="default")
        except (smtplib.SMTPException, OSError) as exc:
            log.warning("reminder %s to attendee #%s failed: %s", row.pk, attendee.pk, mask_personal_data(exc))
            Reminder.objects.filter(pk=row.pk).update(status=Reminder.Status.FAILED, last_error=str(exc)[:2000])
            continue
        Reminder.objects.filter(pk=row.pk).update(status=Reminder.Status.SENT, sent_at=timezone.now())
        sent += 1
    return sent
