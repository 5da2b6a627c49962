"""Room admins hear of new requests in batches (≤ 1 e-mail per admin per 10 minutes, exactly
once with two workers); the header badge counts waiting requests in one query."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone

from meetings.context_processors import BADGES
from meetings.models import Membership
from tests.factories import at, make_user
from tests.meetings.conftest import book, race, requires_postgres
from tests.workspace.conftest import series
from workspace import notify, queue
from workspace.models import RequestNotice


def _to(mailoutbox, user):
    return [m for m in mailoutbox if m.to == [user.email]]


def test_admins_get_at_most_one_email_per_ten_minutes_listing_the_new_requests(org, hall, day, mailoutbox):
    second_admin = make_user("quantri2@bvdk.vn", org.hospital, Membership.Role.UNIT_ADMIN, full_name="Quản Trị Hai")
    series(org, hall, day, count=3, title="Giao ban tuần")
    now = timezone.now()
    assert notify.send_request_digests(now) == 2  # one e-mail to each of the hall's admins
    (first,) = _to(mailoutbox, org.unit_admin)
    assert len(_to(mailoutbox, second_admin)) == 1
    assert "Giao ban tuần" in first.body and first.body.count("  · ") == 3
    assert "/rooms/requests/" in first.body
    assert first.subject == "Có 1 yêu cầu đặt phòng mới chờ duyệt"
    assert _to(mailoutbox, org.secretary) == []  # secretaries administer no room

    series(org, hall, day, count=1, hour=14, title="Hội thảo chiều")
    assert notify.send_request_digests(now + timedelta(minutes=5)) == 0  # within the window: wait
    assert notify.send_request_digests(now + timedelta(minutes=9, seconds=59)) == 0
    assert notify.send_request_digests(now + timedelta(minutes=10)) == 2
    latest = _to(mailoutbox, org.unit_admin)[-1]
    assert "Hội thảo chiều" in latest.body and "Giao ban tuần" not in latest.body  # only the new ones
    assert notify.send_request_digests(now + timedelta(minutes=30)) == 0  # nothing new: no e-mail
    assert len(_to(mailoutbox, org.unit_admin)) == 2


def test_a_failed_send_is_retried_on_the_next_run(org, hall, day, mailoutbox, monkeypatch):
    series(org, hall, day, count=1)
    now = timezone.now()

    def broken(*args, **kwargs):
        raise OSError("SMTP down")

    monkeypatch.setattr(notify, "send_mail", broken)
    assert notify.send_request_digests(now) == 0
    assert not RequestNotice.objects.exists()
    monkeypatch.undo()
    assert notify.send_request_digests(now + timedelta(minutes=1)) == 1


def test_a_second_worker_finds_nothing_to_send(org, hall, day, mailoutbox):
    series(org, hall, day, count=1)
    now = timezone.now()
    assert notify.send_request_digests(now) == 1
    assert notify.send_request_digests(now) == 0
    assert len(_to(mailoutbox, org.unit_admin)) == 1


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_send_each_admin_one_email(org, hall, day, mailoutbox):
    series(org, hall, day, count=2)
    now = timezone.now()
    results = race(2, lambda i: notify.send_request_digests(now))
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sorted(results) == [0, 1]
    assert len(_to(mailoutbox, org.unit_admin)) == 1
    assert RequestNotice.objects.filter(user=org.unit_admin).count() == 2
    connections.close_all()


def test_badge_counts_waiting_requests_in_one_query(org, client, hall, day, dept_admin, django_assert_num_queries):
    assert BADGES["room_queue"] is queue.waiting_count
    series(org, hall, day, count=3)  # one request (a series of 3)
    book(org.outsider, org.cdc, at(day, 15), at(day, 16), [(hall, 5)], title="CDC")
    series(org, org.hall, day, count=1)  # the department's hall: not theirs
    admin = org.unit_admin
    queue.waiting_count(admin)  # memberships cached on the user object
    with django_assert_num_queries(1):
        assert queue.waiting_count(admin) == 2
    assert queue.waiting_count(org.secretary) == 0
    client.force_login(admin)
    html = client.get("/calendar/").content.decode()
    assert '<span class="badge" aria-label="2 đang chờ">2</span>' in html


def test_the_digest_runs_every_minute_under_a_lock(org, hall, day, mailoutbox):
    from datetime import datetime

    from workspace.tasks import room_request_digests

    task = room_request_digests.task_class()
    assert task.validate_datetime(datetime(2026, 12, 8, 9, 17)) and task.validate_datetime(datetime(2026, 12, 8, 9, 18))
    series(org, hall, day, count=1)
    room_request_digests.call_local()  # what the consumer runs (huey's lock included)
    assert len(_to(mailoutbox, org.unit_admin)) == 1
