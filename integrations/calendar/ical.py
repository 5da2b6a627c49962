"""iCalendar for invitations (iTIP REQUEST/CANCEL over iMIP) and feeds (PUBLISH), with
icalendar 7.x. See shared reference ical.md; the decisions in short:

- UID = Meeting.uid for life (a "this and following" split is a new meeting, new uid);
  SEQUENCE is one counter per UID, decided in meetings.actions.sequence: every component
  of a message carries Meeting.sequence, the highest value ever sent for the UID.
- Times carry TZID=Asia/Ho_Chi_Minh with a VTIMEZONE of a single STANDARD +0700 block.
- EXDATE and RECURRENCE-ID are the occurrences' *current* slots (the foundation re-maps
  Occurrence.recurrence_id when the series moves), so skipped meetings stay skipped.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from email.utils import parseaddr
from functools import cached_property, lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from django.utils.text import slugify
from icalendar import Calendar, Event, Timezone, vCalAddress, vText

from config.redact import contains_personal_data, strip_personal_data
from integrations.calendar import online
from meetings.models import Attendee, Booking, Meeting, Occurrence, Room

TZID = "Asia/Ho_Chi_Minh"
PRODID = "-//So Y Te//Quorum Lich hop 1.0//VI"

ROLES = {
    Attendee.Role.CHAIR: "CHAIR",
    Attendee.Role.REQUIRED: "REQ-PARTICIPANT",
    Attendee.Role.OPTIONAL: "OPT-PARTICIPANT",
    Attendee.Role.OBSERVER: "NON-PARTICIPANT",
}
PARTSTATS = {
    Attendee.Rsvp.NEEDS_ACTION: "NEEDS-ACTION",
    Attendee.Rsvp.ACCEPTED: "ACCEPTED",
    Attendee.Rsvp.TENTATIVE: "TENTATIVE",
    Attendee.Rsvp.DECLINED: "DECLINED",
    Attendee.Rsvp.DELEGATED: "DELEGATED",
}
RSVP_OF_PARTSTAT = {v: k for k, v in PARTSTATS.items()}


def tz() -> ZoneInfo:
    return ZoneInfo(TZID)


def local(dt: datetime) -> datetime:
    return dt.astimezone(tz())


def system_address() -> str:
    """The organizer mailbox (also the envelope sender): replies and REPLYs come here."""
    configured = getattr(settings, "INVITATIONS_ORGANIZER_EMAIL", "")
    return (configured or parseaddr(settings.DEFAULT_FROM_EMAIL)[1] or "lichhop@quorum.localhost").lower()


def clean_name(name: str) -> str:
    # A '"' in CN is written with RFC 6868 caret escaping, which Outlook may not read.
    return re.sub(r"[\"\r\n]+", "", name or "").strip()


def room_address(room: Room) -> str:
    domain = system_address().split("@", 1)[1]
    return f"{slugify(room.name) or 'phong'}.{room.unit.code}@rooms.{domain}"


def room_label(room: Room) -> str:
    where = f", {room.location}" if room.location else ""
    return f"{room.name} ({room.unit.short_name}{where})"


@lru_cache(maxsize=1)
def _vtimezone_ical() -> bytes:
    cal = Calendar()
    ev = Event()
    ev.add("DTSTART", datetime(2026, 1, 1, 8, 0, tzinfo=tz()))
    cal.add_component(ev)
    cal.add_missing_timezones(first_date=date(2020, 1, 1))
    return cal.walk("VTIMEZONE")[0].to_ical()


def vtimezone() -> Timezone:
    return Timezone.from_ical(_vtimezone_ical())


# --- what goes into an event ---------------------------------------------------------------


@dataclass
class MeetingData:
    """Everything about a meeting the messages need, loaded once and shared by all recipients."""

    meeting: Meeting
    attendees: list[Attendee]
    rooms: list[Room]
    occurrences: list[Occurrence]
    occurrence_rooms: dict[int, list[Room]] = field(default_factory=dict)
    rendered: dict[tuple[Any, ...], bytes] = field(default_factory=dict)
    # Online-room details per occurrence pk (0 = the series); emptied by each sending batch.
    online_memo: dict[int, dict[str, str]] = field(default_factory=dict)

    @classmethod
    def load(cls, meeting: Meeting) -> MeetingData:
        meeting = Meeting.objects.select_related("organizing_unit", "chair", "created_by").get(pk=meeting.pk)
        attendees = list(meeting.attendees.filter(is_active=True).select_related("unit", "user", "delegated_from").order_by("id"))
        occurrences = list(meeting.occurrences.filter(in_series=True).order_by("index"))
        series_bookings = Booking.objects.filter(
            occurrence__meeting=meeting, occurrence__in_series=True, occurrence__is_exception=False
        ).values_list("pk", "room_id", "status")
        gone = rejected_rooms((room, status) for _pk, room, status in series_bookings)
        rooms = [mr.room for mr in meeting.room_choices.select_related("room__unit").order_by("id") if mr.room_id not in gone]
        by_occ: dict[int, list[Room]] = {}
        exceptions = Booking.objects.filter(occurrence__in=[o.pk for o in occurrences if o.is_exception])
        for b in exceptions.filter(status__in=LIVE).select_related("room__unit").order_by("id"):
            by_occ.setdefault(b.occurrence_id, []).append(b.room)
        return cls(meeting, attendees, rooms, occurrences, by_occ)

    @classmethod
    def cached(cls, meeting: Meeting) -> MeetingData:
        """load(), shared by the sends of one process while nothing about the meeting changed
        (the fingerprint covers the meeting row, its attendees' rows and renames of rooms,
        units and people)."""
        from django.db.models import Count, Max

        from integrations.calendar.feeds import names_generation

        agg = meeting.attendees.aggregate(n=Count("pk"), top=Max("pk"), answered=Max("responded_at"))
        row = Meeting.objects.filter(pk=meeting.pk).values_list("updated_at", "sequence", "status").first()
        key = (meeting.pk, row, agg["n"], agg["top"], agg["answered"], names_generation())
        with _cache_lock:
            found = _cache.get(meeting.pk)
            if found is not None and found[0] == key:
                return found[1]
        data = cls.load(meeting)
        with _cache_lock:
            _cache[meeting.pk] = (key, data)
            while len(_cache) > 32:
                _cache.pop(next(iter(_cache)))
        return data

    def online(self, occ: Occurrence | None = None) -> dict[str, str]:
        """online.details() once per occurrence, not once per recipient."""
        key = occ.pk if occ is not None else 0
        found = self.online_memo.get(key)
        if found is None:
            found = self.online_memo[key] = online.details(self.meeting, occ)
        return found

    @cached_property
    def delegated_to(self) -> dict[int, str]:
        return {a.delegated_from_id: a.email for a in self.attendees if a.delegated_from_id}

    @cached_property
    def _position(self) -> dict[int, int]:
        return {a.pk: i for i, a in enumerate(self.attendees)}

    @cached_property
    def _always_listed(self) -> list[int]:
        return [a.pk for a in self.attendees if a.role == Attendee.Role.CHAIR]

    @cached_property
    def _substitutes(self) -> dict[int, list[int]]:
        found: dict[int, list[int]] = {}
        for a in self.attendees:
            if a.delegated_from_id:
                found.setdefault(a.delegated_from_id, []).append(a.pk)
        return found

    def listed_for(self, recipient: Attendee) -> list[Attendee]:
        """The people a big meeting's message to `recipient` lists: the chair, the recipient,
        and whoever they delegated to or from (in attendee order)."""
        wanted = {*self._always_listed, recipient.pk, recipient.delegated_from_id, *self._substitutes.get(recipient.pk, ())}
        return [self.attendees[i] for i in sorted(self._position[pk] for pk in wanted if pk in self._position)]

    def occurrence(self, pk: int) -> Occurrence | None:
        found = next((o for o in self.occurrences if o.pk == pk), None)
        return found or Occurrence.objects.filter(pk=pk, meeting=self.meeting).first()

    def rooms_of(self, occ: Occurrence | None) -> list[Room]:
        if occ is not None and occ.is_exception:
            return self.occurrence_rooms.get(occ.pk, [])
        return self.rooms

    def location(self, occ: Occurrence | None = None) -> str:
        parts = [room_label(r) for r in self.rooms_of(occ)]
        if self.meeting.is_online:
            parts.append("Trực tuyến")
        return "; ".join(parts)

    @property
    def confidential(self) -> bool:
        return self.meeting.sensitivity == Meeting.Sensitivity.CONFIDENTIAL


LIVE = (Booking.Status.REQUESTED, Booking.Status.CONFIRMED)


def rejected_rooms(bookings: Iterable[tuple[int, str]]) -> set[int]:
    """Rooms (ids) whose every booking for the series' own sittings was rejected: the meeting
    did not get them, so LOCATION no longer names them. (Released bookings belong to a
    cancelled meeting or a changed room list and do not count as a refusal.)"""
    seen: dict[int, bool] = {}
    for room_id, status in bookings:
        seen[room_id] = seen.get(room_id, True) and status == Booking.Status.REJECTED
    return {room_id for room_id, all_rejected in seen.items() if all_rejected}


def locations(data: MeetingData) -> tuple[str, ...]:
    """Every LOCATION the series' invitation shows (master, then overridden sittings)."""
    return (data.location(), *(data.location(o) for o in data.occurrences if o.is_exception and not o.is_cancelled))


_cache: dict[int, tuple[Any, MeetingData]] = {}
_cache_lock = threading.Lock()


def join_url(attendee: Attendee) -> str:
    return f"{settings.SITE_URL}/j/{attendee.join_token}"


def description(data: MeetingData, attendee: Attendee | None, occ: Occurrence | None = None, *, for_feed: bool = False) -> str:
    m = data.meeting
    lines: list[str] = []
    if not data.confidential and m.agenda.strip():
        lines += [m.agenda.strip(), ""]
    if m.chair_id and m.chair:
        lines.append(f"Chủ trì: {m.chair.full_name}")
    lines.append(f"Đơn vị tổ chức: {m.organizing_unit.name}")
    if m.is_online:
        info = data.online(occ)
        if attendee is not None and not for_feed:
            lines.append(f"Tham gia trực tuyến: {join_url(attendee)}")
        if info.get("dial_in") and not for_feed:
            lines.append(f"Số gọi vào: {info['dial_in']}")
        if info.get("passcode") and not for_feed:
            lines.append(f"Mật khẩu: {info['passcode']}")
    return "\n".join(lines).strip()


def organizer(data: MeetingData) -> vCalAddress:
    return vCalAddress.new(system_address(), cn=clean_name(data.meeting.organizing_unit.name))


def attendee_address(a: Attendee, delegated_to: dict[int, str]) -> vCalAddress:
    kwargs: dict[str, Any] = {
        "cn": clean_name(a.display_name),
        "cutype": "INDIVIDUAL",
        "role": ROLES.get(a.role, "REQ-PARTICIPANT"),
        "partstat": PARTSTATS.get(a.rsvp, "NEEDS-ACTION"),
        "rsvp": True,
    }
    if a.pk in delegated_to:
        kwargs["delegated_to"] = f"mailto:{delegated_to[a.pk]}"
    if a.delegated_from_id and a.delegated_from is not None:
        kwargs["delegated_from"] = f"mailto:{a.delegated_from.email}"
    return vCalAddress.new(a.email, **kwargs)


def max_listed() -> int:
    return int(getattr(settings, "INVITATIONS_MAX_LISTED_ATTENDEES", 50))


def attendee_list(
    data: MeetingData, only: Iterable[Attendee] | None = None, occ: Occurrence | None = None,
    recipient: Any = None, *, rooms: bool = True,
) -> list[vCalAddress]:
    """ATTENDEE values. Beyond max_listed() people (an all-unit briefing), each message lists
    the chair and its recipient only: 300 names help nobody and make every mail 60 kB. A
    SHARED render of such a meeting holds a placeholder that personalise() fills."""
    people = list(only) if only is not None else data.attendees
    if only is None and recipient is SHARED and len(people) > max_listed():
        result = [vCalAddress(PEOPLE_PLACEHOLDER)]
    else:
        if only is None and recipient is not None and recipient is not SHARED and len(people) > max_listed():
            people = data.listed_for(recipient)
        organizer_address = system_address()
        result = [attendee_address(a, data.delegated_to) for a in people if a.email.lower() != organizer_address]
    if only is None and rooms:
        for room in data.rooms_of(occ):
            result.append(vCalAddress.new(room_address(room), cn=clean_name(room.name), cutype="ROOM", role="NON-PARTICIPANT", partstat="ACCEPTED"))
    return result


def _times(ev: Event, start: datetime, end: datetime) -> None:
    ev.add("DTSTART", local(start))
    ev.add("DTEND", local(end))


def _common(ev: Event, data: MeetingData, stamp: datetime, sequence: int) -> None:
    ev.add("UID", str(data.meeting.uid))
    ev.add("DTSTAMP", stamp.astimezone(ZoneInfo("UTC")))
    ev.add("SEQUENCE", sequence)
    ev.add("SUMMARY", data.meeting.title)
    if data.confidential:
        ev.add("CLASS", "CONFIDENTIAL")


def occurrence_sequence(meeting: Meeting, occ: Occurrence) -> int:
    """One counter per UID (meetings.actions.sequence): a sitting carries the meeting's
    current SEQUENCE, which is at least the one it took when it was last changed alone."""
    return max(meeting.sequence, occ.sequence)


SHARED = object()  # recipient placeholder: render once, personalise per attendee afterwards
PEOPLE_PLACEHOLDER = "mailto:quorum-people@placeholder.invalid"
STAMP_SENTINEL = datetime(1999, 1, 1, tzinfo=ZoneInfo("UTC"))


def _description(data: MeetingData, recipient: Any, occ: Occurrence | None, for_feed: bool) -> str:
    if recipient is SHARED:
        return f"@@QUORUM-DESCRIPTION-{occ.pk if occ is not None else 0}@@"
    return description(data, recipient, occ, for_feed=for_feed)


def master_event(data: MeetingData, stamp: datetime, *, recipient: Any, attendees: list[vCalAddress] | None) -> Event:
    m = data.meeting
    ev = Event()
    _common(ev, data, stamp, m.sequence)
    _times(ev, m.start, m.end)
    if m.rrule:
        ev.add("RRULE", _rrule_dict(m.rrule))
        exdates = [local(o.recurrence_id) for o in data.occurrences if o.cancelled_individually]
        if exdates:
            ev.add("EXDATE", exdates)
    if loc := data.location():
        ev.add("LOCATION", loc)
    if desc := _description(data, recipient, None, attendees is None):
        ev.add("DESCRIPTION", desc)
    ev.add("STATUS", "CONFIRMED")
    ev.add("TRANSP", "OPAQUE")
    if attendees is not None:
        ev.add("ORGANIZER", organizer(data))
        for a in attendees:
            ev.add("ATTENDEE", a)
    return ev


def override_event(data: MeetingData, occ: Occurrence, stamp: datetime, *, recipient: Any, attendees: list[vCalAddress] | None, cancelled: bool = False) -> Event:
    ev = Event()
    _common(ev, data, stamp, occurrence_sequence(data.meeting, occ))
    ev.add("RECURRENCE-ID", local(occ.recurrence_id))
    _times(ev, occ.start, occ.end)
    if loc := data.location(occ):
        ev.add("LOCATION", loc)
    if not cancelled and (desc := _description(data, recipient, occ, attendees is None)):
        ev.add("DESCRIPTION", desc)
    ev.add("STATUS", "CANCELLED" if cancelled else "CONFIRMED")
    if attendees is not None:
        ev.add("ORGANIZER", organizer(data))
        for a in attendees:
            ev.add("ATTENDEE", a)
    return ev


def _rrule_dict(text: str) -> dict[str, Any]:
    from icalendar import vRecur

    return vRecur.from_ical(text)


def calendar(method: str, events: Iterable[Event]) -> Calendar:
    cal = Calendar()
    cal.add("PRODID", PRODID)
    cal.add("VERSION", "2.0")
    cal.add("CALSCALE", "GREGORIAN")
    cal.add("METHOD", method)
    cal.add_component(vtimezone())
    for ev in events:
        cal.add_component(ev)
    return cal


def now_stamp() -> datetime:
    return timezone.now().replace(microsecond=0)


# --- the messages --------------------------------------------------------------------------


def request(data: MeetingData, recipient: Attendee, *, occurrence: Occurrence | None = None, stamp: datetime | None = None) -> bytes:
    """METHOD:REQUEST for the series (master + overrides) or for one occurrence (override only,
    as Outlook applies occurrence updates only then). The calendar is serialised once per
    (meeting version, occurrence) and personalised per recipient."""
    key = ("request", occurrence.pk if occurrence is not None else None)
    if key not in data.rendered:
        data.rendered[key] = _request(data, occurrence, SHARED, STAMP_SENTINEL)
    return personalise(data, data.rendered[key], recipient, stamp or now_stamp())


def _request(data: MeetingData, occurrence: Occurrence | None, recipient: Any, stamp: datetime) -> bytes:
    def people(occ: Occurrence | None = None) -> list[vCalAddress]:
        return attendee_list(data, occ=occ, recipient=recipient)

    if occurrence is not None:
        return calendar("REQUEST", [override_event(data, occurrence, stamp, recipient=recipient, attendees=people(occurrence))]).to_ical()
    events = [master_event(data, stamp, recipient=recipient, attendees=people())]
    if data.meeting.rrule:
        for occ in data.occurrences:
            if occ.is_exception and not occ.is_cancelled:
                events.append(override_event(data, occ, stamp, recipient=recipient, attendees=people(occ)))
    return calendar("REQUEST", events).to_ical()


_SENTINEL_LINE = re.compile(rb"DESCRIPTION:@@QUORUM-DESCRIPTION-(\d+)@@\r\n")
_STAMP_LINE = b"DTSTAMP:" + STAMP_SENTINEL.strftime("%Y%m%dT%H%M%SZ").encode()
_PEOPLE_LINE = b"ATTENDEE:" + PEOPLE_PLACEHOLDER.encode() + b"\r\n"


def _lines(ev: Event) -> bytes:
    """The property lines of a throwaway VEVENT (serialised and folded by icalendar)."""
    return ev.to_ical().split(b"\r\n", 1)[1].rsplit(b"END:VEVENT\r\n", 1)[0]


def _people_lines(data: MeetingData, recipient: Attendee) -> bytes:
    ev = Event()
    for a in attendee_list(data, recipient=recipient, rooms=False):
        ev.add("ATTENDEE", a)
    return _lines(ev)


def personalise(data: MeetingData, shared: bytes, recipient: Attendee, stamp: datetime) -> bytes:
    """Fill the per-attendee DESCRIPTION (join link), the listed people of a big meeting and
    a fresh DTSTAMP into a shared render: a 300-person invitation is serialised once, not
    300 times, and the result is byte for byte what a per-recipient render would give."""

    def fill(match: re.Match[bytes]) -> bytes:
        occ_pk = int(match.group(1))
        occ = data.occurrence(occ_pk) if occ_pk else None
        text = description(data, recipient, occ)
        if not text:
            return b""
        ev = Event()
        ev.add("DESCRIPTION", text)
        return _lines(ev)

    body = _SENTINEL_LINE.sub(fill, shared)
    if _PEOPLE_LINE in body:
        body = body.replace(_PEOPLE_LINE, _people_lines(data, recipient))
    return body.replace(_STAMP_LINE, b"DTSTAMP:" + stamp.astimezone(ZoneInfo("UTC")).strftime("%Y%m%dT%H%M%SZ").encode())


def cancel(data: MeetingData, recipient: Attendee, *, occurrence: Occurrence | None = None, uninvite: bool = False, stamp: datetime | None = None) -> bytes:
    """METHOD:CANCEL: the whole meeting (STATUS:CANCELLED, everyone listed), one occurrence
    (RECURRENCE-ID), or one person removed (only them listed, no STATUS)."""
    if uninvite:
        return _cancel(data, recipient, None, uninvite=True, stamp=stamp or now_stamp())
    key = ("cancel", occurrence.pk if occurrence is not None else None, recipient.pk if recipient.pk not in {a.pk for a in data.attendees} else None)
    if key not in data.rendered:
        data.rendered[key] = _cancel(data, recipient, occurrence, uninvite=False, stamp=STAMP_SENTINEL)
    return personalise(data, data.rendered[key], recipient, stamp or now_stamp())


def _cancel(data: MeetingData, recipient: Attendee, occurrence: Occurrence | None, *, uninvite: bool, stamp: datetime) -> bytes:
    m = data.meeting
    who: Any = SHARED
    if occurrence is not None:
        ev = override_event(data, occurrence, stamp, recipient=who, attendees=attendee_list(data, occ=occurrence, recipient=who), cancelled=True)
        return calendar("CANCEL", [ev]).to_ical()
    ev = Event()
    _common(ev, data, stamp, m.sequence)
    _times(ev, m.start, m.end)
    if m.rrule:
        ev.add("RRULE", _rrule_dict(m.rrule))
    if loc := data.location():
        ev.add("LOCATION", loc)
    ev.add("ORGANIZER", organizer(data))
    if uninvite:
        ev.add("ATTENDEE", attendee_list(data, only=[recipient])[0])
    else:
        ev.add("STATUS", "CANCELLED")
        people = attendee_list(data, recipient=who)
        if recipient.pk not in {a.pk for a in data.attendees}:
            people.append(attendee_list(data, only=[recipient])[0])
        for a in people:
            ev.add("ATTENDEE", a)
    return calendar("CANCEL", [ev]).to_ical()


def feed_events(data: MeetingData, *, busy_only: bool = False) -> list[Event]:
    """PUBLISH events of one meeting: master (RRULE/EXDATE) and overrides, no attendees."""
    m = data.meeting
    stamp = m.updated_at.replace(microsecond=0)
    events = [master_event(data, stamp, recipient=None, attendees=None)]
    if m.rrule:
        events += [override_event(data, o, stamp, recipient=None, attendees=None)
                   for o in data.occurrences if o.is_exception and not o.is_cancelled]
    if busy_only:
        for ev in events:
            ev["SUMMARY"] = "Bận"
            for name in ("DESCRIPTION", "LOCATION"):
                ev.pop(name, None)
            ev["CLASS"] = "PRIVATE"
    elif data.confidential:
        for ev in events:
            ev.pop("DESCRIPTION", None)
    # A feed lives in outside calendar apps: no e-mail address or phone number typed into a
    # title, agenda or place goes with it (issue 12).
    for ev in events:
        for name in ("SUMMARY", "DESCRIPTION", "LOCATION"):
            if name in ev and contains_personal_data(str(ev[name])):
                ev[name] = vText(strip_personal_data(str(ev[name])))
    return events


def feed_duration(td: timedelta) -> str:
    return f"PT{int(td.total_seconds() // 3600)}H"
