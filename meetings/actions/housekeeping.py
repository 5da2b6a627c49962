"""Periodic state changes that no person makes."""


from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.db.models import Q
from django.utils import timezone

from meetings.models import (
    Meeting,
    Occurrence,
)

if TYPE_CHECKING:
    pass


def mark_past_occurrences_held(now: datetime | None = None) -> int:
    """Occurrences that have ended become 'held'; a meeting whose last one ended too."""
    now = now or timezone.now()
    live = [Meeting.Status.SCHEDULED, Meeting.Status.REQUESTED]
    done = Occurrence.objects.filter(
        status=Occurrence.Status.SCHEDULED, end__lte=now, meeting__status__in=live
    ).update(status=Occurrence.Status.HELD)
    finished = (
        Meeting.objects.filter(status__in=live, occurrences__status=Occurrence.Status.HELD)
        .exclude(Q(occurrences__status=Occurrence.Status.SCHEDULED))
        .values("pk")
    )
    Meeting.objects.filter(pk__in=finished).update(status=Meeting.Status.HELD)
    return done
