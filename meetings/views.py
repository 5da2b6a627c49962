from __future__ import annotations

from datetime import timedelta

from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from meetings import permissions
from meetings.models import Booking, Meeting, Membership, Occurrence

HOME_DAYS = 14


def upcoming_for(user: object, days: int = HOME_DAYS) -> list[Occurrence]:
    """Occurrences the user may see in the next `days` days (three queries in all)."""
    now = timezone.now()
    visible = Meeting.objects.visible_to(user).exclude(status=Meeting.Status.DRAFT)
    return list(
        Occurrence.objects.filter(meeting__in=visible.values("pk"), in_series=True, end__gt=now, start__lt=now + timedelta(days=days))
        .select_related("meeting__organizing_unit")
        .prefetch_related(Prefetch("bookings", queryset=Booking.objects.filter(status__in=["confirmed", "requested"]).select_related("room__unit")))
        .order_by("start", "pk")
    )


def home(request: HttpRequest) -> HttpResponse:
    """Secretaries and unit admins start on the calendar; others on their meetings."""
    user = request.user
    if user.is_authenticated:
        if permissions.unit_ids(user, [Membership.Role.SECRETARY, Membership.Role.UNIT_ADMIN]):
            return redirect("calendar")
        try:
            return redirect(reverse("my_meetings"))
        except NoReverseMatch:
            pass
    occurrences = upcoming_for(user) if user.is_authenticated else []
    return render(request, "home.html", {"occurrences": occurrences, "days": HOME_DAYS})

