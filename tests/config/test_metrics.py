"""/metrics publishes the operational counters and the database backlogs."""

from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families

from config import metrics
from integrations.online.tests.helpers import schedule
from meetings import actions
from meetings.booking import BookingConflict
from meetings.models import OutboxMessage
from tests.factories import at, working_day

pytestmark = pytest.mark.django_db


def scrape(client) -> dict[str, float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    values = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
            values[f"{sample.name}{{{labels}}}" if labels else sample.name] = sample.value
    return values


def test_every_required_metric_is_published(client, org):
    values = scrape(client)
    for name in (
        "quorum_outbox_backlog", "quorum_invitations_queued", "quorum_online_rooms_failed",
        "quorum_websocket_connections", "quorum_zoom_rate_limit_waits_total",
    ):
        assert name in values, name


def test_a_booking_conflict_is_counted(client, org):
    def refused() -> float:
        values = scrape(client)
        return sum(values.get(f"quorum_booking_conflicts_total{{stage={stage}}}", 0) for stage in ("check", "constraint"))

    before = refused()
    day = working_day(6)
    data = dict(organizing_unit=org.hospital, start=at(day, 9), end=at(day, 10), rooms=[actions.RoomChoice(org.room_a, 3)])
    actions.create_meeting(org.secretary, actions.MeetingInput(title="Một", **data))
    with pytest.raises(BookingConflict):
        actions.create_meeting(org.secretary, actions.MeetingInput(title="Hai", **data))
    assert refused() == before + 1  # the pre-check (SQLite) or the exclusion constraint (PostgreSQL)


def test_the_outbox_backlog_is_read_from_the_database(client, org):
    schedule(org, "jitsi")  # the online-room row (and maybe invitations) waits for a worker
    due = OutboxMessage.objects.filter(status="pending").count()
    assert due >= 1
    assert scrape(client)["quorum_outbox_backlog"] == due


def test_zoom_errors_and_rate_limit_waits_are_counted(org, settings):
    from django.core.cache import cache

    from integrations.zoom.client import Credentials, ZoomAPI, ZoomError
    from integrations.zoom.fake import FakeZoom

    fake = FakeZoom(account_id="a", client_id="c", client_secret="s").start()
    try:
        settings.ZOOM_ACCOUNT_ID, settings.ZOOM_CLIENT_ID, settings.ZOOM_CLIENT_SECRET = "a", "c", "s"
        settings.ZOOM_API_BASE_URL, settings.ZOOM_OAUTH_TOKEN_URL = fake.api_base, fake.token_url
        cache.delete(Credentials.from_settings().cache_key)  # a Redis cache outlives earlier fakes
        waits = metrics.ZOOM_RATE_LIMIT_WAITS._value.get()
        errors = metrics.ZOOM_ERRORS.labels("get", "429")._value.get()
        fake.fail("429", path="/meetings/")
        with pytest.raises(ZoomError):
            ZoomAPI().get_meeting("123")
        assert metrics.ZOOM_RATE_LIMIT_WAITS._value.get() == waits + 1
        assert metrics.ZOOM_ERRORS.labels("get", "429")._value.get() == errors + 1
    finally:
        fake.stop()
