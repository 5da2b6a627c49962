"""Personal data (e-mail addresses, phone numbers) stays out of logs, Zoom and feeds (issue 12).

Each test captures every log record (root at DEBUG, the access log included) while a real flow
runs, then looks for the addresses and numbers of the people involved, and for anything that
looks like one.
"""

from __future__ import annotations

import io
import json
import logging
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client

from config.logs import JsonFormatter
from config.redact import RedactPersonalDataFilter, contains_personal_data, mask_personal_data
from integrations.calendar.models import Delivery
from integrations.calendar.tests.conftest import make_meeting, run_commit, smtp  # noqa: F401 - fixtures
from integrations.online.models import OnlineRoom
from integrations.online.tests.helpers import run_online_outbox, schedule
from integrations.zoom.tests.conftest import fake_zoom, zoom_host  # noqa: F401 - fixtures
from meetings.models import Attendee

pytestmark = pytest.mark.django_db

PHONES = ["0912 345 678", "0912345678", "+84 912 345 678"]


@pytest.fixture
def all_logs(caplog):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="quorum.request")  # the access log (ACCESS_LOG=1)
    return caplog


def assert_clean(text: str, *addresses: str) -> None:
    for value in (*addresses, *PHONES):
        assert value.lower() not in text.lower(), f"{value!r} leaked:\n{text}"
    assert not contains_personal_data(text), text


def captured(caplog: Any) -> str:
    """Everything the records say, as the text log and as the production JSON lines
    (messages, tracebacks and every extra field, e.g. django.request's `request`)."""
    json_lines = JsonFormatter()
    return "\n".join([caplog.text, *(json_lines.format(record) for record in caplog.records)])


def test_a_refused_invitation_logs_ids_and_masked_addresses_only(smtp, make_meeting, org, all_logs):  # noqa: F811
    org.member.phone = PHONES[0]
    org.member.save()
    # The server's answer quotes the address, as Postfix does.
    smtp.refuse[org.member.email] = f"550 5.1.1 <{org.member.email}>: Recipient address rejected"
    smtp.fail_next = 1  # and a passing failure for the other one
    meeting = make_meeting()
    failed = Delivery.objects.get(meeting=meeting, attendee__email=org.member.email)
    assert failed.status == Delivery.Status.FAILED and org.member.email in failed.last_error  # for the secretary
    text = captured(all_logs)
    assert f"to attendee #{failed.attendee_id} failed" in text and "t…@bvdk.vn" in text
    assert_clean(text, org.member.email, org.leader.email, org.secretary.email)


def test_a_failed_login_logs_no_address(client, org, all_logs, settings):
    settings.QUORUM_MFA_REQUIRED = True
    response = client.post("/accounts/login/", {"login": org.member.email, "password": "sai-mat-khau-123"})
    assert response.status_code == 200  # the form again, with the error
    response = client.post("/accounts/login/", {"login": "nguoi.la+0912345678@example.vn", "password": "x" * 12})
    assert response.status_code == 200
    assert all_logs.records, "the access log should have said something"
    assert_clean(captured(all_logs), org.member.email, "nguoi.la+0912345678@example.vn")


def test_zoom_gets_no_address_or_phone_number_over_the_wire(org, fake_zoom, zoom_host, all_logs):  # noqa: F811
    title = "Giao ban với chị Lan 0912 345 678 (lan.nguyen@bvdk.vn)"
    meeting = schedule(org, "zoom", title=title)
    assert run_online_outbox() == ["done"]
    (create,) = fake_zoom.calls("POST", "/meetings")
    sent = json.dumps(create.body, ensure_ascii=False, default=str)
    assert create.body["topic"].startswith("Giao ban với chị Lan")
    assert_clean(create.body["topic"] + " " + create.body.get("agenda", ""), "lan.nguyen@bvdk.vn", org.member.email)
    assert org.member.email not in sent and "0912" not in sent
    # A later rename goes out the same way.
    from meetings import actions

    actions.update_meeting(org.secretary, meeting, {"title": "Họp gọi +84 912 345 678"})
    run_online_outbox()
    patch = fake_zoom.calls("PATCH")[-1]
    assert_clean(patch.body["topic"])
    assert_clean(captured(all_logs), "lan.nguyen@bvdk.vn", org.member.email, org.secretary.email)


def test_the_zoom_join_link_names_a_guest_without_their_address(org, fake_zoom, zoom_host):  # noqa: F811
    from integrations.zoom.provider import ZoomProvider

    meeting = schedule(org, "zoom", attendees=[])
    run_online_outbox()
    room = OnlineRoom.objects.get(occurrence__meeting=meeting)
    guest = Attendee.objects.create(meeting=meeting, email="khach.ngoai@ext.test")
    link = ZoomProvider().join_link(room, guest)
    assert "khach.ngoai" not in link and "%40" not in link and "uname=" in link
    named = Attendee.objects.create(meeting=meeting, email="co.ten@ext.test", name="Bà Khách")
    assert "co.ten" not in ZoomProvider().join_link(room, named)


def test_a_feed_carries_no_address_or_phone_number(org, api):
    from meetings import actions
    from tests.factories import at, working_day

    org.member.full_name = ""
    org.member.save()
    day = working_day(10)
    actions.create_meeting(org.secretary, actions.MeetingInput(
        title="Họp với anh Nam 0912 345 678", organizing_unit=org.hospital, start=at(day, 8), end=at(day, 9),
        agenda="Liên hệ: nam.tran@bvdk.vn, +84 912 345 678", chair=org.leader,
        attendees=[actions.AttendeeInput(email=org.member.email)], rooms=[actions.RoomChoice(org.room_a)],
    ))
    url = api(org.member).post("/api/v1/feeds/", {"kind": "personal"}, format="json").json()["url"]
    response = Client().get(urlsplit(url).path)
    assert response.status_code == 200
    text = response.content.replace(b"\r\n ", b"").decode()
    assert "Họp với anh Nam" in text
    assert_clean(text, org.member.email, "nam.tran@bvdk.vn", org.leader.email)


def test_the_log_handler_masks_what_a_call_site_let_through():
    """The filter on the console handler: message, extra fields and traceback."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RedactPersonalDataFilter())
    logger = logging.getLogger("quorum.test.redact")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        try:
            raise ValueError("no mailbox for thuky@bvdk.vn, call 0912 345 678")
        except ValueError:
            logger.exception("sending to %s failed", "giamdoc@bvdk.vn", extra={"to": "a.b@cdc.vn", "path": "/j/abc.def"})
    finally:
        logger.removeHandler(handler)
    entry = json.loads(stream.getvalue())
    assert entry["msg"] == "sending to g…@bvdk.vn failed" and entry["to"] == "a…@cdc.vn" and entry["path"] == "/j/…"
    assert "t…@bvdk.vn" in entry["exc"] and "[số điện thoại]" in entry["exc"]
    assert_clean(stream.getvalue(), "thuky@bvdk.vn", "giamdoc@bvdk.vn", "a.b@cdc.vn")


@pytest.mark.parametrize(("text", "masked"), [
    ("550 <nguyen.van.a@soyte.vn> refused", "550 <n…@soyte.vn> refused"),
    ("gọi 0912.345.678 hoặc 02363 821 234", "gọi [số điện thoại] hoặc [số điện thoại]"),
    ("delivery 1234, attempt 3, 2026-12-02 08:30, zoom 81234567890", None),  # ids and dates stay
])
def test_masking_keeps_ids_and_dates(text, masked):
    assert mask_personal_data(text) == (masked or text)


def test_the_access_log_keeps_link_secrets_out(client, all_logs):
    client.get("/j/somekey.somemac")
    client.get("/feeds/secret-feed-token.ics")
    text = captured(all_logs)
    assert "somekey" not in text and "secret-feed-token" not in text and "/j/…" in text
