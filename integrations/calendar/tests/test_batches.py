"""The fast paths must not change what is sent or how often: batches of deliveries share one
SMTP connection yet each row is claimed once and marked on its own; the shared calendar
render and the remembering e-mail policy give the very bytes of the slow paths; booking
decisions and online-link changes bump SEQUENCE once."""

from __future__ import annotations

import random
import threading
from email import policy
from unittest import mock

import pytest
from django.core.mail import EmailMultiAlternatives
from django.db import connection, transaction
from django.utils import timezone

from integrations.calendar import delivery, ical
from integrations.calendar.models import Delivery
from integrations.calendar.tests.checks import full_check, mime_ok
from meetings import actions, outbox
from meetings.actions import AttendeeInput, MeetingInput, RoomChoice
from meetings.models import Booking, Meeting, Membership, OutboxMessage
from tests.factories import at, make_user

PEOPLE = ("member", "leader", "unit_admin", "dept_leader", "dept_secretary")


def people(org):
    return [getattr(org, name) for name in PEOPLE]


def test_a_batch_shares_one_smtp_connection_and_marks_each_row(smtp, make_meeting, org, settings):
    settings.INVITATIONS_BATCH_SIZE = 10
    meeting = make_meeting(people=people(org))
    assert len(smtp.messages) == 5
    assert len({m.peer for m in smtp.messages}) == 1
    rows = list(Delivery.objects.filter(meeting=meeting))
    assert {d.status for d in rows} == {Delivery.Status.SENT} and all(d.sent_at for d in rows)
    # Each row carries the Message-ID of its own mail.
    by_rcpt = {m.rcpt_tos[0]: m.message["Message-ID"] for m in smtp.messages}
    assert {d.attendee.email: d.message_id for d in rows} == by_rcpt


def test_batch_size_sets_how_many_connections(smtp, make_meeting, org, settings):
    settings.INVITATIONS_BATCH_SIZE = 2
    make_meeting(people=people(org))
    assert len(smtp.messages) == 5 and len({m.peer for m in smtp.messages}) == 3


def test_one_failing_row_does_not_stop_the_rest_of_its_batch(smtp, make_meeting, org, settings):
    settings.INVITATIONS_BATCH_SIZE = 10
    smtp.refuse[org.leader.email] = "550 5.1.1 No such user"
    smtp.fail_next = 1  # the first DATA answers 451
    meeting = make_meeting(people=people(org))
    rows = {d.attendee.email: d for d in Delivery.objects.filter(meeting=meeting)}
    assert rows[org.leader.email].status == Delivery.Status.FAILED and "550" in rows[org.leader.email].last_error
    retried = [d for d in rows.values() if d.status == Delivery.Status.QUEUED]
    assert len(retried) == 1 and "451" in retried[0].last_error and retried[0].attempts == 1
    assert retried[0].available_at > timezone.now()
    assert sum(d.status == Delivery.Status.SENT for d in rows.values()) == 3
    assert len(smtp.messages) == 3 and len({m.peer for m in smtp.messages}) == 1
    # The retry sends it once, later.
    Delivery.objects.filter(pk=retried[0].pk).update(available_at=timezone.now())
    assert delivery.resend_due() == 1
    assert Delivery.objects.get(pk=retried[0].pk).status == Delivery.Status.SENT
    assert len(smtp.messages) == 4


@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_over_whole_batches_send_each_row_once(smtp, org):
    from integrations.calendar.tests.conftest import monday

    data = MeetingInput(
        title="Họp hai worker", organizing_unit=org.hospital, start=at(monday(), 8, 30), end=at(monday(), 9, 30),
        rooms=[RoomChoice(org.room_a)], attendees=[AttendeeInput(email=p.email) for p in people(org)],
    )
    with mock.patch.object(delivery, "enqueue"):
        meeting = actions.create_meeting(org.secretary, data)
        outbox.drain()
    ids = list(Delivery.objects.filter(meeting=meeting).values_list("pk", flat=True))
    assert len(ids) == 5
    barrier = threading.Barrier(2)
    results: list[dict[int, str]] = []

    def worker(order: list[int]) -> None:
        barrier.wait()
        try:
            results.append(delivery.send_many(order))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(o,)) for o in (ids, ids[::-1])]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    outcomes = [r[pk] for r in results for pk in ids]
    assert outcomes.count("sent") == 5 and outcomes.count("skipped") == 5
    assert sorted(m.rcpt_tos[0] for m in smtp.messages) == sorted(p.email for p in people(org))


def test_a_batch_whose_lease_ran_out_cannot_touch_rows_claimed_again(smtp, make_meeting, org):
    with mock.patch.object(delivery, "enqueue"):
        meeting = make_meeting(people=people(org)[:2])
    ids = list(Delivery.objects.filter(meeting=meeting).values_list("pk", flat=True))
    stale = delivery.claim(ids)
    assert len(stale) == 2 and delivery.claim(ids) == []  # claimed: nobody else gets them
    Delivery.objects.filter(pk__in=ids).update(locked_until=timezone.now() - delivery.LEASE)
    assert set(delivery.send_many(ids).values()) == {Delivery.Status.SENT}  # a re-drive takes over
    token = stale[0].claim
    assert delivery._extend_lease(stale, token) == []
    assert delivery._fail(stale[0], "late", permanent=True, token=token)[0] == Delivery.Status.FAILED
    assert set(Delivery.objects.filter(pk__in=ids).values_list("status", flat=True)) == {Delivery.Status.SENT}
    assert len(smtp.messages) == 2


def test_shared_render_of_a_big_meeting_equals_a_render_per_recipient(smtp, make_meeting, org, settings):
    settings.INVITATIONS_MAX_LISTED_ATTENDEES = 2
    meeting = make_meeting(people=people(org), chair=org.leader, mode="hybrid", online_provider="link",
                           online_details={"url": "https://meet.example.vn/x", "dial_in": "+84 24 1", "passcode": "42"})
    from integrations.calendar import answers

    substitute = make_user("thay.the@bvdk.vn", org.hospital, Membership.Role.MEMBER, full_name="Người Dự Thay")
    answers.delegate(meeting.attendees.get(email=org.member.email), substitute, by_link=True)
    data = ical.MeetingData.load(meeting)
    stamp = timezone.now().replace(microsecond=0)
    assert len(data.attendees) > 2
    for a in data.attendees:
        shared = ical.request(data, a, stamp=stamp)
        assert shared == ical._request(data, None, a, stamp), a.email
        ev = full_check(shared, "REQUEST").walk("VEVENT")[0]
        listed = {str(x).lower().removeprefix("mailto:") for x in ev["ATTENDEE"] if x.params.get("CUTYPE") != "ROOM"}
        assert a.email in listed and org.leader.email in listed and len(listed) <= 3
        assert f"/j/{a.join_token}" in str(ev["DESCRIPTION"])
        cancel = ical.cancel(data, a, stamp=stamp)
        cev = full_check(cancel, "CANCEL").walk("VEVENT")[0]
        assert {str(x).lower().removeprefix("mailto:") for x in cev["ATTENDEE"] if x.params.get("CUTYPE") != "ROOM"} == listed


def test_remembering_email_policy_gives_the_standard_bytes(smtp, make_meeting, org):
    meeting = make_meeting(people=people(org))
    data = ical.MeetingData.load(meeting)
    for d in Delivery.objects.filter(meeting=meeting).select_related("attendee__user", "occurrence"):
        msg = delivery.build(d, data)
        msg.extra_headers.update({"Message-ID": f"<{d.pk}@x>", "Date": "Mon, 07 Sep 2026 08:30:00 +0700"})
        random.seed(d.pk)  # same MIME boundaries
        ours = msg.message(policy=policy.SMTP).as_bytes()
        random.seed(d.pk)
        standard = EmailMultiAlternatives.message(msg, policy=policy.SMTP).as_bytes()
        assert ours == standard
        mime_ok(ours)


# --- SEQUENCE bumps: booking decisions (LOCATION) and online links ----------------------------


def _dept_room_admin(org):
    from meetings.permissions import forget

    admin = org.dept_secretary
    Membership.objects.create(user=admin, unit=org.dept, role=Membership.Role.UNIT_ADMIN)
    forget(admin)
    return admin


def test_rejected_room_sends_an_updated_request_without_it_once(smtp, make_meeting, org, run_commit):
    meeting = make_meeting(rooms=[RoomChoice(org.room_a), RoomChoice(org.hall)])
    booking = Booking.objects.get(occurrence__meeting=meeting, room=org.hall)
    assert booking.status == Booking.Status.REQUESTED
    _msg, ics = mime_ok(smtp.to(org.member.email)[0].data)
    assert "Hội trường Sở" in str(full_check(ics, "REQUEST").walk("VEVENT")[0]["LOCATION"])
    smtp.clear()
    run_commit(actions.reject_booking, _dept_room_admin(org), booking, "Hội trường bận")
    meeting.refresh_from_db()
    assert meeting.sequence == 1
    # The requester's decision e-mail (workspace/notify.py) is not an invitation update.
    decision = [m for m in smtp.messages if m.rcpt_tos == [meeting.created_by.email]]
    assert len(decision) == 1
    smtp.messages[:] = [m for m in smtp.messages if m not in decision]
    assert sorted(m.rcpt_tos[0] for m in smtp.messages) == sorted([org.member.email, org.leader.email])
    for received in smtp.messages:
        msg, ics = mime_ok(received.data)
        assert msg["Subject"].startswith("Thay đổi lịch họp:")
        ev = full_check(ics, "REQUEST").walk("VEVENT")[0]
        assert int(ev["SEQUENCE"]) == 1
        assert "Phòng họp A" in str(ev["LOCATION"]) and "Hội trường Sở" not in str(ev["LOCATION"])
        assert [str(a.params["CN"]) for a in ev["ATTENDEE"] if a.params.get("CUTYPE") == "ROOM"] == ["Phòng họp A"]
    message = OutboxMessage.objects.get(topic=delivery.TOPIC, payload__event="booking_rejected")
    delivery.handle(message)  # handled again: no second bump, nothing re-sent
    meeting.refresh_from_db()
    assert meeting.sequence == 1 and len(smtp.messages) == 2


def test_approved_room_changes_nothing_attendees_see(smtp, make_meeting, org, run_commit):
    meeting = make_meeting(rooms=[RoomChoice(org.hall)])
    smtp.clear()
    run_commit(actions.approve_booking, _dept_room_admin(org), Booking.objects.get(occurrence__meeting=meeting))
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.SCHEDULED and meeting.sequence == 0
    # Attendees get nothing; only the requester hears of the decision (workspace/notify.py).
    assert [m.rcpt_tos for m in smtp.messages] == [[meeting.created_by.email]]
    assert OutboxMessage.objects.filter(topic=delivery.TOPIC, payload__event="booking_approved").exists()


@pytest.mark.django_db(transaction=True)
def test_one_outbox_message_is_planned_once_even_when_two_workers_handle_it(org):
    from integrations.calendar.models import Version
    from integrations.calendar.tests.conftest import monday

    data = MeetingInput(title="Họp hai worker", organizing_unit=org.hospital, start=at(monday(), 8, 30),
                        end=at(monday(), 9, 30), rooms=[RoomChoice(org.room_a)],
                        attendees=[AttendeeInput(email=org.member.email)])
    from meetings import outbox

    with mock.patch.object(delivery, "enqueue"), mock.patch.object(outbox, "_kick"):  # nothing handled yet
        meeting = actions.create_meeting(org.secretary, data)
    barrier = threading.Barrier(2)

    def worker() -> None:
        barrier.wait()
        try:
            delivery.plan_message(meeting, "created", {}, 424242)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert Version.objects.filter(message_id=424242).count() == 1
    assert Delivery.objects.filter(meeting=meeting).count() == 1
    with transaction.atomic():
        assert delivery.plan_message(meeting, "created", {}, 424242) == []
    assert Meeting.objects.get(pk=meeting.pk).sequence == 0
