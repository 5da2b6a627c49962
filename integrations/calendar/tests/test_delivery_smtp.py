"""Invitations travel over real SMTP (aiosmtpd on loopback, Django's SMTP backend) and the
received bytes are parsed: who gets what, with which METHOD and SEQUENCE, exactly once."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from integrations.calendar import delivery
from integrations.calendar.models import Delivery
from integrations.calendar.tests.checks import full_check, mime_ok, parse
from meetings import actions, outbox
from meetings.actions import AttendeeInput, Scope
from meetings.models import Attendee, OutboxMessage
from tests.factories import at


def ics_of(received):
    return mime_ok(received.data)[1]


def test_created_meeting_mails_every_attendee_a_request(smtp, make_meeting, org):
    meeting = make_meeting()
    emails = set(meeting.attendees.filter(is_active=True).values_list("email", flat=True))
    assert emails == {org.member.email, org.leader.email}
    assert len(smtp.messages) == 2
    for received in smtp.messages:
        msg, ics = mime_ok(received.data)
        cal = full_check(ics, "REQUEST")
        ev = cal.walk("VEVENT")[0]
        assert str(ev["UID"]) == str(meeting.uid)
        assert int(ev["SEQUENCE"]) == 0
        assert msg["Subject"].startswith("Mời họp: Giao ban tuần – ")
        assert msg["Reply-To"] == org.secretary.email
        assert "lichhop@quorum.localhost" in msg["From"]
        # Every recipient is an ATTENDEE; rooms are CUTYPE=ROOM; the chair is CHAIR.
        attendees = {str(a).lower().removeprefix("mailto:"): a.params for a in ev["ATTENDEE"]}
        assert received.rcpt_tos[0] in attendees
        assert attendees[org.leader.email]["ROLE"] == "CHAIR"
        assert attendees[org.member.email]["ROLE"] == "REQ-PARTICIPANT"
        assert attendees[org.member.email]["PARTSTAT"] == "NEEDS-ACTION"
        rooms = [p for p in attendees.values() if p.get("CUTYPE") == "ROOM"]
        assert len(rooms) == 1 and rooms[0]["CN"] == "Phòng họp A"
        assert "Phòng họp A (BVĐK tỉnh, Tầng 2)" in str(ev["LOCATION"])
        assert "Tình hình khám chữa bệnh" in str(ev["DESCRIPTION"])
        assert str(ev["ORGANIZER"].params["CN"]) == "Bệnh viện Đa khoa tỉnh"
        body = msg.get_body(("plain",)).get_content()
        local = timezone.localtime(meeting.start)
        assert f"{local:%d/%m/%Y}, 08:30 – 10:00" in body
        assert "/invitations/answer/" in body and "?r=accepted" in body
    assert set(Delivery.objects.values_list("status", flat=True)) == {Delivery.Status.SENT}


def test_english_speaker_gets_english_subject(smtp, make_meeting, org):
    org.member.language = "en"
    org.member.save()
    make_meeting()
    msg = smtp.to(org.member.email)[0].message
    assert msg["Subject"].startswith("Invitation: Giao ban tuần")
    assert "Will you attend?" in msg.get_body(("plain",)).get_content()
    assert smtp.to(org.leader.email)[0].message["Subject"].startswith("Mời họp:")


def test_update_sends_higher_sequence_and_uninvite_goes_to_removed_person_alone(smtp, make_meeting, org, run_commit):
    meeting = make_meeting(people=[org.member, org.leader, org.unit_admin])
    smtp.clear()
    new_day = timezone.localtime(meeting.start).date() + timedelta(days=1)
    run_commit(actions.update_meeting, org.secretary, meeting, {
        "start": at(new_day, 14, 0), "end": at(new_day, 15, 0),
        "attendees": [AttendeeInput(email=org.member.email), AttendeeInput(email=org.leader.email)],
    })
    meeting.refresh_from_db()
    assert meeting.sequence == 1
    to_removed = smtp.to(org.unit_admin.email)
    assert len(to_removed) == 1
    msg, ics = mime_ok(to_removed[0].data)
    cal = full_check(ics, "CANCEL")
    ev = cal.walk("VEVENT")[0]
    assert msg["Subject"].startswith("Hủy cuộc họp:")
    assert "STATUS" not in ev
    people = ev["ATTENDEE"] if isinstance(ev["ATTENDEE"], list) else [ev["ATTENDEE"]]
    assert [str(a).lower() for a in people] == [f"mailto:{org.unit_admin.email}"]
    assert int(ev["SEQUENCE"]) == 1 and str(ev["UID"]) == str(meeting.uid)
    for person in (org.member, org.leader):
        [received] = smtp.to(person.email)
        msg, ics = mime_ok(received.data)
        assert msg["Subject"].startswith("Thay đổi lịch họp:")
        ev = full_check(ics, "REQUEST").walk("VEVENT")[0]
        assert int(ev["SEQUENCE"]) == 1
        assert ev.decoded("DTSTART") == at(new_day, 14, 0)
        emails = {str(a).lower() for a in ev["ATTENDEE"]}
        assert f"mailto:{org.unit_admin.email}" not in emails


def test_cancel_sends_cancel_with_status_cancelled(smtp, make_meeting, org, run_commit):
    meeting = make_meeting()
    smtp.clear()
    run_commit(actions.cancel_meeting, org.secretary, meeting, reason="Trùng lịch của UBND tỉnh")
    assert len(smtp.messages) == 2
    for received in smtp.messages:
        msg, ics = mime_ok(received.data)
        ev = full_check(ics, "CANCEL").walk("VEVENT")[0]
        assert str(ev["STATUS"]) == "CANCELLED" and int(ev["SEQUENCE"]) == 1
        assert msg["Subject"].startswith("Hủy cuộc họp:")
        assert "Trùng lịch của UBND tỉnh" in msg.get_body(("plain",)).get_content()


def test_confidential_meeting_keeps_agenda_out_of_mail_and_calendar(smtp, make_meeting, org):
    make_meeting(sensitivity="confidential", agenda="Nhân sự lãnh đạo: bí mật")
    for received in smtp.messages:
        assert "bí mật".encode() not in received.data
        msg, ics = mime_ok(received.data)
        assert "bí mật" not in msg.get_body(("plain",)).get_content()
        assert "bí mật" not in msg.get_body(("html",)).get_content()
        assert "bí mật" not in ics.decode()
        assert "Cuộc họp mật" in msg.get_body(("plain",)).get_content()


def test_online_meeting_has_personal_join_link_and_dial_in(smtp, make_meeting, org):
    make_meeting(mode="hybrid", online_provider="link", online_details={
        "url": "https://meet.example.vn/abc", "dial_in": "+84 24 1234 5678", "passcode": "246810"})
    member = Attendee.objects.get(email=org.member.email)
    _msg, ics = mime_ok(smtp.to(org.member.email)[0].data)
    desc = str(parse(ics).walk("VEVENT")[0]["DESCRIPTION"])
    assert f"https://lich.soyte.example.vn/j/{member.join_token}" in desc
    assert "+84 24 1234 5678" in desc and "246810" in desc
    other = Attendee.objects.get(email=org.leader.email)
    assert member.join_token not in smtp.to(org.leader.email)[0].data.decode("ascii", "replace")
    assert f"/j/{other.join_token}" in str(parse(mime_ok(smtp.to(org.leader.email)[0].data)[1]).walk("VEVENT")[0]["DESCRIPTION"])


def test_handler_and_send_are_idempotent(smtp, make_meeting, org):
    meeting = make_meeting()
    assert len(smtp.messages) == 2
    # The outbox row handled again (a retry after a crash) plans nothing new and sends nothing.
    message = OutboxMessage.objects.get(topic=delivery.TOPIC, meeting=meeting)
    delivery.handle(message)
    assert delivery.plan(meeting, "created", {}) == []
    for d in Delivery.objects.all():
        assert delivery.send(d.pk) == "skipped"
    assert Delivery.objects.count() == 2
    assert len(smtp.messages) == 2


@pytest.mark.django_db(transaction=True)
def test_two_workers_never_send_the_same_sequence_twice(smtp, org):
    from integrations.calendar.tests.conftest import monday
    from meetings.actions import MeetingInput, RoomChoice

    people = [org.member, org.leader, org.unit_admin, org.dept_leader, org.dept_secretary]
    data = MeetingInput(
        title="Họp hai worker", organizing_unit=org.hospital, start=at(monday(), 8, 30), end=at(monday(), 9, 30),
        rooms=[RoomChoice(org.room_a)], attendees=[AttendeeInput(email=p.email) for p in people],
    )
    # Plan without sending (as if the kick were lost), then two workers race over the rows.
    from unittest import mock

    with mock.patch.object(delivery, "enqueue"):
        meeting = actions.create_meeting(org.secretary, data)
        outbox.drain()
    ids = list(Delivery.objects.filter(meeting=meeting).values_list("pk", flat=True))
    assert len(ids) == 5
    barrier = threading.Barrier(2)
    results: list[str] = []

    def worker() -> None:
        barrier.wait()
        try:
            for pk in ids:
                results.append(delivery.send(pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count("sent") == 5 and results.count("skipped") == 5
    assert sorted(m.rcpt_tos[0] for m in smtp.messages) == sorted(p.email for p in people)


def test_smtp_failure_is_retried_with_backoff_then_sent(smtp, make_meeting, org):
    smtp.fail_next = 2
    meeting = make_meeting()
    rows = list(Delivery.objects.filter(meeting=meeting))
    queued = [d for d in rows if d.status == Delivery.Status.QUEUED]
    assert len(queued) == 2 and all("451" in d.last_error for d in queued)
    assert all(d.available_at > timezone.now() + timedelta(seconds=20) for d in queued)
    assert len(smtp.messages) == 0
    # Not due yet: the periodic re-drive leaves them alone.
    assert delivery.resend_due() == 0
    Delivery.objects.update(available_at=timezone.now())
    assert delivery.resend_due() == 2
    assert set(Delivery.objects.values_list("status", flat=True)) == {Delivery.Status.SENT}
    assert len(smtp.messages) == 2


def test_refused_address_is_failed_with_reason_and_visible_to_secretary(smtp, make_meeting, org, api):
    smtp.refuse[org.member.email] = "550 5.1.1 No such user"
    meeting = make_meeting()
    d = Delivery.objects.get(attendee__email=org.member.email)
    assert d.status == Delivery.Status.FAILED and "550" in d.last_error
    body = api(org.secretary).get(f"/api/v1/meetings/{meeting.uid}/deliveries/").json()
    assert body["counts"] == {"failed": 1, "sent": 1}
    failed = [x for x in body["deliveries"] if x["status"] == "failed"]
    assert failed[0]["email"] == org.member.email and "550" in failed[0]["error"]
    assert api(org.member).get(f"/api/v1/meetings/{meeting.uid}/deliveries/").status_code == 403
    assert api(org.outsider).get(f"/api/v1/meetings/{meeting.uid}/deliveries/").status_code == 404


def test_series_request_and_single_occurrence_changes(smtp, make_meeting, org, run_commit):
    meeting = make_meeting(rrule="FREQ=WEEKLY;COUNT=4;BYDAY=MO")
    occs = list(meeting.occurrences.order_by("index"))
    _, ics = mime_ok(smtp.to(org.member.email)[0].data)
    js_cal = full_check(ics, "REQUEST")
    assert "RRULE" in js_cal.walk("VEVENT")[0]
    smtp.clear()
    # Move the second sitting: an override-only REQUEST with RECURRENCE-ID and a higher SEQUENCE.
    second = occs[1]
    moved_to = second.start + timedelta(hours=5)
    run_commit(actions.update_meeting, org.secretary, meeting, {"start": moved_to, "end": moved_to + timedelta(hours=1)},
               scope=Scope.OCCURRENCE, occurrence=second)
    msg, ics = mime_ok(smtp.to(org.member.email)[0].data)
    cal = full_check(ics, "REQUEST")
    [ev] = cal.walk("VEVENT")
    assert ev.decoded("RECURRENCE-ID") == second.recurrence_id
    assert ev.decoded("DTSTART") == moved_to
    assert int(ev["SEQUENCE"]) == 1 and "RRULE" not in ev
    smtp.clear()
    # Cancel the third: CANCEL with RECURRENCE-ID.
    third = occs[2]
    run_commit(actions.cancel_meeting, org.secretary, meeting, scope=Scope.OCCURRENCE, occurrence=third)
    msg, ics = mime_ok(smtp.to(org.member.email)[0].data)
    assert msg["Subject"].startswith("Hủy một buổi họp:")
    [ev] = full_check(ics, "CANCEL").walk("VEVENT")
    assert ev.decoded("RECURRENCE-ID") == third.recurrence_id and str(ev["STATUS"]) == "CANCELLED"
    assert int(ev["SEQUENCE"]) == 2  # above the 1 of the moved sitting: one counter per UID


def test_split_updates_old_series_and_invites_to_new(smtp, make_meeting, org, run_commit):
    meeting = make_meeting(rrule="FREQ=WEEKLY;COUNT=4;BYDAY=MO")
    third = meeting.occurrences.get(index=2)
    smtp.clear()
    new = run_commit(actions.update_meeting, org.secretary, meeting, {"title": "Giao ban tuần (mới)"},
                     scope=Scope.FOLLOWING, occurrence=third)
    assert new.uid != meeting.uid
    mails = smtp.to(org.member.email)
    by_uid = {}
    for received in mails:
        _, ics = mime_ok(received.data)
        cal = full_check(ics, "REQUEST")
        by_uid[str(cal.walk("VEVENT")[0]["UID"])] = cal.walk("VEVENT")[0]
    assert set(by_uid) == {str(meeting.uid), str(new.uid)}
    old_ev = by_uid[str(meeting.uid)]
    assert int(old_ev["SEQUENCE"]) == 1 and "UNTIL=" in old_ev["RRULE"].to_ical().decode()
    new.refresh_from_db()
    assert int(by_uid[str(new.uid)]["SEQUENCE"]) == new.sequence
    subjects = {str(parse(mime_ok(r.data)[1]).walk("VEVENT")[0]["UID"]): r.message["Subject"] for r in mails}
    assert subjects[str(new.uid)].startswith("Mời họp:")
    assert subjects[str(meeting.uid)].startswith("Thay đổi lịch họp:")
    old_mail = next(r for r in mails if str(parse(mime_ok(r.data)[1]).walk("VEVENT")[0]["UID"]) == str(meeting.uid))
    old_text = old_mail.message.get_body(("plain",)).get_content()
    assert "thuộc một chuỗi mới" in old_text and "Hủy buổi" not in old_text
    assert str(by_uid[str(new.uid)]["SUMMARY"]) == "Giao ban tuần (mới)"


def test_big_meetings_list_only_chair_and_recipient(smtp, make_meeting, org, settings):
    settings.INVITATIONS_MAX_LISTED_ATTENDEES = 2
    make_meeting(people=[org.member, org.leader, org.unit_admin])
    assert len(smtp.messages) == 3
    _msg, ics = mime_ok(smtp.to(org.member.email)[0].data)
    ev = full_check(ics, "REQUEST").walk("VEVENT")[0]
    listed = {str(a).lower() for a in ev["ATTENDEE"] if a.params.get("CUTYPE") != "ROOM"}
    assert listed == {f"mailto:{org.member.email}", f"mailto:{org.leader.email}"}


def test_online_link_changed_sends_one_update_only_when_the_link_changed(smtp, make_meeting, org, run_commit):
    from django.db import transaction

    from integrations.online.models import OnlineRoom

    meeting = make_meeting(mode="online", rooms=[], online_provider="link",
                           online_details={"url": "https://vc.soyte.vn/phong-1", "passcode": "1111"})
    # One invitation each, already with the link (no "change" a second later).
    assert len(smtp.messages) == 2
    assert all(m.message["Subject"].startswith("Mời họp:") for m in smtp.messages)
    assert "1111" in smtp.messages[0].message.get_body(("plain",)).get_content()
    smtp.clear()

    def emit() -> None:
        with transaction.atomic():
            outbox.emit(meeting, "online_link_changed", occurrence_ids=[meeting.occurrences.get().pk])

    run_commit(emit)  # nothing changed: nothing sent, SEQUENCE stays
    meeting.refresh_from_db()
    assert meeting.sequence == 0 and smtp.messages == []
    OnlineRoom.objects.filter(occurrence__meeting=meeting).update(passcode="2222")
    run_commit(emit)
    meeting.refresh_from_db()
    assert meeting.sequence == 1
    assert len(smtp.messages) == 2
    for received in smtp.messages:
        msg, ics = mime_ok(received.data)
        assert msg["Subject"].startswith("Thay đổi lịch họp:")
        assert "Cập nhật thông tin họp trực tuyến" in msg.get_body(("plain",)).get_content()
        assert int(full_check(ics, "REQUEST").walk("VEVENT")[0]["SEQUENCE"]) == 1
    message = OutboxMessage.objects.filter(topic=delivery.TOPIC, payload__event="online_link_changed").last()
    delivery.handle(message)  # handled again: no second bump, nothing re-sent
    meeting.refresh_from_db()
    assert meeting.sequence == 1 and len(smtp.messages) == 2
