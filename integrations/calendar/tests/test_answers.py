"""Signed answer links (no login), delegation, answers per unit, and bad input."""

from __future__ import annotations

import re
from unittest import mock

from django.core import signing
from django.test import Client

from integrations.calendar import answers
from integrations.calendar.models import Delivery
from integrations.calendar.tests.checks import full_check, mime_ok
from meetings import actions
from meetings.models import Attendee, AuditEntry, Membership
from tests.factories import at, make_user, working_day


def link_from_mail(received, answer: str) -> str:
    body = received.message.get_body(("plain",)).get_content()
    url = re.search(r"https://lich\.soyte\.example\.vn(/invitations/answer/[^\s?]+/)\?r=" + answer, body).group(1)
    return url


def test_answer_link_records_answer_and_comment_without_login(smtp, make_meeting, org):
    meeting = make_meeting()
    path = link_from_mail(smtp.to(org.member.email)[0], "accepted")
    client = Client()
    page = client.get(path + "?r=accepted")
    assert page.status_code == 200 and "Giao ban tuần" in page.content.decode()
    # GET alone (a link scanner) changes nothing.
    assert Attendee.objects.get(meeting=meeting, email=org.member.email).rsvp == Attendee.Rsvp.NEEDS_ACTION
    done = client.post(path, {"action": "answer", "rsvp": "tentative", "comment": "Có thể đến muộn 15 phút"})
    assert done.status_code == 200 and "Đã ghi nhận" in done.content.decode()
    a = Attendee.objects.get(meeting=meeting, email=org.member.email)
    assert (a.rsvp, a.rsvp_comment) == (Attendee.Rsvp.TENTATIVE, "Có thể đến muộn 15 phút")
    assert AuditEntry.objects.filter(action="attendee.responded", object_id=str(a.pk)).exists()


def test_tampered_and_expired_links_change_nothing(smtp, make_meeting, org):
    meeting = make_meeting()
    path = link_from_mail(smtp.to(org.member.email)[0], "accepted")
    client = Client()
    tampered = path[:-3] + ("A" if path[-3] != "A" else "B") + path[-2:]
    r = client.post(tampered, {"action": "answer", "rsvp": "accepted"})
    assert r.status_code == 400 and "không hợp lệ" in r.content.decode()
    # Another attendee's id in a forged payload fails the signature too.
    forged = signing.dumps({"a": Attendee.objects.get(meeting=meeting, email=org.leader.email).pk, "m": meeting.uid.hex}, salt="other")
    assert client.post(f"/invitations/answer/{forged}/", {"rsvp": "accepted"}).status_code == 400
    with mock.patch.object(answers, "max_age", return_value=-1):
        r = client.post(path, {"action": "answer", "rsvp": "accepted"})
    assert r.status_code == 410 and "hết hạn" in r.content.decode()
    assert set(meeting.attendees.values_list("rsvp", flat=True)) == {Attendee.Rsvp.NEEDS_ACTION}


def test_answer_to_cancelled_meeting_is_refused_clearly(smtp, make_meeting, org, run_commit):
    meeting = make_meeting()
    path = link_from_mail(smtp.to(org.member.email)[0], "declined")
    run_commit(actions.cancel_meeting, org.secretary, meeting)
    r = Client().post(path, {"action": "answer", "rsvp": "declined"})
    assert r.status_code == 409 and "đã bị hủy" in r.content.decode()
    assert Attendee.objects.get(meeting=meeting, email=org.member.email).rsvp == Attendee.Rsvp.NEEDS_ACTION


def test_bad_answer_value_is_a_clear_error(smtp, make_meeting, org):
    meeting = make_meeting()
    path = link_from_mail(smtp.to(org.member.email)[0], "accepted")
    r = Client().post(path, {"action": "answer", "rsvp": "maybe"})
    assert r.status_code == 400 and "Hãy chọn Tham dự, Chưa chắc chắn hoặc Không tham dự." in r.content.decode()
    assert "accepted" not in r.content.decode().split("<main")[1].split("<form")[0]  # no internal code (D13)
    assert Attendee.objects.get(meeting=meeting, email=org.member.email).rsvp == Attendee.Rsvp.NEEDS_ACTION


def test_delegation_by_link_invites_substitute_with_delegated_from(smtp, make_meeting, org):
    deputy = make_user("phogiamdoc@bvdk.vn", org.hospital, Membership.Role.MEMBER, full_name="Phó Giám Đốc")
    meeting = make_meeting()
    path = link_from_mail(smtp.to(org.member.email)[0], "accepted")
    client = Client()
    assert "Phó Giám Đốc" in client.get(path).content.decode()  # offered as a substitute
    smtp.clear()
    with_callbacks = client.post(path, {"action": "delegate", "substitute": deputy.pk, "comment": "Đi công tác"})
    assert with_callbacks.status_code == 200
    from meetings import outbox

    outbox.drain()  # the test transaction holds on_commit; drive the outbox as the drainer would
    original = Attendee.objects.get(meeting=meeting, email=org.member.email)
    sub = Attendee.objects.get(meeting=meeting, email=deputy.email)
    assert original.rsvp == Attendee.Rsvp.DELEGATED and sub.delegated_from_id == original.pk
    from integrations.calendar import delivery

    for d in Delivery.objects.filter(attendee=sub):
        delivery.send(d.pk)
    [received] = smtp.to(deputy.email)
    msg, ics = mime_ok(received.data)
    assert msg["Subject"].startswith("Mời họp:")
    ev = full_check(ics, "REQUEST").walk("VEVENT")[0]
    params = {str(a).lower(): a.params for a in ev["ATTENDEE"]}
    assert params[f"mailto:{deputy.email}"]["DELEGATED-FROM"].lower() == f"mailto:{org.member.email}"
    assert params[f"mailto:{org.member.email}"]["DELEGATED-TO"].lower() == f"mailto:{deputy.email}"
    assert params[f"mailto:{org.member.email}"]["PARTSTAT"] == "DELEGATED"
    assert AuditEntry.objects.filter(action="attendee.delegated", object_id=str(original.pk)).exists()


def test_delegation_through_api_by_secretary_and_refusals(smtp, make_meeting, org, api):
    meeting = make_meeting()
    member = Attendee.objects.get(meeting=meeting, email=org.member.email)
    url = f"/api/v1/meetings/{meeting.uid}/attendees/{member.pk}/delegate/"
    # Not from the same unit: refused, naming the person.
    r = api(org.secretary).post(url, {"user": org.outsider.pk}, format="json")
    assert r.status_code == 400 and "Đỗ Người Ngoài" in r.json()["message"]
    # Someone already invited: refused.
    r = api(org.secretary).post(url, {"user": org.leader.pk}, format="json")
    assert r.status_code == 409
    # A stranger may not delegate for them.
    assert api(org.outsider).post(url, {"user": org.unit_admin.pk}, format="json").status_code == 404
    assert api(org.leader).post(url, {"user": org.unit_admin.pk}, format="json").status_code == 403
    assert Attendee.objects.get(pk=member.pk).rsvp == Attendee.Rsvp.NEEDS_ACTION
    r = api(org.secretary).post(url, {"email": org.unit_admin.email}, format="json")
    assert r.status_code == 201, r.json()
    assert Attendee.objects.get(pk=member.pk).rsvp == Attendee.Rsvp.DELEGATED
    assert api(org.secretary).post(url, {"email": org.secretary.email}, format="json").status_code == 409


def test_secretary_sees_answers_per_unit(smtp, make_meeting, org, api):
    meeting = make_meeting(people=[org.member, org.leader, org.dept_secretary])
    answers.respond(Attendee.objects.get(meeting=meeting, email=org.member.email), "accepted")
    answers.respond(Attendee.objects.get(meeting=meeting, email=org.dept_secretary.email), "declined", "Bận họp UBND")
    body = api(org.secretary).get(f"/api/v1/meetings/{meeting.uid}/answers/").json()
    units = {u["unit"]: u for u in body["units"]}
    assert units["bvdk"]["counts"]["accepted"] == 1 and units["bvdk"]["counts"]["needs_action"] == 1
    assert units["soyte"]["counts"]["declined"] == 1
    assert units["soyte"]["attendees"][0]["comment"] == "Bận họp UBND"
    assert api(org.member).get(f"/api/v1/meetings/{meeting.uid}/answers/").status_code == 403
    # The attendee can answer through the API too, only for themselves.
    leader = Attendee.objects.get(meeting=meeting, email=org.leader.email)
    url = f"/api/v1/meetings/{meeting.uid}/attendees/{leader.pk}/answer/"
    assert api(org.member).post(url, {"rsvp": "accepted"}, format="json").status_code == 403
    assert api(org.leader).post(url, {"rsvp": "accepted"}, format="json").json()["rsvp"] == "accepted"


def test_malformed_and_duplicated_emails_are_named_and_nothing_is_written(smtp, org, api):
    day = working_day(10)
    base = {"title": "Họp", "organizing_unit": "bvdk", "start": at(day, 8).isoformat(), "end": at(day, 9).isoformat(),
            "rooms": [org.room_a.pk]}
    r = api(org.secretary).post("/api/v1/meetings/", {**base, "attendees": [{"email": "khong-phai-email"}]}, format="json")
    assert r.status_code == 400 and "email" in r.json()["message"].lower()
    r = api(org.secretary).post("/api/v1/meetings/", {**base, "attendees": [
        {"email": "a@bvdk.vn"}, {"email": "A@bvdk.vn"}, {"email": "b@bvdk.vn"}]}, format="json")
    assert r.status_code == 400 and "a@bvdk.vn" in r.json()["message"].lower()
    from meetings.models import Meeting

    assert Meeting.objects.count() == 0 and Delivery.objects.count() == 0 and smtp.messages == []
