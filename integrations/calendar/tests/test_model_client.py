"""Every schedule change Quorum supports, watched through a strict model of the attendees'
calendars (model_client.py): after each step, what each person's calendar shows (dates,
times, titles, places, join details, status) must equal Quorum's own view of that person's
meetings. Messages travel over real SMTP and are read by icalendar and ical.js.

All messages of a scenario carry the same clock second (ical.now_stamp is pinned): changes
made within one second happen (a double click, a script), and DTSTAMP only has seconds, so
Quorum must order its messages by SEQUENCE, or by DTSTAMPs it keeps apart itself.

Set ITIP_JOURNAL=<file> to write every step's messages (METHOD, SEQUENCE, RECURRENCE-ID).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from unittest import mock

import holidays
import pytest
from django.conf import settings
from django.utils import timezone

from integrations.calendar import answers, ical, online
from integrations.calendar.tests.checks import mime_ok
from integrations.calendar.tests.conftest import monday
from integrations.calendar.tests.model_client import CalendarClient, Instance, read_all
from meetings import actions
from meetings.actions import AttendeeInput, MeetingInput, RoomChoice, Scope
from meetings.models import Attendee, Booking, Meeting, Membership
from tests.factories import at, make_user, working_day

PINNED = datetime(2026, 12, 1, 2, 0, 0, tzinfo=UTC)
LIVE = (Booking.Status.REQUESTED, Booking.Status.CONFIRMED)


def quorum_view(email: str) -> list[Instance]:
    """Quorum's own account of the meetings of the person with this address: every sitting
    that is on (not cancelled), where, and how to join (read from bookings, not from ical)."""
    out = []
    for a in Attendee.objects.filter(email=email, is_active=True).select_related("meeting"):
        m = a.meeting
        if m.status in (Meeting.Status.CANCELLED, Meeting.Status.DRAFT):
            continue
        for o in m.occurrences.filter(in_series=True).exclude(status="cancelled").order_by("start"):
            rooms = [ical.room_label(b.room) for b in o.bookings.filter(status__in=LIVE).select_related("room__unit").order_by("id")]
            location = "; ".join(rooms + (["Trực tuyến"] if m.is_online else []))
            link = None
            if m.is_online:
                info = online.details(m, o)
                link = (f"{settings.SITE_URL}/j/{a.join_token}", info.get("dial_in", ""), info.get("passcode", ""))
            out.append(Instance(
                start=o.start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                end=o.end.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                uid=str(m.uid), title=m.title, location=location, link=link,
            ))
    return sorted(out)


class Watch:
    """The attendees' calendars; `step()` runs one change and delivers what it mailed."""

    def __init__(self, smtp: Any, run_commit: Callable[..., Any], name: str) -> None:
        self.smtp, self.run_commit, self.name = smtp, run_commit, name
        self.clients: dict[str, CalendarClient] = {}
        self.journal: list[str] = []
        self.delivered = 0

    def follow(self, *emails: str) -> None:
        for e in emails:
            self.clients.setdefault(e.lower(), CalendarClient(e.lower()))

    def step(self, label: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        result = self.run_commit(fn, *args, **kwargs)
        new = self.smtp.messages[self.delivered:]
        self.delivered = len(self.smtp.messages)
        raws = [mime_ok(r.data)[1] for r in new]
        messages = read_all(raws)
        lines = []
        for received, msg in zip(new, messages, strict=True):
            to = received.rcpt_tos[0].lower()
            self.follow(to)
            applied = self.clients[to].receive(msg)
            parts = [f"{'master' if c.rid is None else 'RECURRENCE-ID ' + c.rid} SEQUENCE {c.sequence}" for c in msg.components]
            lines.append(f"{to}: {msg.method} " + "; ".join(parts)
                         + ("" if applied else " (ignored)"))
        self.journal.append(f"[{self.name}] {label}: {len(new)} message(s)")
        self.journal += [f"    {line}" for line in sorted(lines)]
        for email, client in self.clients.items():
            assert client.expanded() == quorum_view(email), (
                f"{self.name}, after '{label}': the calendar of {email} differs from Quorum\n"
                + "\n".join(client.log[-6:]))
        return result


@pytest.fixture
def watch(smtp, run_commit, request):
    watches: list[Watch] = []

    def make(name: str) -> Watch:
        w = Watch(smtp, run_commit, name)
        watches.append(w)
        return w

    with mock.patch.object(ical, "now_stamp", lambda: PINNED):
        yield make
    path = os.getenv("ITIP_JOURNAL")
    if path:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(f"## {request.node.name}\n" + "\n".join(line for w in watches for line in w.journal) + "\n")


def _people(org: Any) -> dict[str, Any]:
    colleague = make_user("dongnghiep@bvdk.vn", org.hospital, Membership.Role.MEMBER, full_name="Đinh Đồng Nghiệp")
    return {"member": org.member, "leader": org.leader, "unit_admin": org.unit_admin, "colleague": colleague}


def _create(org: Any, start: datetime, rrule: str = "", title: str = "Giao ban tuần") -> Callable[[], Meeting]:
    def create() -> Meeting:
        return actions.create_meeting(org.secretary, MeetingInput(
            title=title, organizing_unit=org.hospital, start=start, end=start + timedelta(hours=1, minutes=30),
            agenda="1. Tình hình khám chữa bệnh\n2. Phòng chống dịch", chair=org.leader, rrule=rrule,
            rooms=[RoomChoice(org.room_a)],
            attendees=[AttendeeInput(email=org.member.email), AttendeeInput(email=org.unit_admin.email)],
        ))
    return create


def _people_steps(w: Watch, org: Any, people: dict[str, Any], meeting: Meeting) -> None:
    """Add and remove an attendee, then delegate (the common middle of every scenario)."""
    everyone = [AttendeeInput(email=e) for e in (org.member.email, org.unit_admin.email, org.dept_secretary.email)]
    w.follow(org.dept_secretary.email, people["colleague"].email)
    w.step("add an attendee", actions.update_meeting, org.secretary, meeting, {"attendees": everyone})
    w.step("remove an attendee", actions.update_meeting, org.secretary, meeting, {"attendees": everyone[:1] + everyone[2:]})
    member = Attendee.objects.get(meeting=meeting, email=org.member.email)
    w.step("delegate", answers.delegate, member, people["colleague"], actor=org.member)


def _online_steps(w: Watch, org: Any, meeting: Meeting) -> None:
    w.step("change the room", actions.update_meeting, org.secretary, meeting, {"rooms": [RoomChoice(org.room_b)]})
    w.step("add an online link", actions.update_meeting, org.secretary, meeting, {
        "mode": Meeting.Mode.HYBRID, "online_provider": "link",
        "online_details": {"url": "https://vc.soyte.vn/phong-1", "dial_in": "+84 24 1111", "passcode": "1111"}})
    w.step("change the online link", actions.update_meeting, org.secretary, meeting, {
        "online_details": {"url": "https://vc.soyte.vn/phong-2", "dial_in": "+84 24 2222", "passcode": "2222"}})


def test_single_meeting_through_every_change(org, watch):
    w = watch("single")
    people = _people(org)
    w.follow(org.member.email, org.leader.email, org.unit_admin.email)
    day = working_day(10)
    meeting = w.step("create", _create(org, at(day, 8, 30), title="Họp chuyên môn"))
    w.step("rename", actions.update_meeting, org.secretary, meeting, {"title": "Họp chuyên môn (mở rộng)"})
    later = working_day(12)
    w.step("move", actions.update_meeting, org.secretary, meeting, {"start": at(later, 14), "end": at(later, 15, 30)})
    w.step("move again to the same time (a double submit)", actions.update_meeting, org.secretary, meeting,
           {"start": at(later, 14), "end": at(later, 15, 30)})
    _people_steps(w, org, people, meeting)
    _online_steps(w, org, meeting)
    w.step("cancel", actions.cancel_meeting, org.secretary, meeting, reason="Trùng lịch UBND tỉnh")
    assert all(not c.expanded() for c in w.clients.values())


def test_weekly_series_of_six_with_a_moved_sitting_through_every_change(org, watch):
    w = watch("weekly")
    people = _people(org)
    w.follow(org.member.email, org.leader.email, org.unit_admin.email)
    first = monday()
    meeting = w.step("create", _create(org, at(first, 8, 30), "FREQ=WEEKLY;COUNT=6;BYDAY=MO"))
    occs = list(meeting.occurrences.order_by("index"))
    moved_day = first + timedelta(days=15)  # sitting 3, Monday → Tuesday afternoon
    w.step("move one sitting", actions.update_meeting, org.secretary, meeting,
           {"start": at(moved_day, 14), "end": at(moved_day, 15, 30)}, scope=Scope.OCCURRENCE, occurrence=occs[2])
    w.step("move the same sitting again (a retry)", actions.update_meeting, org.secretary, meeting,
           {"start": at(moved_day, 14), "end": at(moved_day, 15, 30)}, scope=Scope.OCCURRENCE, occurrence=occs[2])
    w.step("rename", actions.update_meeting, org.secretary, meeting, {"title": "Giao ban tuần (khối lâm sàng)"})
    w.step("move the whole series", actions.update_meeting, org.secretary, meeting,
           {"start": at(first, 9, 30), "end": at(first, 11)})
    occs = list(meeting.occurrences.order_by("index"))
    w.step("cancel one sitting", actions.cancel_meeting, org.secretary, meeting, scope=Scope.OCCURRENCE,
           occurrence=occs[4], reason="Trùng hội nghị tỉnh")
    _people_steps(w, org, people, meeting)
    _online_steps(w, org, meeting)
    w.step("cancel this and following", actions.cancel_meeting, org.secretary, meeting, scope=Scope.FOLLOWING,
           occurrence=occs[3], reason="Kết thúc đợt giao ban")
    shown = w.clients[org.leader.email].expanded()
    assert len(shown) == 3 and shown[2].start.startswith(moved_day.isoformat())  # the moved sitting kept its time
    w.step("cancel all", actions.cancel_meeting, org.secretary, meeting, reason="Đổi hình thức")
    assert all(not c.expanded() for c in w.clients.values())


def next_tet(after: date) -> date:
    """The first day of the next Lunar New Year holiday after `after` (from `holidays`)."""
    for year in (after.year, after.year + 1, after.year + 2):
        days = sorted(d for d, name in holidays.country_holidays("VN", years=[year]).items() if "Nguyên Đán" in name)
        if days and days[0] > after:
            return days[0]
    raise AssertionError("no Tết found")


def test_series_spanning_tet(org, watch):
    w = watch("tet")
    people = _people(org)
    w.follow(org.member.email, org.leader.email, org.unit_admin.email)
    tet = next_tet(timezone.localdate() + timedelta(days=30))
    first = tet - timedelta(days=21)
    while first.weekday() != 0:
        first -= timedelta(days=1)
    meeting = w.step("create", _create(org, at(first, 8, 30), "FREQ=WEEKLY;COUNT=7;BYDAY=MO", title="Giao ban quý I"))
    occs = list(meeting.occurrences.order_by("index"))
    in_tet = next(o for o in occs if tet <= timezone.localtime(o.start).date() <= tet + timedelta(days=6))
    after_tet = next(o for o in occs if o.index == in_tet.index + 1)
    w.step("cancel the sitting in Tết", actions.cancel_meeting, org.secretary, meeting, scope=Scope.OCCURRENCE,
           occurrence=in_tet, reason="Nghỉ Tết Nguyên Đán")
    day = timezone.localtime(after_tet.start).date() + timedelta(days=1)
    w.step("move the first sitting after Tết", actions.update_meeting, org.secretary, meeting,
           {"start": at(day, 14), "end": at(day, 15, 30)}, scope=Scope.OCCURRENCE, occurrence=after_tet)
    w.step("rename", actions.update_meeting, org.secretary, meeting, {"title": "Giao ban quý I/Xuân"})
    w.step("move the whole series", actions.update_meeting, org.secretary, meeting,
           {"start": at(first, 7, 30), "end": at(first, 9)})
    _people_steps(w, org, people, meeting)
    _online_steps(w, org, meeting)
    occs = list(meeting.occurrences.filter(in_series=True).order_by("index"))
    w.step("cancel this and following", actions.cancel_meeting, org.secretary, meeting, scope=Scope.FOLLOWING,
           occurrence=occs[-2])
    w.step("cancel all", actions.cancel_meeting, org.secretary, meeting)
    assert all(not c.expanded() for c in w.clients.values())
