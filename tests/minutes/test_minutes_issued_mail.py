"""The e-mail after the meeting: issuing the minutes sends every invitee who may open them one
message (over real SMTP, aiosmtpd on loopback) with a one-click link to the issued minutes and
the document; in Vietnamese, or English for those who chose it; never twice; and a
confidential meeting's title stays out of the subject."""

from __future__ import annotations

import re

from django.test import Client
from django.utils import timezone

from integrations.calendar.models import Reminder
from integrations.calendar.tests.conftest import run_commit, smtp  # noqa: F401 - fixtures
from meetings import outbox
from meetings.models import OutboxMessage
from minutes import actions, notices
from tests.factories import sign_off_and_issue

SITE = "https://lich.soyte.example.vn"  # the smtp fixture's SITE_URL


def _issue(run_commit, org, occurrence):  # noqa: F811
    minutes = actions.ensure_minutes(occurrence)
    run_commit(sign_off_and_issue, org.secretary, minutes)
    minutes.refresh_from_db()
    return minutes


def _links(text: str) -> list[str]:
    return re.findall(re.escape(SITE) + r"(/\S+)", text)


def test_issued_minutes_mail_each_invitee_once_with_links_that_open_them(org, briefing, smtp, run_commit):  # noqa: F811
    org.member.language = "en"
    org.member.save(update_fields=["language"])
    minutes = _issue(run_commit, org, briefing.occurrence)

    # Invitees with an account: the chair, the member (English), the CDC doctor who declined,
    # the department secretary who sent a delegate. Guests without an account cannot log in.
    expected = {org.leader.email, org.member.email, briefing.cdc_person.email, org.dept_secretary.email}
    assert sorted(r for m in smtp.messages for r in m.rcpt_tos) == sorted(expected)
    users = {org.leader.email: org.leader, org.member.email: org.member, briefing.cdc_person.email: briefing.cdc_person,
             org.dept_secretary.email: org.dept_secretary}
    for email, user in users.items():
        [received] = smtp.to(email)
        message = received.message
        body = message.get_content()
        page = f"/minutes/{briefing.occurrence.pk}/"
        links = _links(body)
        assert page in links and any(link.startswith("/archive/documents/") for link in links)
        if user == org.member:
            assert message["Subject"] == "[Quorum] Minutes issued: Giao ban bệnh viện"
            assert body.startswith("Dear ") and "have been issued" in body
        else:
            assert message["Subject"] == "[Quorum] Biên bản đã ban hành: Giao ban bệnh viện"
            assert body.startswith("Kính gửi ") and "đã được ban hành" in body
        # One click (after logging in) opens the issued minutes, and the document.
        client = Client()
        client.force_login(user)
        for link in links:
            response = client.get(link)
            assert response.status_code == 200, (email, link)
            assert "Giao ban bệnh viện" in response.content.decode()
    assert set(Reminder.objects.filter(kind=Reminder.Kind.MINUTES, status=Reminder.Status.SENT)
               .values_list("attendee__email", flat=True)) == expected

    # Sent once only: the same notice again (a retried outbox row, a second worker) sends nothing.
    again = OutboxMessage.objects.create(topic=notices.TOPIC, meeting=briefing.meeting,
                                         payload={"minutes": minutes.pk, "document": minutes.documents.get().pk})
    assert outbox.process(again.pk) == OutboxMessage.Status.DONE
    assert len(smtp.messages) == len(expected)


def test_a_failed_send_is_retried_and_still_reaches_each_invitee_once(org, briefing, smtp, run_commit):  # noqa: F811
    smtp.fail_next = 1  # the first message gets a 451
    _issue(run_commit, org, briefing.occurrence)
    assert len(smtp.messages) == 3
    row = OutboxMessage.objects.get(topic=notices.TOPIC)
    assert row.status == OutboxMessage.Status.PENDING and "not sent" in row.last_error
    OutboxMessage.objects.filter(pk=row.pk).update(available_at=timezone.now())
    outbox.drain()
    assert len(smtp.messages) == 4
    assert sorted(r for m in smtp.messages for r in m.rcpt_tos) == sorted(
        {org.leader.email, org.member.email, briefing.cdc_person.email, org.dept_secretary.email})


def test_confidential_minutes_mail_keeps_the_title_out_of_the_subject(org, confidential, smtp, run_commit):  # noqa: F811
    _issue(run_commit, org, confidential.occurrence)
    # The invitee and the chair (the chair is invited); the secretary who booked it is not invited.
    assert sorted(r for m in smtp.messages for r in m.rcpt_tos) == sorted([confidential.invitee.email, org.dept_leader.email])
    for received in smtp.messages:
        subject = received.message["Subject"]
        assert "Họp mật" not in subject and "một cuộc họp mật của BVĐK" in subject
        assert f"/minutes/{confidential.occurrence.pk}/" in received.message.get_content()
