"""The host-licence pool: never two overlapping meetings on one host, whatever the
concurrency; a clear error (or the unit's fallback) when no host is free."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction

from integrations.online.models import OnlineRoom, UnitOnlinePolicy
from integrations.online.tests.helpers import online_input, run_online_outbox, schedule
from integrations.zoom import pool
from integrations.zoom.models import DAILY_BUDGET, HostAllocation, ZoomHostAccount
from integrations.zoom.provider import ZoomProvider
from meetings import actions
from meetings.actions import ActionError
from meetings.models import Meeting, OutboxMessage
from tests.factories import working_day

pytestmark = pytest.mark.django_db


def test_no_free_host_is_refused_before_anything_is_created(org, fake_zoom, zoom_host):
    schedule(org, "zoom", hh=8, mm=30, minutes=90)
    count = Meeting.objects.count()
    outbox_rows = OutboxMessage.objects.count()
    # 10:05 is inside the first meeting's 15-minute overrun buffer.
    with pytest.raises(ActionError) as exc:
        schedule(org, "zoom", hh=10, mm=5, title="Họp thứ hai")
    assert exc.value.conflict and exc.value.field == "online_provider"
    assert "Không còn tài khoản Zoom" in exc.value.message and "Jitsi" in exc.value.message
    assert Meeting.objects.count() == count and OutboxMessage.objects.count() == outbox_rows
    assert fake_zoom.calls() == []
    # Outside the buffers it fits.
    schedule(org, "zoom", hh=10, mm=30)


def test_a_second_host_takes_the_overlap_and_unit_hosts_stay_with_their_unit(org, fake_zoom, zoom_host):
    own = ZoomHostAccount.objects.create(zoom_user_id="cdc@cdc.vn", unit=org.cdc)
    first = schedule(org, "zoom")
    with pytest.raises(ActionError):
        schedule(org, "zoom", title="Trùng giờ")  # the CDC's own host is not the hospital's
    second = ZoomHostAccount.objects.create(zoom_user_id="host2@soyte.vn")
    other = schedule(org, "zoom", title="Trùng giờ")
    hosts = {pool.host_for(m.occurrences.get().pk) for m in (first, other)}
    assert hosts == {zoom_host, second} and own not in hosts
    run_online_outbox()
    paths = sorted(c.path for c in fake_zoom.calls("POST", "/meetings"))
    assert paths == ["/v2/users/host1@soyte.vn/meetings", "/v2/users/host2@soyte.vn/meetings"]


def test_unit_fallback_provider_when_no_host_is_free(org, fake_zoom, zoom_host):
    UnitOnlinePolicy.objects.create(unit=org.hospital, fallback_provider="jitsi")
    schedule(org, "zoom")
    second = schedule(org, "zoom", title="Trùng giờ")
    room = OnlineRoom.objects.get(occurrence__meeting=second)
    assert room.provider == "jitsi"
    run_online_outbox()
    room.refresh_from_db()
    assert room.state == "ready" and "meet.jit.si" in room.join_url
    assert len(fake_zoom.meetings) == 1


def test_moving_a_meeting_keeps_its_host_and_frees_the_old_time(org, fake_zoom, zoom_host):
    meeting = schedule(org, "zoom", hh=8)
    run_online_outbox()
    actions.update_meeting(org.secretary, meeting, {"start": meeting.start + timedelta(hours=3)})
    alloc = HostAllocation.objects.get(occurrence__meeting=meeting)
    assert alloc.host == zoom_host and alloc.blocked_start == meeting.occurrences.get().start - pool.BUFFER_BEFORE
    schedule(org, "zoom", hh=8, title="Giờ cũ đã trống")
    run_online_outbox()
    assert len(fake_zoom.calls("POST", "/meetings")) == 2 and len(fake_zoom.calls("DELETE")) == 0


def _compete(org, n: int = 2) -> tuple[list[Meeting], list[Exception]]:
    day = working_day(12)
    won: list[Meeting] = []
    lost: list[Exception] = []
    barrier = threading.Barrier(n)

    def book(i: int) -> None:
        try:
            data = online_input(org, "zoom", day=day, title=f"Họp song song {i}")
            barrier.wait()
            won.append(actions.create_meeting(org.secretary, data))
        except Exception as exc:
            lost.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=book, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return won, lost


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_schedulings_compete_for_the_last_free_host(org, fake_zoom, zoom_host):
    """Each thread has its own connection. PostgreSQL: the exclusion constraint decides;
    SQLite: BEGIN IMMEDIATE serialises the two transactions."""
    won, lost = _compete(org)
    assert len(won) == 1 and len(lost) == 1
    assert isinstance(lost[0], ActionError) and "Không còn tài khoản Zoom" in lost[0].message
    assert HostAllocation.objects.filter(active=True).count() == 1
    assert Meeting.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_database_itself_refuses_overlapping_allocations(org, zoom_host):
    """The guarantee does not rely on the pre-check: a transaction that did not see the
    other's allocation still cannot commit an overlapping one (PostgreSQL), or waits for
    the write lock and then sees it (SQLite)."""
    a = schedule(org, "jitsi", hh=8).occurrences.get()
    b = schedule(org, "jitsi", hh=8, title="B").occurrences.get()
    start, end = pool.window(a)
    HostAllocation.objects.create(host=zoom_host, occurrence=a, blocked_start=start, blocked_end=end)
    if connection.vendor == "postgresql":
        with pytest.raises(IntegrityError), transaction.atomic():
            HostAllocation.objects.create(host=zoom_host, occurrence=b, blocked_start=start, blocked_end=end)
    else:
        with transaction.atomic(), pytest.raises(pool.NoFreeHost):
            pool.reserve(b, b.meeting)
    # An inactive (released) allocation does not block.
    HostAllocation.objects.filter(occurrence=a).update(active=False)
    with transaction.atomic():
        assert pool.reserve(b, b.meeting).host == zoom_host


def test_daily_budget_of_100_create_or_update_per_host(org, zoom_host):
    for _ in range(DAILY_BUDGET):
        assert pool.spend(zoom_host.zoom_user_id)
    assert not pool.spend(zoom_host.zoom_user_id)
    from integrations.online.registry import ProviderError

    with pytest.raises(ProviderError) as exc:
        ZoomProvider()._spend(zoom_host.zoom_user_id)
    assert exc.value.temporary and exc.value.retry_after > 0 and "100" in exc.value.message
