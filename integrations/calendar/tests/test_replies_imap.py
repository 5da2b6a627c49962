"""`manage.py ingest_replies --imap` against a real IMAP server (dovecot) and a real mailbox."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from integrations.calendar.models import InboundReply
from integrations.calendar.tests.dovecot import DOVECOT, Dovecot
from integrations.calendar.tests.test_replies import gmail, outlook
from meetings.models import Attendee

pytestmark = pytest.mark.skipif(DOVECOT is None, reason="dovecot is not installed (.ci/run installs dovecot-imapd)")


@pytest.fixture
def imap(monkeypatch):
    server = Dovecot().start()
    monkeypatch.setenv("INVITATIONS_IMAP_HOST", "127.0.0.1")
    monkeypatch.setenv("INVITATIONS_IMAP_PORT", str(server.port))
    monkeypatch.setenv("INVITATIONS_IMAP_USER", server.user)
    monkeypatch.setenv("INVITATIONS_IMAP_PASSWORD", server.password)
    try:
        yield server
    finally:
        server.stop()


def ingest() -> str:
    out = StringIO()
    call_command("ingest_replies", imap=True, stdout=out)
    return out.getvalue().strip()


def unseen(server: Dovecot) -> int:
    client = server.client()
    try:
        client.select("INBOX")
        _typ, data = client.search(None, "UNSEEN")
        return len(data[0].split())
    finally:
        client.logout()


def test_replies_in_the_mailbox_are_applied_once_and_marked_seen(smtp, make_meeting, org, imap, tmp_path):
    meeting = make_meeting(people=[org.member, org.leader, org.unit_admin])
    outlook(tmp_path, meeting, "o1", partstat="ACCEPTED")
    gmail(tmp_path, meeting, "g1", org.unit_admin.email, partstat="DECLINED")
    for path in sorted(tmp_path.glob("*.eml")):
        imap.deliver(path.read_bytes())
    imap.deliver(b"From: someone@example.com\r\nSubject: not a reply\r\nMessage-ID: <x1@example.com>\r\n\r\nhello\r\n")
    assert unseen(imap) == 3

    assert ingest() == "applied: 2"
    rsvp = dict(meeting.attendees.values_list("email", "rsvp"))
    assert rsvp[org.member.email] == "accepted" and rsvp[org.unit_admin.email] == "declined"
    assert unseen(imap) == 0  # every message read is flagged \\Seen on the server

    assert ingest() == "no replies"  # nothing unseen: nothing happens again
    # A message marked unseen again by a person (or a second reader) is not applied twice.
    client = imap.client()
    client.select("INBOX")
    client.store("1:*", "-FLAGS", "\\Seen")
    client.logout()
    assert ingest() == "no replies"
    assert InboundReply.objects.count() == 2
    assert Attendee.objects.get(meeting=meeting, email=org.member.email).rsvp == "accepted"


def test_a_wrong_password_is_a_clear_failure_and_changes_nothing(smtp, make_meeting, org, imap, monkeypatch, tmp_path):
    meeting = make_meeting()
    outlook(tmp_path, meeting, "o1")
    imap.deliver((tmp_path / "o1.eml").read_bytes())
    monkeypatch.setenv("INVITATIONS_IMAP_PASSWORD", "sai-mat-khau")
    with pytest.raises(CommandError, match="refused the login"):
        ingest()
    assert unseen(imap) == 1 and not InboundReply.objects.exists()
