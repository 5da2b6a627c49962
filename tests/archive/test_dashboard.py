"""The dashboard: six SVG charts with their tables, scoped to the leader's units, fixed queries."""

from __future__ import annotations

from datetime import timedelta

from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from archive import dashcache, stats
from meetings import actions as meeting_actions
from minutes import actions
from minutes.models import Minutes
from tests.archive.conftest import client_for, issue, make_meeting


def test_dashboard_has_six_charts_each_with_a_table(org, briefing):
    issue(org, briefing.occurrence)
    body = client_for(org.dept_leader).get("/dashboard/").content.decode()
    assert body.count('<svg viewBox=') == 6 and body.count("<table") == 6
    assert body.count("<h1>") == 1
    for title in ("Cuộc họp tuần này theo đơn vị", "Biên bản quá hạn theo đơn vị", "Tỷ lệ ban hành biên bản đúng hạn",
                  "Việc đang mở / quá hạn theo đơn vị", "Trực tuyến và trực tiếp", "Mức sử dụng phòng họp"):
        assert title in body


def test_overdue_and_on_time_rate_count_records_handled_on_time(org, briefing):
    on_time = issue(org, briefing.occurrence)
    late_occ = make_meeting(org, "Họp trễ", ahead=6, room=org.room_b)
    late = actions.ensure_minutes(late_occ)
    Minutes.objects.filter(pk=late.pk).update(due_date=timezone.localdate() - timedelta(days=1))
    scope = stats.scope_for(org.leader)
    today = timezone.localdate()
    assert stats.overdue_minutes(scope, today) == [("BVĐK tỉnh", 1)]
    # One issued on time, one due and not issued: 50% for the month of the meetings.
    start = on_time.meeting_date.replace(day=1)
    rate = stats.unit_on_time_rate(org.hospital, start - timedelta(days=40), start + timedelta(days=70))
    assert rate == 0.5
    assert stats.overdue_minutes(stats.scope_for(org.outsider), today) == []  # not a leader: nothing


def test_dashboard_is_for_leaders_and_query_count_is_fixed(org, briefing):
    assert client_for(org.member).get("/dashboard/").status_code == 403
    c = client_for(org.leader)
    c.get("/dashboard/")

    def counts() -> tuple[int, int]:
        dashcache.bump()  # computed afresh, then served from the cache
        with CaptureQueriesContext(connection) as computed:
            assert c.get("/dashboard/").status_code == 200
        with CaptureQueriesContext(connection) as cached:
            assert c.get("/dashboard/").status_code == 200
        return len(computed), len(cached)

    few = counts()
    issue(org, briefing.occurrence)
    for i in range(3):
        issue(org, make_meeting(org, f"Họp {i}", ahead=6 + i, room=org.room_b))
    more = counts()
    # Computed: session, user, roles, units, cache read, 8 aggregates, cache write (and on
    # PostgreSQL the planner setting's transaction); cached: the first five.
    assert more == few and few[0] <= 16 + 3 and few[1] <= 5, (few, more)


def test_cached_numbers_follow_minutes_action_items_and_meeting_changes(
        org, briefing, django_capture_on_commit_callbacks):
    minutes = actions.ensure_minutes(briefing.occurrence)  # a draft: action items can be added
    c = client_for(org.dept_leader)
    assert "BVĐK tỉnh" not in dict((name, n) for name, n, _ in c.get("/dashboard/").context["items"])
    with django_capture_on_commit_callbacks(execute=True):  # invalidation happens on commit
        actions.add_action_item(org.secretary, minutes, {"what": "Báo cáo số liệu", "owner_unit": org.hospital.pk,
                                                         "due_date": ""})
    items = {name: (n, late) for name, n, late in c.get("/dashboard/").context["items"]}
    assert items["BVĐK tỉnh"] == (1, 0)  # the new item is counted at once
    before = cache.get(dashcache.VERSION_KEY)
    with django_capture_on_commit_callbacks(execute=True):
        occurrence = make_meeting(org, "Họp mới", ahead=7, room=org.room_b)
    assert cache.get(dashcache.VERSION_KEY) == before  # a new meeting (the booking hot path) waits for the TTL
    with django_capture_on_commit_callbacks(execute=True):
        meeting_actions.cancel_meeting(org.secretary, occurrence.meeting, reason="Hoãn")
    assert cache.get(dashcache.VERSION_KEY) != before  # a change announced through the outbox
