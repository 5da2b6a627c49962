""""My meetings": the sittings a person is invited to or chairs, with what they can do on each.

Read by two hand-written statements whatever the person's history (the page is the most
visited one and its ORM form cost ~250 model instances and eight compiled queries): one for
the cards (today's sittings, one page of later ones and one of earlier ones, each with its
meeting, organising unit, minutes, the person's own invitation row and who they sent in
their place), one for the cards' rooms. The rows become small read-only objects with the
attributes the cards use (`SittingRow`, `MeetingRow`, `AttendeeRow`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import connection
from django.urls import get_script_prefix, reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from meetings.formatting import vn_datetime
from meetings.models import Attendee, Booking, Meeting, Occurrence, Room, Unit
from meetings.models.attendees import join_token_for

JOIN_EARLY = timedelta(minutes=15)  # the Join button opens this long before the start
# Phones first: a short list per section, with links to the next pages.
UPCOMING_PAGE = 20
PAST_PAGE = 10
# A page of later (or earlier) sittings is looked for this far from today first (PostgreSQL).
PAGE_WINDOW = timedelta(days=14)


_MARK = 987654321
_RSVP_CLASS = {Attendee.Rsvp.ACCEPTED: " tag-ok", Attendee.Rsvp.DECLINED: " tag-bad", Attendee.Rsvp.NEEDS_ACTION: " tag-pending"}
_ANSWERS = [(Attendee.Rsvp.ACCEPTED.value, Attendee.Rsvp.ACCEPTED.label), (Attendee.Rsvp.TENTATIVE.value, Attendee.Rsvp.TENTATIVE.label),
            (Attendee.Rsvp.DECLINED.value, Attendee.Rsvp.DECLINED.label)]


@functools.cache
def _route(name: str, prefix: str) -> tuple[str, str]:
    url = reverse(name, args=[_MARK])  # an <int:…> route takes it, and so does a <str:…> one
    head, _, tail = url.partition(str(_MARK))
    return head, tail


def _url(name: str, arg: int | str) -> str:
    """reverse(name, args=[arg]) for a route with one <int:…> or <str:…> taking URL-safe
    values (ids, join tokens): resolved once per route (a page of 30 cards reversed ~150
    URLs, a tenth of its rendering time)."""
    head, tail = _route(name, get_script_prefix())
    return f"{head}{arg if isinstance(arg, str) else int(arg)}{tail}"


# --- the rows the cards read ------------------------------------------------------------------


class UnitRow:
    __slots__ = ("short_name",)

    def __init__(self, short_name: str) -> None:
        self.short_name = short_name


class MeetingRow:
    __slots__ = ("chair_id", "is_urgent", "mode", "organizing_unit", "pk", "status", "title")

    def __init__(self, pk: int, title: str, is_urgent: bool, mode: str, chair_id: int | None, status: str,
                 unit: str) -> None:
        self.pk, self.title, self.is_urgent, self.mode = pk, title, bool(is_urgent), mode
        self.chair_id, self.status, self.organizing_unit = chair_id, status, UnitRow(unit)

    @property
    def is_online(self) -> bool:
        return self.mode in (Meeting.Mode.ONLINE, Meeting.Mode.HYBRID)

    def get_mode_display(self) -> str:
        return str(Meeting.Mode(self.mode).label)


class SittingRow:
    __slots__ = ("end", "meeting", "meeting_id", "pk", "start", "status")

    def __init__(self, pk: int, meeting: MeetingRow, start: datetime, end: datetime, status: str) -> None:
        self.pk, self.meeting, self.meeting_id = pk, meeting, meeting.pk
        self.start, self.end, self.status = start, end, status

    @property
    def is_cancelled(self) -> bool:
        return self.status == Occurrence.Status.CANCELLED


class AttendeeRow:
    """The person's own invitation row (active: the page shows no withdrawn ones)."""

    __slots__ = ("join_key", "pk", "rsvp", "rsvp_comment", "unit_id")
    is_active = True

    def __init__(self, pk: int, rsvp: str, rsvp_comment: str, unit_id: int | None, join_key: str) -> None:
        self.pk, self.rsvp, self.rsvp_comment, self.unit_id, self.join_key = pk, rsvp, rsvp_comment, unit_id, join_key

    def get_rsvp_display(self) -> str:
        return str(Attendee.Rsvp(self.rsvp).label)

    @property
    def join_token(self) -> str:
        return join_token_for(self.join_key)


@dataclass(frozen=True, slots=True)
class RoomRow:
    name: str
    unit: str  # the room's unit, short name
    status: str


@dataclass
class Card:
    """One sitting on the page, and what the person may do with it now. `occurrence` and
    `attendee` are rows here, or model instances (the meeting page's Join button)."""

    occurrence: Any
    attendee: Any  # None when the person only chairs it
    delegate_name: str = ""  # whom they sent in their place
    rooms: list[RoomRow] = field(default_factory=list)
    minutes_status: str | None = None  # None: no minutes yet
    now: datetime = field(default_factory=timezone.now)

    @functools.cached_property
    def key(self) -> str:
        """The sitting's id as text, for element ids (rendered many times per card)."""
        return str(self.occurrence.pk)

    @functools.cached_property
    def meeting(self) -> Any:
        return self.occurrence.meeting

    @functools.cached_property
    def cancelled(self) -> bool:
        return self.occurrence.is_cancelled or self.meeting.status == Meeting.Status.CANCELLED

    @functools.cached_property
    def past(self) -> bool:
        return self.occurrence.end <= self.now

    @functools.cached_property
    def delegated(self) -> bool:
        return self.attendee is not None and self.attendee.rsvp == Attendee.Rsvp.DELEGATED

    @functools.cached_property
    def can_answer(self) -> bool:
        return self.attendee is not None and not self.cancelled and not self.past and not self.delegated

    @functools.cached_property
    def can_delegate(self) -> bool:
        return self.can_answer and self.attendee is not None and self.attendee.unit_id is not None

    @functools.cached_property
    def online(self) -> bool:
        return self.meeting.is_online

    @functools.cached_property
    def join_opens_at(self) -> datetime:
        return self.occurrence.start - JOIN_EARLY

    @functools.cached_property
    def join_open(self) -> bool:
        return (self.online and not self.cancelled and self.attendee is not None and self.attendee.is_active
                and not self.delegated and self.join_opens_at <= self.now < self.occurrence.end)

    @functools.cached_property
    def show_join(self) -> bool:
        return self.online and not self.cancelled and not self.past and self.attendee is not None and not self.delegated

    @functools.cached_property
    def answer_url(self) -> str:
        return _url("my_meetings_answer", self.attendee.pk) if self.attendee else ""

    @functools.cached_property
    def delegate_url(self) -> str:
        return _url("my_meetings_delegate", self.attendee.pk) if self.attendee else ""

    @functools.cached_property
    def minutes_url(self) -> str:
        return _url("minutes:page", self.occurrence.pk)

    # Worked out once per card, not by template filters (the page renders up to 31 cards).

    @functools.cached_property
    def _start(self) -> datetime:
        return timezone.localtime(self.occurrence.start)

    @functools.cached_property
    def start_iso(self) -> str:
        return self._start.isoformat()

    @functools.cached_property
    def when(self) -> str:
        return vn_datetime(self._start)

    @functools.cached_property
    def end_iso(self) -> str:
        return timezone.localtime(self.occurrence.end).isoformat()

    @functools.cached_property
    def end_hm(self) -> str:
        return f"{timezone.localtime(self.occurrence.end):%H:%M}"

    @functools.cached_property
    def join_opens_iso(self) -> str:
        return timezone.localtime(self.join_opens_at).isoformat()

    @functools.cached_property
    def join_opens_hm(self) -> str:
        return f"{timezone.localtime(self.join_opens_at):%H:%M}"

    @functools.cached_property
    def join_url(self) -> str:
        return _url("online-join", self.attendee.join_token) if self.attendee else ""

    @functools.cached_property
    def rsvp_class(self) -> str:
        """The answer's tag modifier (" tag-ok" …), with its leading space."""
        rsvp = self.attendee.rsvp if self.attendee else ""
        return _RSVP_CLASS.get(rsvp, "")

    @property
    def answers(self) -> list[tuple[str, str, bool]]:
        """The answer buttons: (value, label in the active language, pressed)."""
        rsvp = self.attendee.rsvp if self.attendee else ""
        return [(value, str(label), value == rsvp) for value, label in _ANSWERS]

    @functools.cached_property
    def minutes_state(self) -> str:
        """"issued", "live" (being written) or "" (nothing to open yet)."""
        if self.minutes_status is not None:
            return "issued" if self.minutes_status == "issued" else "live"
        if not self.cancelled and self.occurrence.start - JOIN_EARLY <= self.now:
            return "live"
        return ""


# --- the two statements -----------------------------------------------------------------------


def _in(column: str, *subqueries: str) -> str:
    """`column IN (q1) OR column IN (q2)`; on PostgreSQL `column = ANY(ARRAY(q1) || …)`: each
    ARRAY(…) is an init plan run once, so the outer statement is planned as index lookups of a
    short id list (meetings.models.meetings.InIds, the ORM's form of the same)."""
    if connection.vendor == "postgresql":
        return f"{column} = ANY(" + " || ".join(f"ARRAY({q})" for q in subqueries) + ")"
    return "(" + " OR ".join(f"{column} IN (SELECT * FROM ({q}))" for q in subqueries) + ")"  # noqa: S608


def _windowed(query: str, bound: str, order: str, limit: str) -> str:
    """The ids of `query` + `order` (LIMIT %(limit)s), looked for within `bound` first: only
    when the window holds less than the limit is the open-ended query run (CASE evaluates
    its ARRAY only then; OFFSET 0 keeps the window's ARRAY from being planned twice)."""
    return (f"(SELECT CASE WHEN cardinality(w.ids) = %({limit})s THEN w.ids ELSE ARRAY({query}{order}) END "  # noqa: S608
            f"FROM (SELECT ARRAY({query} AND {bound}{order}) AS ids OFFSET 0) w)")


@functools.cache
def _sql(vendor: str, which: str) -> str:
    """The statements, written once per process: table names from the models' metadata and
    every value a parameter (hence the S608 exemptions)."""
    t = {name: connection.ops.quote_name(model._meta.db_table) for name, model in (
        ("occ", Occurrence), ("meeting", Meeting), ("unit", Unit), ("att", Attendee), ("booking", Booking),
        ("room", Room), ("user", Attendee.user.field.related_model), ("minutes", Occurrence.minutes.related.related_model))}
    if which == "rooms":  # the {} takes one placeholder per card
        return (f"SELECT b.occurrence_id, r.name, ru.short_name, b.status FROM {t['booking']} b "  # noqa: S608
                f"JOIN {t['room']} r ON r.id = b.room_id JOIN {t['unit']} ru ON ru.id = r.unit_id "
                "WHERE b.occurrence_id IN ({}) AND b.status IN ('confirmed', 'requested') ORDER BY ru.name, r.name")
    # The person's meetings, drafts left out: their invitation rows and the meetings they
    # chair, by the (user, meeting) and chair indexes; worked out once (a CTE) for every part.
    held = ("WITH held AS (SELECT id, status FROM {meeting} WHERE {mine} AND status <> 'draft') ").format(  # noqa: S608
        meeting=t["meeting"], mine=_in("id", f"SELECT meeting_id FROM {t['att']} WHERE user_id = %(user)s AND is_active",  # noqa: S608
                                       f"SELECT id FROM {t['meeting']} WHERE chair_id = %(user)s"))  # noqa: S608
    sittings = f"SELECT id FROM {t['occ']} WHERE {_in('meeting_id', 'SELECT id FROM held')} AND in_series"  # noqa: S608
    if which == "page":
        today = f'{sittings} AND "end" > %(day)s AND start < %(tomorrow)s'
        later = f"{sittings} AND start >= %(tomorrow)s AND status <> 'cancelled'"
        later_order = " ORDER BY start, id LIMIT %(ahead_limit)s OFFSET %(ahead_offset)s"
        # Earlier sittings of meetings not cancelled; "start <" (implied by the end) lets the
        # (meeting, start) index skip the later ones.
        before = (f"SELECT id FROM {t['occ']} WHERE "  # noqa: S608
                  f"{_in('meeting_id', "SELECT id FROM held WHERE status <> 'cancelled'")} AND in_series "
                  "AND \"end\" <= %(day)s AND start < %(day)s AND status <> 'cancelled'")
        before_order = " ORDER BY start DESC, id DESC LIMIT %(past_limit)s OFFSET %(past_offset)s"
        if vendor != "postgresql":
            where = _in("o.id", today, later + later_order, before + before_order)
        else:
            # A page is first looked for within two weeks of today (PAGE_WINDOW), through
            # the (meeting, start) index; open-ended, the query reads every later (or
            # earlier) sitting of every meeting, a cost that grows with the person's
            # history (a weekly meeting adds 52 a year).
            where = ("o.id = ANY(ARRAY(" + today + ") || "
                     + _windowed(later, "start < %(ahead_until)s", later_order, "ahead_limit") + " || "
                     + _windowed(before, "start >= %(past_from)s", before_order, "past_limit") + ")")
    else:  # one card
        where = f"o.id = %(occurrence)s AND {_in('o.id', sittings)}"
    return (
        f'{held}SELECT o.id, o.start, o."end", o.status, m.id, m.title, m.is_urgent, m.mode, m.chair_id, m.status, '  # noqa: S608
        "u.short_name, mi.status, a.id, a.rsvp, a.rsvp_comment, a.unit_id, a.join_key, "
        # Whom they sent: the newest active row delegated from theirs, named as display_name.
        f"(SELECT COALESCE(NULLIF(d.name, ''), NULLIF(du.full_name, ''), d.email) FROM {t['att']} d "
        f"LEFT JOIN {t['user']} du ON du.id = d.user_id "
        "WHERE d.delegated_from_id = a.id AND d.is_active ORDER BY d.id DESC LIMIT 1) "
        f"FROM {t['occ']} o JOIN {t['meeting']} m ON m.id = o.meeting_id "
        f"JOIN {t['unit']} u ON u.id = m.organizing_unit_id "
        f"LEFT JOIN {t['minutes']} mi ON mi.occurrence_id = o.id "
        # Their own active invitation row (the newest, should there be two addresses).
        f"LEFT JOIN {t['att']} a ON a.id = (SELECT MAX(x.id) FROM {t['att']} x "
        "WHERE x.meeting_id = o.meeting_id AND x.user_id = %(user)s AND x.is_active) "
        f"WHERE {where} ORDER BY o.start, o.id"
    )


def _when(value: Any) -> datetime:
    # SQLite hands timestamps back naive (or as text), in UTC.
    if not isinstance(value, datetime):
        value = parse_datetime(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _cards(user: Any, which: str, params: dict[str, Any], now: datetime) -> list[Card]:
    adapt = connection.ops.adapt_datetimefield_value
    params = {k: adapt(v) if isinstance(v, datetime) else v for k, v in params.items()}
    with connection.cursor() as cursor:
        cursor.execute(_sql(connection.vendor, which), {"user": user.pk, **params})
        rows = cursor.fetchall()
        cards: dict[int, Card] = {}
        for (pk, start, end, status, m_pk, title, urgent, mode, chair, m_status, unit, minutes,
             a_pk, rsvp, comment, a_unit, join_key, delegate) in rows:
            meeting = MeetingRow(m_pk, title, urgent, mode, chair, m_status, unit)
            attendee = AttendeeRow(a_pk, rsvp, comment, a_unit, join_key) if a_pk is not None else None
            cards[pk] = Card(SittingRow(pk, meeting, _when(start), _when(end), status), attendee, delegate or "",
                             minutes_status=minutes, now=now)
        if cards:
            cursor.execute(_sql(connection.vendor, "rooms").format(", ".join(["%s"] * len(cards))), list(cards))
            for occurrence_id, name, unit, status in cursor.fetchall():
                cards[occurrence_id].rooms.append(RoomRow(name, unit, status))
    return list(cards.values())


@dataclass
class Page:
    today: list[Card]
    upcoming: list[Card]
    past: list[Card]
    more_upcoming: bool
    more_past: bool
    past_page: int
    ahead_page: int = 1


def page_for(user: Any, *, past_page: int = 1, ahead_page: int = 1, now: datetime | None = None) -> Page:
    """Today in full (cancelled sittings too); then one page of later sittings and one of
    earlier ones (neither cancelled sittings nor, among the earlier, cancelled meetings)."""
    now = now or timezone.now()
    day_start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    tomorrow = day_start + timedelta(days=1)
    ahead_page, past_page = max(1, ahead_page), max(1, past_page)
    # One row more than a page tells whether there is a next one.
    cards = _cards(user, "page", {
        "day": day_start, "tomorrow": tomorrow,
        "ahead_until": tomorrow + PAGE_WINDOW * ahead_page, "past_from": day_start - PAGE_WINDOW * past_page,
        "ahead_limit": UPCOMING_PAGE + 1, "ahead_offset": (ahead_page - 1) * UPCOMING_PAGE,
        "past_limit": PAST_PAGE + 1, "past_offset": (past_page - 1) * PAST_PAGE}, now)
    today = [c for c in cards if c.occurrence.end > day_start and c.occurrence.start < tomorrow]
    later = [c for c in cards if c.occurrence.start >= tomorrow]
    past = [c for c in reversed(cards) if c.occurrence.end <= day_start]
    return Page(today=today, upcoming=later[:UPCOMING_PAGE], past=past[:PAST_PAGE],
                more_upcoming=len(later) > UPCOMING_PAGE, more_past=len(past) > PAST_PAGE,
                past_page=past_page, ahead_page=ahead_page)


def card_for(user: Any, occurrence_id: int) -> Card | None:
    """One card (after an answer or a delegation), with the same rules as the page."""
    if not 0 < occurrence_id < 2**63:  # no such id (and SQLite cannot even bind it)
        return None
    found = _cards(user, "card", {"occurrence": occurrence_id}, timezone.now())
    return found[0] if found else None
