"""Hand-built JSON for the hot read lists (the meeting list and the calendar API).

The same answers as MeetingSerializer and CalendarEntrySerializer (which stay the schema's
statement of the shape, and are checked against these by tests/meetings/test_api_rows.py),
built from `values()` rows: no model instances, no serializer fields per value. At 50
meetings or 400 sittings this is most of a request's CPU time otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db.models import Count, FilteredRelation, Q, QuerySet, Window
from django.utils import timezone

from meetings.api.pagination import CappedLimitOffsetPagination
from meetings.models import Booking, Meeting, MeetingRoom, Occurrence

LIVE = (Booking.Status.CONFIRMED, Booking.Status.REQUESTED)


def _iso(value: datetime, tz: Any = None) -> str:
    """ISO 8601 in the current time zone (`tz`, looked up once per list by the callers:
    the lookup costs more than the conversion)."""
    return value.astimezone(tz or timezone.get_current_timezone()).isoformat()


MEETING_FIELDS = (
    "pk", "uid", "title", "organizing_unit__code", "chair_id", "chair__full_name", "start", "end", "rrule", "mode",
    "status", "sensitivity", "is_urgent", "urgent_reason", "sequence", "online_provider",
)


def meeting_rows(qs: QuerySet[Meeting]) -> QuerySet[Any]:
    """The columns a meeting list entry needs, in one row per meeting (joins: unit, chair),
    and last the number of rows of the whole list (COUNT(*) OVER (), for the paginator)."""
    return qs.annotate(total=Window(Count("pk"))).values_list(*MEETING_FIELDS, "total")


class WindowCountPagination(CappedLimitOffsetPagination):
    """Limit/offset over meeting_rows(): the page and the total in one query (a separate
    COUNT ran the visibility rules a second time); a COUNT only for a page past the end.
    The rows it returns are meeting_rows() without the total."""

    def paginate_queryset(self, queryset: QuerySet[Any], request: Any, view: Any = None) -> list[Any]:
        self.request = request
        self.limit = self.get_limit(request)
        self.offset = self.get_offset(request)
        page = list(queryset[self.offset:self.offset + self.limit])
        self.count = page[0][-1] if page else (queryset.count() if self.offset else 0)
        if self.count > self.limit and self.template is not None:
            self.display_page_controls = True
        return [row[:-1] for row in page]


def meetings_json(rows: Iterable[tuple[Any, ...]]) -> list[dict[str, Any]]:
    """MeetingSerializer(many=True).data for rows of meeting_rows(): one more query (rooms)."""
    rows = list(rows)
    rooms: dict[int, list[dict[str, Any]]] = {}
    if rows:
        for meeting_id, room_id, name, unit, expected in (
            MeetingRoom.objects.filter(meeting_id__in=[r[0] for r in rows]).order_by("id")
            .values_list("meeting_id", "room_id", "room__name", "room__unit__code", "expected_attendees")
        ):
            rooms.setdefault(meeting_id, []).append({"room": room_id, "name": name, "unit": unit, "expected": expected})
    tz = timezone.get_current_timezone()
    return [
        {
            "uid": str(uid), "title": title, "organizing_unit": unit, "chair": chair,
            "chair_name": chair_name if chair is not None else None, "start": _iso(start, tz),
            "end": _iso(end, tz), "rrule": rrule, "mode": mode, "status": status, "sensitivity": sensitivity, "is_urgent": is_urgent,
            "urgent_reason": urgent_reason, "sequence": sequence, "online_provider": online_provider,
            "rooms": rooms.get(pk, []),
        }
        for (pk, uid, title, unit, chair, chair_name, start, end, rrule, mode, status, sensitivity, is_urgent,
             urgent_reason, sequence, online_provider) in rows
    ]


def calendar_json(occurrences: QuerySet[Occurrence]) -> list[dict[str, Any]]:
    """CalendarEntrySerializer(many=True).data for these sittings, in one query: each sitting
    with its meeting's headline, joined with its live bookings' rooms (one row per booking,
    grouped here; the sittings are known by id lists, so the join is an index lookup)."""
    rows = (
        occurrences.annotate(live=FilteredRelation("bookings", condition=Q(bookings__status__in=LIVE)))
        .order_by("start", "pk", "live__start", "live__id")
        .values_list("pk", "meeting__uid", "meeting__title", "meeting__organizing_unit__code", "meeting__mode",
                     "recurrence_id", "start", "end", "status", "live__room__name")
    )
    result: list[dict[str, Any]] = []
    entry: dict[str, Any] = {}
    tz = timezone.get_current_timezone()
    for pk, uid, title, unit, mode, recurrence_id, start, end, status, room in rows:
        if entry.get("id") != pk:
            entry = {"id": pk, "meeting": str(uid), "title": title, "organizing_unit": unit, "mode": mode,
                     "recurrence_id": _iso(recurrence_id, tz), "start": _iso(start, tz), "end": _iso(end, tz),
                     "status": status, "rooms": []}
            result.append(entry)
        if room is not None:
            entry["rooms"].append(room)
    return result


def created_meeting_json(meeting: Meeting, written: Any) -> dict[str, Any]:
    """MeetingDetailSerializer(meeting).data for a meeting create_meeting() has just written,
    from the rows it hands back (`meeting.written`): no read-back, no serializer fields. The
    booking answer is the API's hottest write; tests/meetings/test_booking_queries.py checks
    this equals the GET of the same meeting."""
    iso = _iso
    rooms = sorted(written.rooms, key=lambda r: r.pk)
    bookings: dict[int, list[Booking]] = {}
    for b in sorted(written.booked, key=lambda b: (b.start, b.pk)):
        bookings.setdefault(b.occurrence_id, []).append(b)
    return {
        "uid": str(meeting.uid), "title": meeting.title, "organizing_unit": meeting.organizing_unit.code,
        "chair": meeting.chair_id, "chair_name": meeting.chair.full_name if meeting.chair_id else None,
        "start": iso(meeting.start), "end": iso(meeting.end), "rrule": meeting.rrule, "mode": meeting.mode,
        "status": meeting.status, "sensitivity": meeting.sensitivity, "is_urgent": meeting.is_urgent,
        "urgent_reason": meeting.urgent_reason, "sequence": meeting.sequence,
        "online_provider": meeting.online_provider,
        "rooms": [{"room": r.room_id, "name": r.room.name, "unit": r.room.unit.code, "expected": r.expected_attendees}
                  for r in rooms],
        "agenda": meeting.agenda, "cancel_reason": meeting.cancel_reason,
        "attendees": [
            {"id": a.pk, "user": a.user_id, "email": a.email, "name": a.name, "unit": a.unit.code if a.unit_id else None,
             "role": a.role, "rsvp": a.rsvp, "rsvp_comment": a.rsvp_comment,
             "responded_at": iso(a.responded_at) if a.responded_at else None, "is_active": a.is_active}
            for a in sorted(written.people, key=lambda a: a.pk) if a.is_active
        ],
        "occurrences": [
            {"id": o.pk, "index": o.index, "recurrence_id": iso(o.recurrence_id), "start": iso(o.start),
             "end": iso(o.end), "status": o.status, "is_exception": o.is_exception,
             "cancelled_individually": o.cancelled_individually,
             "bookings": [
                 {"id": b.pk, "room": b.room_id, "room_name": b.room.name, "unit": b.room.unit.code,
                  "start": iso(b.start), "end": iso(b.end), "status": b.status,
                  "expected_attendees": b.expected_attendees, "decision_note": b.decision_note}
                 for b in bookings.get(o.pk, []) if b.status in LIVE
             ]}
            for o in sorted(written.occurrences, key=lambda o: (o.index, o.start))
            if o.in_series or o.status != "cancelled"
        ],
    }
