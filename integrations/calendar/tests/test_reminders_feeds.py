"""Reminders (exactly once, even with two workers) and ICS subscription feeds."""

from __future__ import annotations

import threading
from datetime import time, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from integrations.calendar import answers, reminders
from integrations.calendar.models import FeedToken, Reminder, ReminderSetting
from integrations.calendar.tests.checks import full_check, parse
from meetings import actions
from meetings.actions import AttendeeInput, MeetingInput, RoomChoice, Scope
from meetings.models import Attendee, Membership
from tests.factories import at, working_day

# --- reminders --------------------------------------------------------------------------------


def eve_at(meeting, hh: int, mm: int):
    day = timezone.localtime(meeting.start).date() - timedelta(days=1)
    return at(day, hh, mm)


def test_day_before_and_soon_reminders_go_out_once(smtp, make_meeting, org):
    meeting = make_meeting()
    smtp.clear()
    assert reminders.run(eve_at(meeting, 15, 59)) == 0
    assert reminders.run(eve_at(meeting, 16, 5)) == 2
    assert reminders.run(eve_at(meeting, 17, 0)) == 0
    subjects = sorted(m.message["Subject"] for m in smtp.messages)
    assert all(s.startswith("Nhắc lịch họp: Giao ban tuần") for s in subjects)
    assert reminders.run(meeting.start - timedelta(minutes=31)) == 0
    assert reminders.run(meeting.start - timedelta(minutes=29)) == 2
    assert reminders.run(meeting.start - timedelta(minutes=5)) == 0
    assert Reminder.objects.filter(status=Reminder.Status.SENT).count() == 4
    assert len(smtp.messages) == 4


def test_no_reminders_for_declined_or_cancelled(smtp, make_meeting, org, run_commit):
    meeting = make_meeting()
    answers.respond(Attendee.objects.get(meeting=meeting, email=org.member.email), "declined")
    smtp.clear()
    assert reminders.run(eve_at(meeting, 16, 5)) == 1
    assert [m.rcpt_tos for m in smtp.messages] == [[org.leader.email]]
    series = make_meeting(rrule="FREQ=WEEKLY;COUNT=2;BYDAY=MO", title="Chuỗi", rooms=[RoomChoice(org.room_b)])
    first = series.occurrences.get(index=0)
    run_commit(actions.cancel_meeting, org.secretary, series, scope=Scope.OCCURRENCE, occurrence=first)
    other = make_meeting(title="Sẽ hủy", day=timezone.localtime(meeting.start).date(), rooms=[RoomChoice(org.hall)])
    run_commit(actions.cancel_meeting, org.secretary, other)
    smtp.clear()
    for moment in (eve_at(first, 16, 5), first.start - timedelta(minutes=10), meeting.start - timedelta(minutes=10)):
        reminders.run(moment)
    titles = {m.message["Subject"].split(":")[1].split("–")[0].strip() for m in smtp.messages}
    assert "Chuỗi" not in titles and "Sẽ hủy" not in titles


def test_unit_settings_change_reminder_times(smtp, make_meeting, org):
    ReminderSetting.objects.create(unit=org.hospital, day_before=False, day_before_at=time(16), minutes_before=60)
    meeting = make_meeting()
    smtp.clear()
    assert reminders.run(eve_at(meeting, 16, 30)) == 0
    assert reminders.run(meeting.start - timedelta(minutes=55)) == 2


@pytest.mark.django_db(transaction=True)
def test_two_workers_send_each_reminder_exactly_once(smtp, org):
    people = [org.member, org.leader, org.unit_admin, org.dept_leader, org.dept_secretary, org.outsider]
    day = working_day(10)
    meeting = actions.create_meeting(org.secretary, MeetingInput(
        title="Nhắc hai worker", organizing_unit=org.hospital, start=at(day, 8, 30), end=at(day, 9, 30),
        rooms=[RoomChoice(org.room_a)], attendees=[AttendeeInput(email=p.email) for p in people],
    ))
    smtp.clear()
    now = meeting.start - timedelta(minutes=10)
    barrier = threading.Barrier(2)
    counts: list[int] = []

    def worker() -> None:
        barrier.wait()
        try:
            counts.append(reminders.run(now))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(counts) == len(people)
    assert sorted(m.rcpt_tos[0] for m in smtp.messages) == sorted(p.email for p in people)
    assert Reminder.objects.count() == len(people)


# --- feeds ------------------------------------------------------------------------------------


def subscribe(api, user, **body):
    r = api(user).post("/api/v1/feeds/", body or {"kind": "personal"}, format="json")
    return r


def path_of(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def test_personal_feed(smtp, make_meeting, org, api, run_commit):
    kept = make_meeting(rrule="FREQ=WEEKLY;COUNT=3;BYDAY=MO")
    gone = make_meeting(title="Đã hủy")
    run_commit(actions.cancel_meeting, org.secretary, gone)
    far = make_meeting(title="Quá xa", day=timezone.localdate() + timedelta(days=400))
    r = subscribe(api, org.member)
    assert r.status_code == 201
    body = r.json()
    token = body["url"].rsplit("/", 1)[1].removesuffix(".ics")
    assert body["webcal"].startswith("webcal://") and body["webcal"].endswith(f"/feeds/{token}.ics")
    row = FeedToken.objects.get(pk=body["id"])
    assert row.token_hash != token and len(row.token_hash) == 64
    assert token not in str(list(FeedToken.objects.values()))
    client = Client()
    res = client.get(path_of(body["url"]))
    assert res.status_code == 200 and res["Content-Type"] == "text/calendar; charset=utf-8"
    raw = res.content
    cal = full_check(raw, "PUBLISH")
    text = raw.replace(b"\r\n ", b"").decode()
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT1H" in text and "X-PUBLISHED-TTL:PT1H" in text
    assert "METHOD:REQUEST" not in text and "mailto:" not in text.lower() and org.member.email not in text
    uids = {str(e["UID"]) for e in cal.walk("VEVENT")}
    assert uids == {str(kept.uid)}, (uids, gone.uid, far.uid)
    # ETag → 304; a change → new body.
    etag = res["ETag"]
    assert client.get(path_of(body["url"]), HTTP_IF_NONE_MATCH=etag).status_code == 304
    run_commit(actions.update_meeting, org.secretary, kept, {"title": "Giao ban tuần (đổi)"})
    res2 = client.get(path_of(body["url"]), HTTP_IF_NONE_MATCH=etag)
    assert res2.status_code == 200 and res2["ETag"] != etag
    assert "Giao ban tuần (đổi)" in res2.content.decode()
    # Revoked or wrong tokens → 404.
    assert api(org.member).delete(f"/api/v1/feeds/{row.pk}/").status_code == 204
    assert client.get(path_of(body["url"])).status_code == 404
    assert client.get("/feeds/not-a-token.ics").status_code == 404


def test_unit_and_room_feeds_respect_who_may_see(smtp, make_meeting, org, api):
    meeting = make_meeting(rooms=[RoomChoice(org.room_a), RoomChoice(org.hall)], title="Họp bệnh viện")
    assert subscribe(api, org.outsider, kind="unit", unit="bvdk").status_code == 403
    assert subscribe(api, org.outsider, kind="room", room=org.room_a.pk).status_code == 403
    unit_feed = subscribe(api, org.member, kind="unit", unit="bvdk").json()
    raw = Client().get(path_of(unit_feed["url"])).content
    full_check(raw, "PUBLISH")
    assert str(meeting.uid) in raw.decode() and "Họp bệnh viện" in raw.decode()
    # A shared room anyone may follow, but meetings they may not see show as busy only.
    hall_feed = subscribe(api, org.outsider, kind="room", room=org.hall.pk).json()
    raw = Client().get(path_of(hall_feed["url"])).content
    cal = full_check(raw, "PUBLISH")
    [ev] = cal.walk("VEVENT")
    assert str(ev["SUMMARY"]) == "Bận" and "Họp bệnh viện" not in raw.decode() and "DESCRIPTION" not in ev
    # Leaving the unit ends the unit feed.
    Membership.objects.filter(user=org.member, unit=org.hospital).delete()
    assert Client().get(path_of(unit_feed["url"])).status_code == 404


def test_feed_events_parse_the_same_in_both_expanders(smtp, make_meeting, org, api, run_commit):
    meeting = make_meeting(rrule="FREQ=WEEKLY;COUNT=4;BYDAY=MO")
    occs = list(meeting.occurrences.order_by("index"))
    run_commit(actions.cancel_meeting, org.secretary, meeting, scope=Scope.OCCURRENCE, occurrence=occs[1])
    run_commit(actions.update_meeting, org.secretary, meeting, {"start": occs[2].start + timedelta(hours=3)},
               scope=Scope.OCCURRENCE, occurrence=occs[2])
    feed = subscribe(api, org.member).json()
    raw = Client().get(path_of(feed["url"])).content
    cal = full_check(raw, "PUBLISH")  # includes ical.js == recurring-ical-events
    assert len(cal.walk("VEVENT")) == 2
    assert "EXDATE" in cal.walk("VEVENT")[0]
    assert parse(raw).walk("VEVENT")[1].decoded("DTSTART") == occs[2].start + timedelta(hours=3)
