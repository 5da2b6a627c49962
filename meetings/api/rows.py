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

from django.db.models import QuerySet
from django.utils import timezone

from meetings.models import Booking, Meeting, MeetingRoom, Occurrence

LIVE = (Booking.Status.CONFIRMED, Booking.Status.REQUESTED)


def _iso(value: datetime) -> str:
    return timezone.localtime(value).isoformat()


MEETING_FIELDS = (
    "pk", "uid", "title", "organizing_unit__code", "chair_id", "chair__full_name", "start", "end", "rrule", "mode",
    "status", "sensitivity", "is_urgent", "urgent_reason", "sequence", "online_provider",
)


def meeting_rows(qs: QuerySet[Meeting]) -> QuerySet[Any]:
    """The columns a meeting list entry needs, in one row per meeting (joins: unit, chair)."""
    return qs.values_list(*MEETING_FIELDS)


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
    return [
        {
            "uid": str(uid), "title": title, "organizing_unit": unit, "chair": chair,
            "chair_name": chair_name if chair is not None else None, "start": _iso(start), "end": _iso(end),
            "rrule": rrule, "mode": mode, "status": status, "sensitivity": sensitivity, "is_urgent": is_urgent,
            "urgent_reason": urgent_reason, "sequence": sequence, "online_provider": online_provider,
            "rooms": rooms.get(pk, []),
        }
        for (pk, uid, title, unit, chair, chair_name, start, end, rrule, mode, status, sensitivity, is_urgent,
             urgent_reason, sequence, online_provider) in rows
    ]


def calendar_json(occurrences: QuerySet[Occurrence]) -> list[dict[str, Any]]:
    """CalendarEntrySerializer(many=True).data for these sittings: one query for the sittings
    with their meetings' headlines, one for their live bookings' room names (by the
    (occurrence, status) index; a join instead makes PostgreSQL hash all bookings)."""
    rows = list(
        occurrences.order_by("start", "pk")
        .values_list("pk", "meeting__uid", "meeting__title", "meeting__organizing_unit__code", "meeting__mode",
                     "recurrence_id", "start", "end", "status")
    )
    rooms: dict[int, list[str]] = {}
    if rows:
        for occurrence_id, name in (
            Booking.objects.filter(occurrence_id__in=[r[0] for r in rows], status__in=LIVE)
            .order_by("start", "pk").values_list("occurrence_id", "room__name")
        ):
            rooms.setdefault(occurrence_id, []).append(name)
    return [
        {"id": pk, "meeting": str(uid), "title": title, "organizing_unit": unit, "mode": mode,
         "recurrence_id": _iso(recurrence_id), "start": _iso(start), "end": _iso(end), "status": status,
         "rooms": rooms.get(pk, [])}
        for pk, uid, title, unit, mode, recurrence_id, start, end, status in rows
    ]
