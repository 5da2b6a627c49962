"""Independent checks of generated calendars: the "Acceptance checks for our invites" of
shared/reference/ical.md (items 1–13), with ical.js (node), vobject and
recurring-ical-events as outside parsers."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
import uuid
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import recurring_ical_events
import vobject
from dateutil.rrule import rrulestr
from icalendar import Calendar

JS = Path(__file__).parent / "js"
TZID = "Asia/Ho_Chi_Minh"


def lines_ok(raw: bytes) -> None:
    """1. CRLF only, ends with CRLF, physical lines ≤ 75 octets, each valid UTF-8, round trip."""
    assert raw.endswith(b"\r\n")
    assert b"\r\n" in raw
    assert re.search(rb"\r(?!\n)", raw) is None, "bare CR"
    assert re.search(rb"(?<!\r)\n", raw) is None, "bare LF"
    for line in raw.split(b"\r\n")[:-1]:
        assert len(line) <= 75, f"line of {len(line)} octets: {line[:40]!r}"
        line.decode("utf-8")
    assert Calendar.from_ical(raw).to_ical() == raw


def parse(raw: bytes) -> Calendar:
    return Calendar.from_ical(raw)


def structure_ok(raw: bytes, method: str) -> Calendar:
    """2–6, 7 (partly), 10 (partly): the §3.2 tables and our time zone rule."""
    lines_ok(raw)
    cal = parse(raw)
    assert str(cal["VERSION"]) == "2.0" and cal.get("PRODID")
    assert str(cal["METHOD"]) == method
    if method in ("REQUEST", "CANCEL"):
        assert "UID" not in cal and "NAME" not in cal
    # 3. the VTIMEZONE: one STANDARD +0700, no DAYLIGHT, no RRULE; every TZID resolved.
    assert cal.get_missing_tzids() == set()
    tzs = cal.walk("VTIMEZONE")
    assert [str(t["TZID"]) for t in tzs] == [TZID]
    subs = tzs[0].subcomponents
    assert [s.name for s in subs] == ["STANDARD"]
    assert subs[0]["TZOFFSETTO"].td == timedelta(hours=7) and "RRULE" not in subs[0]
    events = cal.walk("VEVENT")
    assert events
    assert len({str(e["UID"]) for e in events}) == 1, "all VEVENTs share one UID"
    for ev in events:
        assert not ev.errors, ev.errors
        assert uuid.UUID(str(ev["UID"])).version == 4
        stamp = ev.decoded("DTSTAMP")
        assert stamp.tzinfo is not None and stamp.utcoffset() == timedelta(0)
        assert b"DTSTAMP:" in raw and re.search(rb"DTSTAMP:\d{8}T\d{6}Z", raw)
        assert "SEQUENCE" in ev
        start = ev.decoded("DTSTART")
        assert str(start.tzinfo) == TZID or getattr(start.tzinfo, "key", "") == TZID
        assert ev["DTSTART"].params.get("TZID") == TZID
        if "DTEND" in ev:
            assert ev.decoded("DTEND") > start
        for name in ("EXDATE", "RECURRENCE-ID"):  # 11. same value type and TZID as DTSTART
            values = ev.get(name)
            for v in values if isinstance(values, list) else ([values] if values is not None else []):
                assert v.params.get("TZID") == TZID, f"{name} without TZID"
        assert "REQUEST-STATUS" not in ev
        if method in ("REQUEST", "CANCEL"):
            org = ev["ORGANIZER"]
            assert str(org).startswith("mailto:")
            attendees = ev.get("ATTENDEE")
            attendees = attendees if isinstance(attendees, list) else [attendees]
            assert attendees and all(str(a).startswith("mailto:") for a in attendees)
            assert str(org).lower() not in {str(a).lower() for a in attendees}
            for a in attendees:
                assert '"' not in a.params.get("CN", "")
                if a.params.get("CUTYPE") == "ROOM":
                    assert a.params.get("ROLE") == "NON-PARTICIPANT"
                else:
                    assert a.params.get("RSVP") == "TRUE"
            assert ev.get("SUMMARY")
        if method == "REQUEST":
            assert str(ev.get("STATUS", "CONFIRMED")) in ("CONFIRMED", "TENTATIVE")
        if method == "PUBLISH":
            assert "ATTENDEE" not in ev and "ORGANIZER" not in ev
            assert b"mailto:" not in raw.lower()
    if method in ("REQUEST", "CANCEL", "PUBLISH"):
        vobject_ok(raw)
    return cal


def vobject_ok(raw: bytes) -> None:
    """5. vobject with validation (the only one that catches a missing UID/DTSTAMP)."""
    parsed = vobject.readOne(raw.decode("utf-8"), validate=True)
    assert parsed.name == "VCALENDAR"


def exdates_in_rule(cal: Calendar) -> None:
    """11. each EXDATE and RECURRENCE-ID is an occurrence of the master's RRULE."""
    for ev in cal.walk("VEVENT"):
        if "RRULE" not in ev:
            continue
        start = ev.decoded("DTSTART")
        rule = rrulestr(ev["RRULE"].to_ical().decode(), dtstart=start)
        slots = set(rule)
        exd = ev.get("EXDATE")
        for group in exd if isinstance(exd, list) else ([exd] if exd is not None else []):
            for d in group.dts:
                assert d.dt in slots, f"EXDATE {d.dt} is not a slot of the rule"
        for other in cal.walk("VEVENT"):
            if "RECURRENCE-ID" in other:
                assert other.decoded("RECURRENCE-ID") in slots


def node_available() -> bool:
    return shutil.which("node") is not None and (JS / "node_modules" / "ical.js").exists()


def icaljs(raw: bytes, limit: int = 1000) -> dict[str, Any]:
    """4. ical.js parses; returns per-UID expansion (ISO UTC)."""
    if not node_available():
        pytest.skip("node or ical.js missing (run `make icaljs`)")
    with tempfile.NamedTemporaryFile(suffix=".ics", delete=False) as fh:
        fh.write(raw)
        path = fh.name
    try:
        out = subprocess.run(["node", str(JS / "expand.mjs"), path, str(limit)], capture_output=True, text=True, timeout=60, check=False)
    finally:
        Path(path).unlink()
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def rie(raw: bytes, start: date | None = None, end: date | None = None) -> dict[str, list[str]]:
    """recurring-ical-events expansion per UID (ISO UTC), cancelled-status occurrences dropped."""
    cal = parse(raw)
    a = start or date(2000, 1, 1)
    b = end or date(2100, 1, 1)
    result: dict[str, list[str]] = {}
    for ev in recurring_ical_events.of(cal).between(a, b):
        if str(ev.get("STATUS", "")) == "CANCELLED":
            continue
        iso = ev.decoded("DTSTART").astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        result.setdefault(str(ev["UID"]), []).append(iso)
    return {k: sorted(v) for k, v in result.items()}


def same_expansion(raw: bytes) -> dict[str, Any]:
    """12. ical.js and recurring-ical-events expand to the same occurrences; every DTSTART
    is zoned (4), 7 h ahead of UTC."""
    js = icaljs(raw)
    ours = rie(raw)
    for ev in js["events"]:
        if "starts" in ev and ev.get("tzid"):
            assert ev["tzid"] == TZID, ev
            assert all(z == TZID for z in ev["zones"])
            local = datetime.fromisoformat(ev["local"])
            utc = datetime.fromisoformat(ev["start"].replace("Z", "+00:00"))
            assert local.replace(tzinfo=UTC) - utc == timedelta(hours=7)
            assert sorted(ev["starts"]) == ours.get(ev["uid"], []), (ev["uid"], ev["starts"], ours.get(ev["uid"]))
    return js


def full_check(raw: bytes, method: str) -> Calendar:
    cal = structure_ok(raw, method)
    exdates_in_rule(cal)
    if method != "CANCEL":
        same_expansion(raw)
    else:
        icaljs(raw)
    return cal


# --- MIME ---------------------------------------------------------------------------------


def mime_ok(raw: bytes) -> tuple[EmailMessage, bytes]:
    """13–14. Layout and headers of one invitation e-mail; returns (message, calendar bytes)."""
    msg = message_from_bytes(raw, policy=policy.default)
    assert msg.get_content_type() == "multipart/mixed"
    first, *rest = msg.iter_parts()
    assert first.get_content_type() == "multipart/alternative"
    kinds = [p.get_content_type() for p in first.iter_parts()]
    assert kinds == ["text/plain", "text/html", "text/calendar"], kinds
    cal_part = list(first.iter_parts())[2]
    assert cal_part["Content-Disposition"] is None and cal_part["Content-ID"] is None
    method = cal_part.get_param("method")
    assert method and method == method.upper()
    assert cal_part.get_content_charset() == "utf-8"
    ics = cal_part.get_payload(decode=True)
    assert str(parse(ics)["METHOD"]) == method
    assert [p.get_content_type() for p in msg.walk()].count("text/calendar") == 1
    assert len(rest) == 1 and rest[0].get_content_type() == "application/ics"
    assert rest[0].get_filename().endswith(".ics")
    assert rest[0].get_payload(decode=True) == ics
    raw_subject = raw.split(b"\r\n\r\n", 1)[0] if b"\r\n\r\n" in raw else raw.split(b"\n\n", 1)[0]
    subject = re.search(rb"\r?\nSubject: (.*?)\r?\n(?![ \t])", raw_subject, re.S).group(1)
    subject.decode("ascii")  # 8-bit in a header would need SMTPUTF8
    assert b"=?utf-8?" in subject.lower(), "Subject RFC 2047-encoded"
    assert msg["Message-ID"] and msg["Reply-To"]
    return msg, ics
