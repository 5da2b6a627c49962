"""QĐ 45/2018 notices: the secretary is reminded before the due date, the chair told once it
passes, owners reminded before an action item is due; each exactly once (time passed in)."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.core import mail
from django.utils import timezone

from archive import deadlines
from archive.models import DeadlineNotice
from meetings.workdays import WorkCalendar
from minutes import actions
from minutes.models import Minutes
from tests.factories import TZ


def at_day(day, hh=9):
    return datetime.combine(day, time(hh), tzinfo=TZ)


def test_held_sittings_get_minutes_and_due_dates(org, briefing):
    assert not Minutes.objects.exists()
    after = briefing.occurrence.end + timedelta(hours=1)
    assert deadlines.sweep(after)["opened"] == 1
    minutes = Minutes.objects.get()
    assert minutes.due_date == actions.minutes_due_date(briefing.occurrence)


def test_secretary_reminded_once_then_chair_told_once(org, briefing):
    minutes = actions.ensure_minutes(briefing.occurrence)
    due = minutes.due_date
    cal = WorkCalendar(due - timedelta(days=10), due)
    mail.outbox.clear()
    too_early = at_day(cal.subtract_working_days(due, 2))
    deadlines.sweep(too_early)
    assert mail.outbox == []
    day_before = at_day(cal.subtract_working_days(due, 1))
    deadlines.sweep(day_before)
    deadlines.sweep(day_before + timedelta(hours=1))  # the next hourly sweep: nothing new
    assert len(mail.outbox) == 1
    reminder = mail.outbox[0]
    assert "Nhắc hạn ban hành biên bản" in reminder.subject and org.secretary.email in reminder.to
    assert "Giao ban bệnh viện" in reminder.body
    after_due = at_day(due + timedelta(days=1))
    for hour in range(3):
        deadlines.sweep(after_due + timedelta(hours=hour))
    assert len(mail.outbox) == 2
    overdue = mail.outbox[1]
    assert overdue.to == [org.leader.email] and "Biên bản quá hạn" in overdue.subject
    assert set(DeadlineNotice.objects.values_list("kind", flat=True)) == {"reminder", "overdue"}


def test_issued_minutes_get_no_overdue_notice(org, briefing):
    from tests.archive.conftest import issue

    doc = issue(org, briefing.occurrence)
    mail.outbox.clear()
    deadlines.sweep(at_day(doc.minutes.due_date + timedelta(days=2)))
    assert mail.outbox == []


def test_action_item_owner_reminded_the_working_day_before(org, briefing):
    minutes = actions.ensure_minutes(briefing.occurrence)
    today = timezone.localdate()
    due = WorkCalendar(today, today + timedelta(days=20)).add_working_days(today, 3)
    actions.add_action_item(org.secretary, minutes, {"what": "Nộp báo cáo quý", "owner_user": org.member.pk,
                                                     "due_date": due.isoformat()})
    mail.outbox.clear()
    before = WorkCalendar(today, due).subtract_working_days(due, 1)
    deadlines.send_pending(timezone.now())
    deadlines.plan_notices(at_day(before))
    deadlines.plan_notices(at_day(before))
    deadlines.send_pending(at_day(before))
    sent = [m for m in mail.outbox if "Việc sắp đến hạn" in m.subject]
    assert len(sent) == 1 and sent[0].to == [org.member.email]
