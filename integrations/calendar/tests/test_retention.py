"""Retention: delivery rows of long-ended meetings go; rows of meetings to come stay."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from integrations.calendar import delivery
from integrations.calendar.models import Delivery
from meetings.models import Occurrence

pytestmark = pytest.mark.django_db


def test_purge_deletes_finished_deliveries_of_meetings_ended_beyond_retention(smtp, make_meeting, settings):
    settings.DELIVERY_RETENTION_DAYS = 365
    old = make_meeting(title="Họp năm ngoái")
    recent = make_meeting(title="Họp sắp tới", day=old.occurrences.get().start.date() + timedelta(days=7))
    assert Delivery.objects.filter(meeting=old, status="sent").count() == 2
    assert Delivery.objects.filter(meeting=recent, status="sent").count() == 2
    long_ago = timezone.now() - timedelta(days=400)
    Occurrence.objects.filter(meeting=old).update(start=long_ago, end=long_ago + timedelta(hours=1))
    stuck = Delivery.objects.filter(meeting=old).first()
    Delivery.objects.filter(pk=stuck.pk).update(status=Delivery.Status.QUEUED)  # still to send: kept

    assert delivery.purge() == 1
    assert list(Delivery.objects.filter(meeting=old).values_list("pk", flat=True)) == [stuck.pk]
    assert Delivery.objects.filter(meeting=recent).count() == 2
    assert delivery.purge() == 0
