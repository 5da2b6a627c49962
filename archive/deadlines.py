"""QĐ 45/2018 deadlines, swept hourly (archive.tasks.minutes_deadlines):

- every held sitting gets its minutes row, hence its due date (5 working days after);
- the organizing unit's secretaries (and whoever booked) are reminded N working days before;
- the chair is told once the due date has passed and the minutes are not issued;
- owners of action items are reminded the working day before an item is due.

Each notice is a DeadlineNotice row, unique per minutes (or item) and kind: created once even
when two sweeps overlap, then claimed with a conditional UPDATE before the mail goes out, so a
notice is sent exactly once (a failed send releases the claim for the next sweep).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from archive.models import DeadlineNotice
from meetings.formatting import vn_date
from meetings.models import Meeting, Membership, Occurrence
from meetings.workdays import WorkCalendar
from minutes import actions
from minutes.models import ActionItem, Minutes

log = logging.getLogger(__name__)
LOOKBACK = timedelta(days=45)  # older history is the archive's business, not the reminders'
BATCH = 200


def open_minutes_for_held(now: datetime) -> int:
    """Minutes rows (with due dates) for sittings that ended and have none yet."""
    pending = (Occurrence.objects.filter(end__lt=now, end__gte=now - LOOKBACK, minutes__isnull=True)
               .exclude(status=Occurrence.Status.CANCELLED)
               .exclude(meeting__status__in=[Meeting.Status.CANCELLED, Meeting.Status.DRAFT])
               .select_related("meeting")[:BATCH])
    count = 0
    for occurrence in pending:
        actions.ensure_minutes(occurrence)
        count += 1
    return count


def _secretaries(minutes: Minutes) -> list[str]:
    meeting = minutes.occurrence.meeting
    emails = set(Membership.objects.filter(unit_id=meeting.organizing_unit_id, role=Membership.Role.SECRETARY,
                                           user__is_active=True).values_list("user__email", flat=True))
    if meeting.created_by_id and meeting.created_by.email:
        emails.add(meeting.created_by.email)
    return sorted(emails)


def plan_notices(now: datetime) -> int:
    today = timezone.localtime(now).date()
    calendar = WorkCalendar(today - LOOKBACK, today + timedelta(days=30))
    open_minutes = (Minutes.objects.exclude(status=Minutes.Status.ISSUED)
                    .filter(due_date__isnull=False, due_date__gte=today - LOOKBACK, occurrence__end__lt=now)
                    .exclude(occurrence__status=Occurrence.Status.CANCELLED)
                    .select_related("occurrence__meeting__chair", "occurrence__meeting__created_by"))
    rows = []
    for m in open_minutes:
        if m.due_date < today and m.occurrence.meeting.chair_id:
            rows.append(DeadlineNotice(minutes=m, kind=DeadlineNotice.Kind.OVERDUE,
                                       recipients=[m.occurrence.meeting.chair.email]))
        elif m.due_date >= today and today >= calendar.subtract_working_days(m.due_date, settings.ARCHIVE_REMIND_DAYS_BEFORE):
            rows.append(DeadlineNotice(minutes=m, kind=DeadlineNotice.Kind.REMINDER, recipients=_secretaries(m)))
    tomorrow = calendar.add_working_days(today, 1)
    items = (ActionItem.objects.filter(status=ActionItem.Status.OPEN, due_date__gte=today, due_date__lte=tomorrow)
             .filter(Q(owner_user__isnull=False)).select_related("owner_user"))
    rows += [DeadlineNotice(action_item=i, kind=DeadlineNotice.Kind.ACTION_REMINDER, recipients=[i.owner_user.email])
             for i in items if i.owner_user.email]
    # The unique constraints make a second sweep (or a concurrent one) add nothing.
    DeadlineNotice.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def _message(notice: DeadlineNotice) -> tuple[str, str]:
    if notice.action_item_id:
        item = notice.action_item
        return (_("[Quorum] Việc sắp đến hạn: %(what)s") % {"what": item.what[:80]},
                _("Việc “%(what)s” (biên bản cuộc họp “%(title)s”) đến hạn %(due)s.\n\nCập nhật trạng thái: %(link)s")
                % {"what": item.what, "title": item.minutes.occurrence.meeting.title, "due": vn_date(item.due_date),
                   "link": f"{settings.SITE_URL}/actions/mine/"})
    m = notice.minutes
    meeting = m.occurrence.meeting
    values = {"title": meeting.title, "short": meeting.title[:80], "due": vn_date(m.due_date),
              "state": m.get_status_display(), "link": f"{settings.SITE_URL}/minutes/{m.occurrence_id}/"}
    if notice.kind == DeadlineNotice.Kind.OVERDUE:
        return (_("[Quorum] Biên bản quá hạn: %(short)s") % values,
                _("Biên bản cuộc họp “%(title)s” phải ban hành trước hết ngày %(due)s (QĐ 45/2018/QĐ-TTg: 5 ngày "
                  "làm việc sau cuộc họp) nhưng chưa ban hành (trạng thái: %(state)s).\n\n%(link)s") % values)
    return (_("[Quorum] Nhắc hạn ban hành biên bản: %(short)s") % values,
            _("Biên bản cuộc họp “%(title)s” cần ban hành chậm nhất ngày %(due)s (trạng thái: %(state)s).\n\n%(link)s")
            % values)


def send_pending(now: datetime) -> int:
    sent = 0
    pending = DeadlineNotice.objects.filter(sent_at__isnull=True).select_related(
        "minutes__occurrence__meeting", "action_item__minutes__occurrence__meeting")[:BATCH]
    for notice in pending:
        # Claim first: only the sweep whose UPDATE changed the row sends the mail.
        if not DeadlineNotice.objects.filter(pk=notice.pk, sent_at__isnull=True).update(sent_at=now):
            continue
        if not notice.recipients:
            continue
        subject, body = _message(notice)
        try:
            send_mail(subject, body, None, notice.recipients)
        except Exception:
            log.exception("deadline notice %s not sent; retried on the next sweep", notice.pk)
            DeadlineNotice.objects.filter(pk=notice.pk).update(sent_at=None)
            continue
        sent += 1
    return sent


def sweep(now: datetime | None = None) -> dict[str, int]:
    now = now or timezone.now()
    return {"opened": open_minutes_for_held(now), "planned": plan_notices(now), "sent": send_pending(now)}
