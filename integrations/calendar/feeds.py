"""ICS subscription feeds: personal, per unit and per room (METHOD:PUBLISH).

No attendee or organizer e-mail addresses; a bounded window (60 days back, a year ahead);
masters keep RRULE/EXDATE and overrides go in as RECURRENCE-ID events. Each meeting's
events are serialised once per change (FeedFragment, refreshed by the outbox handler and
checked for freshness in SQL), so a feed is one query for the stored texts and a join of
strings. The ETag is one aggregate over the meetings in the window (plus a generation that
room, unit and chair renames bump), remembered in the cache until something changes, so a
poll answered 304 costs no feed query at all.
"""

from __future__ import annotations

import gzip
import hashlib
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.cache import cache
from django.db.models import Count, F, Max, Prefetch, Q, QuerySet
from django.utils import timezone
from icalendar import Calendar, vDuration

from integrations.calendar import ical
from integrations.calendar.models import FeedFragment, FeedToken, hash_token
from meetings.models import Booking, Meeting, MeetingRoom, Occurrence
from meetings.permissions import department_leader, unit_ids

VERSION = "2"  # bump when the rendering changes: every stored fragment is then stale
BACK = timedelta(days=60)
AHEAD = timedelta(days=365)
REFRESH = timedelta(hours=1)


def lookup(token: str) -> FeedToken | None:
    if not token or len(token) > 100:
        return None
    # Every poll starts here, so the query is kept small (a third of the cost of joining the
    # unit and room too): a unit or room feed loads its target when it checks access.
    row = FeedToken.objects.select_related("owner").filter(token_hash=hash_token(token), revoked_at__isnull=True).first()
    if row is None or not row.owner.is_active or not allowed(row.owner, row.kind, row.unit, row.room):
        return None
    return row


def allowed(user: Any, kind: str, unit: Any = None, room: Any = None) -> bool:
    """Who may subscribe to what: anyone to their own calendar; a unit's people (and the
    department's leaders) to the unit's; a room's unit, or anyone for a shared room."""
    if kind == FeedToken.Kind.PERSONAL:
        return True
    if user.is_superuser or department_leader(user):
        return True
    if kind == FeedToken.Kind.UNIT:
        return unit is not None and unit.is_active and unit.pk in unit_ids(user)
    if kind == FeedToken.Kind.ROOM:
        return room is not None and room.is_active and (room.shared or room.unit_id in unit_ids(user))
    return False


def window(now: datetime | None = None) -> tuple[datetime, datetime]:
    now = now or timezone.now()
    return now - BACK, now + AHEAD


def meetings(row: FeedToken, now: datetime | None = None) -> tuple[QuerySet[Meeting], set[int]]:
    """The feed's meetings, and the ids to show as busy only (not visible to the owner)."""
    lo, hi = window(now)
    in_window = Occurrence.objects.filter(in_series=True, start__lt=hi, end__gt=lo).exclude(status=Occurrence.Status.CANCELLED)
    base = Meeting.objects.exclude(status__in=[Meeting.Status.CANCELLED, Meeting.Status.DRAFT]).filter(
        pk__in=in_window.values("meeting_id")
    )
    busy: set[int] = set()
    owner = row.owner
    if row.kind == FeedToken.Kind.PERSONAL:
        mine = Q(attendees__user=owner, attendees__is_active=True) | Q(chair=owner)
        qs = base.filter(pk__in=Meeting.objects.filter(mine).values("pk"))
    elif row.kind == FeedToken.Kind.UNIT:
        theirs = Q(organizing_unit=row.unit) | Q(attendees__unit=row.unit, attendees__is_active=True)
        qs = base.filter(pk__in=Meeting.objects.filter(theirs).values("pk")).filter(
            pk__in=Meeting.objects.visible_to(owner).values("pk")
        )
    else:
        booked = Booking.objects.filter(room=row.room, status__in=[Booking.Status.CONFIRMED, Booking.Status.REQUESTED])
        qs = base.filter(pk__in=booked.values("occurrence__meeting_id"))
        visible = set(Meeting.objects.visible_to(owner).filter(pk__in=qs.values("pk")).values_list("pk", flat=True))
        busy = set(qs.exclude(pk__in=visible).values_list("pk", flat=True))
    return qs, busy


def fingerprint(qs: QuerySet[Meeting]) -> dict[str, Any]:
    """One aggregate query: how many meetings, the latest change and the newest id."""
    return qs.order_by().aggregate(n=Count("pk"), last=Max("updated_at"), top=Max("pk"))


def etag(row: FeedToken, qs: QuerySet[Meeting], busy: set[int], now: datetime | None = None,
         agg: dict[str, Any] | None = None) -> str:
    now = now or timezone.now()
    agg = agg if agg is not None else fingerprint(qs)
    busy_key = hashlib.sha256(",".join(map(str, sorted(busy))).encode()).hexdigest()[:12] if busy else ""
    names = cache.get(NAMES_KEY, 0)
    key = f"{VERSION}|{row.pk}|{timezone.localdate(now)}|{agg['n']}|{agg['last']}|{agg['top']}|{busy_key}|{names}"
    return '"' + hashlib.sha256(key.encode()).hexdigest()[:32] + '"'


GENERATION_KEY = "invitations:feed-generation"
NAMES_KEY = "invitations:feed-names"


def changed() -> None:
    """A meeting changed (called from the outbox handler): remembered ETags are stale."""
    cache.set(GENERATION_KEY, time.time_ns(), None)


def _etag_key(row: FeedToken) -> str:
    return f"invitations:feed-etag:{row.pk}"


def _load(ids: list[int]) -> list[ical.MeetingData]:
    """MeetingData for many meetings in a handful of queries (feeds carry no attendees)."""
    live = (Booking.Status.CONFIRMED, Booking.Status.REQUESTED)
    found = (
        Meeting.objects.filter(pk__in=ids)
        .select_related("organizing_unit", "chair")
        .prefetch_related(
            Prefetch("room_choices", queryset=MeetingRoom.objects.select_related("room__unit").order_by("id")),
            Prefetch("occurrences", queryset=Occurrence.objects.filter(in_series=True).order_by("index")),
        )
    )
    result = []
    exceptions: dict[int, list[Any]] = {}
    metas = list(found)
    occ_ids = [o.pk for m in metas for o in m.occurrences.all() if o.is_exception]
    for b in Booking.objects.filter(occurrence_id__in=occ_ids, status__in=live).select_related("room__unit").order_by("id"):
        exceptions.setdefault(b.occurrence_id, []).append(b.room)
    series: dict[int, list[tuple[int, str]]] = {}
    for meeting_id, room_id, status in Booking.objects.filter(
        occurrence__meeting_id__in=ids, occurrence__in_series=True, occurrence__is_exception=False,
    ).values_list("occurrence__meeting_id", "room_id", "status"):
        series.setdefault(meeting_id, []).append((room_id, status))
    for m in metas:
        occs = list(m.occurrences.all())
        gone = ical.rejected_rooms(series.get(m.pk, []))
        result.append(ical.MeetingData(
            meeting=m, attendees=[], rooms=[mr.room for mr in m.room_choices.all() if mr.room_id not in gone], occurrences=occs,
            occurrence_rooms={o.pk: exceptions.get(o.pk, []) for o in occs if o.is_exception},
        ))
    return result


def _serialise(data: ical.MeetingData, *, busy: bool) -> str:
    return b"".join(ev.to_ical() for ev in ical.feed_events(data, busy_only=busy)).decode()


def refresh(ids: list[int], busy: set[int] | frozenset[int] = frozenset()) -> dict[int, FeedFragment]:
    """(Re)serialise the fragments of these meetings; the busy variant only where asked for
    (or already stored). Safe against a concurrent refresh of the same meeting (upsert)."""
    done: dict[int, FeedFragment] = {}
    for chunk_start in range(0, len(ids), 500):
        chunk = ids[chunk_start:chunk_start + 500]
        had_busy = set(FeedFragment.objects.filter(meeting_id__in=chunk).exclude(busy="").values_list("meeting_id", flat=True))
        fresh = []
        for data in _load(chunk):
            m = data.meeting
            fresh.append(FeedFragment(
                meeting=m, version=VERSION, updated_at=m.updated_at, sequence=m.sequence,
                full=_serialise(data, busy=False),
                busy=_serialise(data, busy=True) if m.pk in busy or m.pk in had_busy else "",
            ))
        FeedFragment.objects.bulk_create(
            fresh, update_conflicts=True, unique_fields=["meeting"],
            update_fields=["version", "updated_at", "sequence", "full", "busy"],
        )
        done.update({f.meeting_id: f for f in fresh})
    return done


def refresh_meeting(meeting: Meeting) -> None:
    """Called by the outbox handler after a change, so the next poll finds it serialised."""
    if meeting.status in (Meeting.Status.CANCELLED, Meeting.Status.DRAFT):
        FeedFragment.objects.filter(meeting=meeting).delete()
        return
    refresh([meeting.pk])


def refresh_stale(limit: int = 2000, now: datetime | None = None) -> int:
    """Serialise meetings in the feed window whose text is missing or stale (a deploy that
    bumped VERSION, meetings written around the actions, renames): the periodic safety net,
    so no feed request has to serialise thousands of meetings itself."""
    lo, hi = window(now)
    in_window = Occurrence.objects.filter(in_series=True, start__lt=hi, end__gt=lo)
    fresh = Q(feed_fragment__version=VERSION, feed_fragment__updated_at=F("updated_at"),
              feed_fragment__sequence=F("sequence"))
    stale = list(
        Meeting.objects.exclude(status__in=[Meeting.Status.CANCELLED, Meeting.Status.DRAFT])
        .filter(pk__in=in_window.values("meeting_id")).exclude(fresh)
        .order_by("pk").values_list("pk", flat=True)[:limit]
    )
    refresh(stale)
    return len(stale)


def fragments(qs: QuerySet[Meeting], busy: set[int], expected: int | None = None) -> dict[int, str]:
    """The stored text per meeting of the feed (busy-only text for the ids in `busy`). One
    query when everything is fresh; stale or missing meetings are serialised now."""
    fresh = Q(feed_fragment__version=VERSION, feed_fragment__updated_at=F("updated_at"),
              feed_fragment__sequence=F("sequence"))
    qs = qs.order_by()  # sorted by id here, not by the database
    texts: dict[int, str] = dict(qs.filter(fresh).values_list("pk", "feed_fragment__full"))
    if busy:
        for pk in busy:
            texts.pop(pk, None)
        texts.update(qs.filter(fresh, pk__in=busy).exclude(feed_fragment__busy="").values_list("pk", "feed_fragment__busy"))
    if expected is None or len(texts) != expected:
        stale = sorted(set(qs.values_list("pk", flat=True)) - set(texts))
        for pk, frag in refresh(stale, busy).items():
            texts[pk] = frag.busy if pk in busy else frag.full
    return texts


def names_changed(shown_in: Q) -> None:
    """A room, unit or person was renamed (or moved): forget the fragments of the meetings
    that show the old name and give every feed a new ETag."""
    affected = Meeting.objects.filter(shown_in).values("pk")
    if not affected.exists():
        return
    FeedFragment.objects.filter(meeting__in=affected).delete()
    cache.set(NAMES_KEY, time.time_ns(), None)
    changed()


def names_generation() -> int:
    return cache.get(NAMES_KEY, 0)


def on_room_saved(sender: Any, instance: Any, created: bool = False, **kwargs: Any) -> None:
    if not created:  # LOCATION names the room, its unit and place
        names_changed(Q(room_choices__room=instance) | Q(occurrences__bookings__room=instance))


def on_unit_saved(sender: Any, instance: Any, created: bool = False, **kwargs: Any) -> None:
    if not created:  # DESCRIPTION names the organising unit; LOCATION the rooms' units
        names_changed(Q(organizing_unit=instance) | Q(room_choices__room__unit=instance)
                      | Q(occurrences__bookings__room__unit=instance))


def on_user_saved(sender: Any, instance: Any, created: bool = False, update_fields: Any = None, **kwargs: Any) -> None:
    if not created and (update_fields is None or "full_name" in update_fields):  # DESCRIPTION names the chair
        names_changed(Q(chair=instance))


def title(row: FeedToken) -> str:
    if row.kind == FeedToken.Kind.UNIT and row.unit:
        return f"Lịch họp – {row.unit.short_name}"
    if row.kind == FeedToken.Kind.ROOM and row.room:
        return f"Lịch phòng – {row.room.name}"
    return f"Lịch họp – {row.owner.full_name}" if row.owner.full_name else "Lịch họp – Quorum"  # never the e-mail


def header(name: str) -> tuple[bytes, bytes]:
    cal = Calendar()
    cal.add("PRODID", ical.PRODID)
    cal.add("VERSION", "2.0")
    cal.add("CALSCALE", "GREGORIAN")
    cal.add("METHOD", "PUBLISH")
    cal.add("NAME", name)
    cal.add("X-WR-CALNAME", name)
    cal.add("X-WR-TIMEZONE", ical.TZID)
    cal.add("REFRESH-INTERVAL", REFRESH, parameters={"VALUE": "DURATION"})
    cal.add("X-PUBLISHED-TTL", vDuration(REFRESH))
    cal.add_component(ical.vtimezone())
    text = cal.to_ical()
    end = b"END:VCALENDAR\r\n"
    return text[: -len(end)], end


@dataclass
class Rendered:
    etag: str
    body: bytes | None = None  # the calendar, when it was built for this request
    gz: bytes | None = None  # the same, gzip-compressed (what the cache keeps)

    @property
    def not_modified(self) -> bool:
        return self.body is None and self.gz is None

    def content(self, accepts_gzip: bool) -> tuple[bytes, str | None]:
        """(bytes, Content-Encoding) for a client that does or does not take gzip."""
        if accepts_gzip and self.gz is not None:
            return self.gz, "gzip"
        if self.body is None:
            self.body = gzip.decompress(self.gz or b"")
        return self.body, None


def render(row: FeedToken, if_none_match: str = "", now: datetime | None = None) -> Rendered:
    """The feed, or a Rendered without content when `if_none_match` still matches (→ 304).
    While no meeting changed, the ETag is remembered, so a poll answered 304 costs no feed
    query. Bodies are cached gzip-compressed (a 5,000-event feed is ~2 MB of text, ~0.2 MB
    compressed): cheap to store and fetch, and served as is to clients that accept gzip."""
    wanted = [t.strip() for t in if_none_match.split(",")] if if_none_match else []
    etag_key = _etag_key(row)
    found = cache.get_many([GENERATION_KEY, etag_key])  # one round trip
    generation = found.get(GENERATION_KEY, 0)
    today = str(timezone.localdate(now or timezone.now()))
    remembered = found.get(etag_key)
    if remembered is not None and tuple(remembered[:2]) == (generation, today):
        tag = remembered[2]
        if tag in wanted:
            return Rendered(tag)
        gz = cache.get(f"invitations:feed:{row.pk}:{tag}")
        if gz is not None:
            return Rendered(tag, gz=gz)
    qs, busy = meetings(row, now)
    agg = fingerprint(qs)
    tag = etag(row, qs, busy, now, agg)
    # Labelled with the generation read before the query: a change meanwhile makes it stale.
    cache.set(etag_key, (generation, today, tag), 3600)
    if tag in wanted:
        return Rendered(tag)
    key = f"invitations:feed:{row.pk}:{tag}"
    gz = cache.get(key)
    if gz is not None:
        return Rendered(tag, gz=gz)
    texts = fragments(qs, busy, expected=agg["n"])
    head, tail = header(title(row))
    body = head + "".join([texts[pk] for pk in sorted(texts)]).encode() + tail
    gz = gzip.compress(body, compresslevel=1, mtime=0)
    cache.set(key, gz, timeout=3600)
    return Rendered(tag, body=body, gz=gz)


def urls(token: str) -> dict[str, str]:
    from django.conf import settings
    from django.urls import reverse

    https = settings.SITE_URL + reverse("invitations:feed", args=[token])
    return {"url": https, "webcal": "webcal://" + https.split("://", 1)[1]}


def can_subscribe_unit(user: Any, unit: Any) -> bool:
    return allowed(user, FeedToken.Kind.UNIT, unit=unit)

