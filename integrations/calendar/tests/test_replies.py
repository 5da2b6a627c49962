"""`manage.py ingest_replies`: iTIP REPLY e-mails from Outlook, Gmail and Apple Mail."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from io import StringIO
from pathlib import Path

from django.core.management import call_command

from integrations.calendar.models import InboundReply, OccurrenceResponse
from meetings import actions
from meetings.actions import RoomChoice
from meetings.models import Attendee

FIXTURES = Path(__file__).parent / "fixtures"
Outcome = InboundReply.Outcome


def fmt_local(dt: datetime) -> str:
    return dt.astimezone(UTC).replace(tzinfo=None).__add__(timedelta(hours=7)).strftime("%Y%m%dT%H%M%S")


def fmt_utc(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def outlook(folder: Path, meeting, tag: str, *, partstat: str = "ACCEPTED", seq: int | None = None,
            rid: datetime | None = None, stamp: datetime | None = None, comment: str = "") -> None:
    text = (FIXTURES / "outlook-reply.eml.tmpl").read_bytes().decode()
    stamp = stamp or datetime.now(UTC)
    text = (text.replace("{TAG}", tag).replace("{UID}", str(meeting.uid)).replace("{PARTSTAT}", partstat)
            .replace("{SEQ}", str(meeting.sequence if seq is None else seq))
            .replace("{START}", fmt_local(rid or meeting.start)).replace("{END}", fmt_local((rid or meeting.start) + meeting.duration))
            .replace("{DTSTAMP}", fmt_utc(stamp)).replace("{COMMENT}", comment)
            .replace("{RID}\r\n", f"RECURRENCE-ID;TZID=SE Asia Standard Time:{fmt_local(rid)}\r\n" if rid else ""))
    (folder / f"{tag}.eml").write_bytes(text.encode())


def gmail(folder: Path, meeting, tag: str, email: str, *, sender: str | None = None, partstat: str = "DECLINED") -> None:
    text = (FIXTURES / "gmail-reply.eml.tmpl").read_bytes().decode()
    text = (text.replace("{TAG}", tag).replace("{UID}", str(meeting.uid)).replace("{PARTSTAT}", partstat)
            .replace("{SEQ}", str(meeting.sequence)).replace("{EMAIL}", email).replace("{FROM}", sender or email)
            .replace("{START_UTC}", fmt_utc(meeting.start)).replace("{END_UTC}", fmt_utc(meeting.end))
            .replace("{DTSTAMP}", fmt_utc(datetime.now(UTC))))
    (folder / f"{tag}.eml").write_bytes(text.encode())


def apple(folder: Path, meeting, tag: str) -> None:
    ics = "\r\n".join([
        "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Apple Inc.//macOS 14.0//EN", "METHOD:REPLY",
        "BEGIN:VEVENT", f"UID:{meeting.uid}", f"DTSTAMP:{fmt_utc(datetime.now(UTC))}", f"SEQUENCE:{meeting.sequence}",
        f"DTSTART;TZID=Asia/Ho_Chi_Minh:{fmt_local(meeting.start)}",
        "ATTENDEE;CN=Le Giam Doc;PARTSTAT=TENTATIVE:mailto:giamdoc@bvdk.vn",
        "ORGANIZER:mailto:lichhop@quorum.localhost", "END:VEVENT", "END:VCALENDAR", "",
    ])
    b64 = base64.encodebytes(ics.encode()).decode().replace("\n", "\r\n").strip()
    text = (FIXTURES / "apple-reply.eml.tmpl").read_bytes().decode().replace("{TAG}", tag).replace("{B64}", b64)
    (folder / f"{tag}.eml").write_bytes(text.encode())


def ingest(folder: Path) -> str:
    out = StringIO()
    call_command("ingest_replies", folder=str(folder), stdout=out)
    return out.getvalue()


def test_replies_from_outlook_gmail_and_apple_update_answers(smtp, make_meeting, org, tmp_path):
    meeting = make_meeting(people=[org.member, org.leader, org.unit_admin])
    outlook(tmp_path, meeting, "o1", comment="Se den dung gio")
    gmail(tmp_path, meeting, "g1", org.unit_admin.email)
    apple(tmp_path, meeting, "a1")
    summary = ingest(tmp_path)
    assert "applied: 3" in summary
    rsvp = dict(meeting.attendees.values_list("email", "rsvp"))
    assert rsvp == {org.member.email: "accepted", org.unit_admin.email: "declined", org.leader.email: "tentative"}
    assert Attendee.objects.get(meeting=meeting, email=org.member.email).rsvp_comment == "Se den dung gio"
    # Reading the folder again changes nothing (Message-IDs remembered).
    assert ingest(tmp_path).strip() == "no replies"
    assert InboundReply.objects.count() == 3


def test_old_sequence_and_older_reply_are_ignored(smtp, make_meeting, org, tmp_path, run_commit):
    meeting = make_meeting()
    # A new room is a significant change (a rename is not: RFC 5546 §2.1.4).
    run_commit(actions.update_meeting, org.secretary, meeting, {"rooms": [RoomChoice(org.room_b)]})
    meeting.refresh_from_db()
    assert meeting.sequence == 1
    outlook(tmp_path, meeting, "old", partstat="DECLINED", seq=0)
    assert "old_sequence: 1" in ingest(tmp_path)
    assert Attendee.objects.get(meeting=meeting, email=org.member.email).rsvp == "needs_action"
    now = datetime.now(UTC)
    newer, older = tmp_path / "n", tmp_path / "o"
    newer.mkdir(), older.mkdir()
    outlook(newer, meeting, "new", partstat="ACCEPTED", stamp=now)
    outlook(older, meeting, "late", partstat="DECLINED", stamp=now - timedelta(hours=1))
    assert "applied: 1" in ingest(newer)
    assert "old_sequence: 1" in ingest(older)  # same SEQUENCE, older DTSTAMP: arrived late
    assert Attendee.objects.get(meeting=meeting, email=org.member.email).rsvp == "accepted"


def test_reply_from_someone_not_invited_is_logged_not_added(smtp, make_meeting, org, tmp_path, caplog):
    meeting = make_meeting()
    gmail(tmp_path, meeting, "crasher", "nguoila@gmail.com", partstat="ACCEPTED")
    gmail(tmp_path, meeting, "spoof", org.leader.email, sender="ke-gia-mao@example.com", partstat="DECLINED")
    with caplog.at_level("WARNING"):
        summary = ingest(tmp_path)
    assert "unknown_attendee: 1" in summary and "sender_mismatch: 1" in summary
    assert not meeting.attendees.filter(email="nguoila@gmail.com").exists()
    assert Attendee.objects.get(meeting=meeting, email=org.leader.email).rsvp == "needs_action"
    # Logged by its reply row and a masked address (issue 12: no e-mail addresses in logs).
    assert "n…@gmail.com" in caplog.text and "nguoila@gmail.com" not in caplog.text


def test_reply_for_one_occurrence_updates_only_that_occurrence(smtp, make_meeting, org, tmp_path):
    meeting = make_meeting(rrule="FREQ=WEEKLY;COUNT=3;BYDAY=MO")
    second = meeting.occurrences.get(index=1)
    outlook(tmp_path, meeting, "occ", partstat="DECLINED", rid=second.recurrence_id)
    assert "applied: 1" in ingest(tmp_path)
    assert Attendee.objects.get(meeting=meeting, email=org.member.email).rsvp == "needs_action"
    [resp] = OccurrenceResponse.objects.all()
    assert resp.occurrence_id == second.pk and resp.rsvp == "declined"


def test_reply_to_cancelled_meeting_changes_nothing(smtp, make_meeting, org, tmp_path, run_commit):
    meeting = make_meeting()
    run_commit(actions.cancel_meeting, org.secretary, meeting)
    meeting.refresh_from_db()
    outlook(tmp_path, meeting, "c", partstat="ACCEPTED")
    assert "cancelled: 1" in ingest(tmp_path)
    assert Attendee.objects.get(meeting=meeting, email=org.member.email).rsvp == "needs_action"
