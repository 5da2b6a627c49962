"""Every kind of generated calendar, checked by ical.js, vobject, recurring-ical-events and the
reference's structural checks, then compared with golden files (DTSTAMP, UID and tokens frozen).

Regenerate the golden files after an intended change with UPDATE_GOLDEN=1.
"""

from __future__ import annotations

import os
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from django.test import override_settings

from integrations.calendar import ical
from integrations.calendar.tests.checks import full_check, parse, rie, same_expansion
from meetings import actions
from meetings.actions import AttendeeInput, MeetingInput, RoomChoice, Scope
from meetings.models import Attendee, Meeting
from tests.factories import at

GOLDEN = Path(__file__).parent / "golden"
STAMP = datetime(2030, 2, 1, 1, 2, 3, tzinfo=UTC)
UID = uuid.UUID("0f8e2b9c-5a1d-4c3e-9b7a-6d2f1e0c4b3a")
MONDAY = date(2030, 3, 4)


def golden(name: str, raw: bytes) -> None:
    path = GOLDEN / name
    if os.getenv("UPDATE_GOLDEN"):
        path.write_bytes(raw)
    assert path.exists(), f"missing golden file {name} (run with UPDATE_GOLDEN=1)"
    assert raw == path.read_bytes(), f"{name} differs from the golden file"


def fixed(meeting: Meeting) -> ical.MeetingData:
    data = ical.MeetingData.load(meeting)
    for i, a in enumerate(sorted(data.attendees, key=lambda a: a.email)):
        a.join_token = f"token-{i}"
    return data


def attendee(data: ical.MeetingData, email: str) -> Attendee:
    return next(a for a in data.attendees if a.email == email)


@pytest.fixture
def series(org):
    data = MeetingInput(
        title="Giao ban tuần; chuyên môn, điều dưỡng: khối lâm sàng",
        organizing_unit=org.hospital, start=at(MONDAY, 8, 30), end=at(MONDAY, 10, 0),
        agenda="1. Tình hình khám chữa bệnh tuần qua và kế hoạch tuần tới của các khoa lâm sàng\n2. Phòng chống dịch",
        chair=org.leader, rrule="FREQ=WEEKLY;COUNT=5;BYDAY=MO",
        rooms=[RoomChoice(org.room_a)],
        attendees=[AttendeeInput(email=org.member.email), AttendeeInput(email=org.unit_admin.email)],
    )
    meeting = actions.create_meeting(org.secretary, data)
    Meeting.objects.filter(pk=meeting.pk).update(uid=UID)
    meeting.refresh_from_db()
    return meeting


@override_settings(SITE_URL="https://lich.soyte.example.vn")
def test_every_message_kind_passes_the_checks_and_matches_golden(series, org):
    m = series
    member = org.member.email
    occs = list(m.occurrences.order_by("index"))
    seen: list[tuple[str, int]] = []

    # 1. REQUEST for the series.
    data = fixed(m)
    raw = ical.request(data, attendee(data, member), stamp=STAMP)
    cal = full_check(raw, "REQUEST")
    golden("request.ics", raw)
    ev = cal.walk("VEVENT")[0]
    assert "DTSTART;TZID=Asia/Ho_Chi_Minh:20300304T083000" in raw.decode()
    assert "RRULE:FREQ=WEEKLY;COUNT=5;BYDAY=MO" in raw.decode()
    assert 'CN="Giao ban' not in raw.decode()  # SUMMARY is text, CN quoting only for params
    assert rie(raw)[str(UID)][0] == "2030-03-04T01:30:00.000Z"
    seen.append(("request", int(ev["SEQUENCE"])))

    # 2. One occurrence cancelled: CANCEL with RECURRENCE-ID.
    actions.cancel_meeting(org.secretary, m, scope=Scope.OCCURRENCE, occurrence=occs[1])
    m.refresh_from_db()
    data = fixed(m)
    occ1 = data.occurrence(occs[1].pk)
    raw = ical.cancel(data, attendee(data, member), occurrence=occ1, stamp=STAMP)
    [ev] = full_check(raw, "CANCEL").walk("VEVENT")
    golden("cancelled-occurrence.ics", raw)
    assert ev.decoded("RECURRENCE-ID") == at(MONDAY + timedelta(days=7), 8, 30)

    # 3. One occurrence moved: override-only REQUEST.
    actions.update_meeting(org.secretary, m, {"start": at(MONDAY + timedelta(days=15), 14, 0), "end": at(MONDAY + timedelta(days=15), 15, 0)},
                           scope=Scope.OCCURRENCE, occurrence=occs[2])
    m.refresh_from_db()
    data = fixed(m)
    raw = ical.request(data, attendee(data, member), occurrence=data.occurrence(occs[2].pk), stamp=STAMP)
    [ev] = full_check(raw, "REQUEST").walk("VEVENT")
    golden("moved-occurrence.ics", raw)
    assert ev.decoded("RECURRENCE-ID") == at(MONDAY + timedelta(days=14), 8, 30)
    assert ev.decoded("DTSTART") == at(MONDAY + timedelta(days=15), 14, 0)

    # 4. The whole series moves to 09:30: EXDATE and RECURRENCE-ID move with it.
    actions.update_meeting(org.secretary, m, {"start": at(MONDAY, 9, 30), "end": at(MONDAY, 11, 0)})
    m.refresh_from_db()
    data = fixed(m)
    raw = ical.request(data, attendee(data, member), stamp=STAMP)
    cal = full_check(raw, "REQUEST")
    golden("update.ics", raw)
    master, override = cal.walk("VEVENT")
    assert [d.dt for d in master["EXDATE"].dts] == [at(MONDAY + timedelta(days=7), 9, 30)]
    assert override.decoded("RECURRENCE-ID") == at(MONDAY + timedelta(days=14), 9, 30)
    expanded = rie(raw)[str(UID)]
    # Five slots, the cancelled one stays away, the moved one is at its own time.
    assert expanded == sorted([
        "2030-03-04T02:30:00.000Z", "2030-03-19T07:00:00.000Z",
        "2030-03-25T02:30:00.000Z", "2030-04-01T02:30:00.000Z",
    ])
    seen.append(("update", int(master["SEQUENCE"])))
    assert int(override["SEQUENCE"]) > int(master["SEQUENCE"]) - 1

    # 5. A feed of that state: PUBLISH, no e-mail addresses, same UID.
    feed = ical.calendar("PUBLISH", ical.feed_events(_stamped(data)))
    raw = feed.to_ical()
    full_check(raw, "PUBLISH")
    golden("feed.ics", raw)
    assert str(parse(raw).walk("VEVENT")[0]["UID"]) == str(UID)

    # 6. One person removed: CANCEL to them alone, no STATUS.
    removed_email = org.unit_admin.email
    actions.update_meeting(org.secretary, m, {"attendees": [AttendeeInput(email=member)]})
    m.refresh_from_db()
    data = fixed(m)
    gone = Attendee.objects.get(meeting=m, email=removed_email)
    gone.join_token = "token-x"
    raw = ical.cancel(data, gone, uninvite=True, stamp=STAMP)
    [ev] = full_check(raw, "CANCEL").walk("VEVENT")
    golden("uninvite.ics", raw)
    assert "STATUS" not in ev and str(ev["ATTENDEE"]).lower() == f"mailto:{removed_email}"
    seen.append(("uninvite", int(ev["SEQUENCE"])))

    # 7. The whole meeting cancelled.
    actions.cancel_meeting(org.secretary, m)
    m.refresh_from_db()
    data = fixed(m)
    raw = ical.cancel(data, attendee(data, member), stamp=STAMP)
    [ev] = full_check(raw, "CANCEL").walk("VEVENT")
    golden("cancel.ics", raw)
    assert str(ev["STATUS"]) == "CANCELLED"
    seen.append(("cancel", int(ev["SEQUENCE"])))

    # 9. SEQUENCE strictly increases over the life of the meeting; the UID never changes.
    sequences = [s for _, s in seen]
    assert sequences == sorted(set(sequences)), seen
    for name in ("request.ics", "update.ics", "moved-occurrence.ics", "cancelled-occurrence.ics", "uninvite.ics", "cancel.ics", "feed.ics"):
        assert {str(e["UID"]) for e in parse((GOLDEN / name).read_bytes()).walk("VEVENT")} == {str(UID)}


def _stamped(data: ical.MeetingData) -> ical.MeetingData:
    data.meeting.updated_at = STAMP
    return data


def test_stale_exdate_would_bring_a_skipped_meeting_back(series, org):
    """Why EXDATEs must move with the series: the checkers see the difference."""
    occs = list(series.occurrences.order_by("index"))
    actions.cancel_meeting(org.secretary, series, scope=Scope.OCCURRENCE, occurrence=occs[1])
    actions.update_meeting(org.secretary, series, {"start": at(MONDAY, 9, 30), "end": at(MONDAY, 11, 0)})
    series.refresh_from_db()
    data = ical.MeetingData.load(series)
    raw = ical.request(data, data.attendees[0], stamp=STAMP)
    good = rie(raw)[str(UID)]
    assert "2030-03-11T02:30:00.000Z" not in good and len(good) == 4
    stale = raw.replace(b"EXDATE;TZID=Asia/Ho_Chi_Minh:20300311T093000", b"EXDATE;TZID=Asia/Ho_Chi_Minh:20300311T083000")
    assert stale != raw
    assert "2030-03-11T02:30:00.000Z" in rie(stale)[str(UID)]
    js = same_expansion(stale)  # both parsers agree the skipped meeting came back
    assert "2030-03-11T02:30:00.000Z" in js["events"][0]["starts"]


def test_names_with_quotes_and_separators_are_safe(org):
    org.member.full_name = 'Nguyễn "Út" Văn, A; B: C'
    org.member.save()
    data = MeetingInput(
        title="Họp", organizing_unit=org.hospital, start=at(MONDAY, 8, 30), end=at(MONDAY, 9, 0),
        rooms=[RoomChoice(org.room_b)], attendees=[AttendeeInput(email=org.member.email)],
    )
    meeting = actions.create_meeting(org.secretary, data)
    d = ical.MeetingData.load(meeting)
    raw = ical.request(d, d.attendees[0], stamp=STAMP)
    full_check(raw, "REQUEST")
    unfolded = raw.replace(b"\r\n ", b"").decode()
    assert 'CN="Nguyễn Út Văn, A; B: C"' in unfolded
