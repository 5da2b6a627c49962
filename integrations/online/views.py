"""The personal join link /j/<token> and the chair's "Start as host" link.

/j/<token> works without logging in (the token is the secret, one per attendee), records
the join and redirects to the provider. It refuses once the meeting is cancelled or long
over, and explains (in Vietnamese and English) when the meeting has not started yet or
was moved.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache

from integrations.online import attendance, registry
from integrations.online.models import OnlineRoom
from integrations.online.registry import ProviderError
from meetings.formatting import vn_datetime
from meetings.models import Attendee, Meeting, Occurrence
from meetings.permissions import can_edit_meeting, get_meeting_for_user

EARLY = timedelta(minutes=15)  # the link opens this long before the start
LATE = timedelta(hours=1)  # and keeps working this long after the end (overruns)
HOST_EARLY = timedelta(minutes=30)


def _page(request: HttpRequest, status: int, kind: str, **context: Any) -> HttpResponse:
    response = render(request, "online/join_page.html", {"kind": kind, **context}, status=status)
    response["Referrer-Policy"] = "no-referrer"  # the token is in the URL
    return response


def _when(occ: Occurrence) -> dict[str, str]:
    return {"vi": vn_datetime(occ.start, "vi"), "en": vn_datetime(occ.start, "en")}


def current_and_next(meeting: Meeting, early: timedelta) -> tuple[Occurrence | None, Occurrence | None, list[Occurrence]]:
    """(the occurrence open now, the next one, occurrences cancelled around now)."""
    now = timezone.now()
    occs = list(meeting.occurrences.filter(end__gt=now - LATE).order_by("start"))
    live = [o for o in occs if not o.is_cancelled]
    current = next((o for o in live if o.start - early <= now), None)
    upcoming = next((o for o in live if o.start - early > now), None)
    cancelled_now = [o for o in occs if o.is_cancelled and o.recurrence_id - early <= now]
    return current, upcoming, cancelled_now


@never_cache
def join(request: HttpRequest, token: str) -> HttpResponse:
    attendee = Attendee.by_join_token(token)
    if attendee is None:
        return _page(request, 404, "invalid")
    meeting = attendee.meeting
    ctx: dict[str, Any] = {"meeting": meeting, "attendee": attendee}
    if not attendee.is_active:
        return _page(request, 410, "removed", **ctx)
    if meeting.status == Meeting.Status.CANCELLED:
        return _page(request, 410, "cancelled", **ctx)
    if not meeting.is_online or meeting.status == Meeting.Status.DRAFT:
        return _page(request, 404, "not_online", **ctx)
    current, upcoming, cancelled_now = current_and_next(meeting, EARLY)
    if current is not None:
        room = OnlineRoom.objects.filter(occurrence=current).first()
        provider = registry.get(room.provider) if room else None
        if room is None or provider is None or not room.is_ready:
            response = _page(request, 503, "preparing", when=_when(current), **ctx)
            response["Retry-After"] = "30"
            return response
        attendance.record_link_join(current, attendee)
        return HttpResponseRedirect(provider.join_link(room, attendee))
    if upcoming is not None:
        moved = upcoming.start != upcoming.recurrence_id
        return _page(
            request, 200, "not_started", when=_when(upcoming), moved=moved,
            cancelled_now=bool(cancelled_now), **ctx,
        )
    if cancelled_now:
        return _page(request, 410, "occurrence_cancelled", **ctx)
    return _page(request, 410, "over", **ctx)


@never_cache
@login_required
def start_as_host(request: HttpRequest, uid: str) -> HttpResponse:
    """Redirects the chair (or a secretary of the organizing unit) to a host link fetched
    just now: Zoom's start_url logs its holder in as host, so it is never stored or mailed."""
    meeting = get_meeting_for_user(request.user, uid)
    if meeting.chair_id != request.user.pk and not can_edit_meeting(request.user, meeting):
        raise PermissionDenied("Only the chair or the organizing unit's secretaries may start the meeting as host.")
    occurrence_id = request.GET.get("occurrence")
    if occurrence_id and occurrence_id.isdigit():
        current = meeting.occurrences.filter(pk=int(occurrence_id)).exclude(status=Occurrence.Status.CANCELLED).first()
        upcoming = None
    else:
        current, upcoming, _cancelled = current_and_next(meeting, HOST_EARLY)
    ctx: dict[str, Any] = {"meeting": meeting, "host": True}
    if meeting.status == Meeting.Status.CANCELLED:
        return _page(request, 410, "cancelled", **ctx)
    if current is None:
        if upcoming is not None:
            return _page(request, 200, "not_started", when=_when(upcoming), **ctx)
        return _page(request, 410, "over", **ctx)
    room = OnlineRoom.objects.filter(occurrence=current).first()
    provider = registry.get(room.provider) if room else None
    if room is None or provider is None or not room.is_ready:
        return _page(request, 503, "preparing", when=_when(current), **ctx)
    try:
        url = provider.host_link(room, request.user)
    except ProviderError as exc:
        return _page(request, 502, "provider_error", error=exc.message, **ctx)
    if not url:
        return _page(request, 502, "provider_error", error="", **ctx)
    response = HttpResponseRedirect(url)
    response["Referrer-Policy"] = "no-referrer"
    return response
