"""The read path's hand-built answers (meetings/api/rows.py) equal the serializers' answers,
the listed visibility equals visible_to(), the read lists run with plans made for their
values, and their query counts are pinned."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import Prefetch

from accounts.models import ApiToken
from config.sqlplans import custom_plans, prepared_plans
from meetings import actions
from meetings.actions import Scope
from meetings.api import rows
from meetings.api import serializers as s
from meetings.models import Booking, Meeting, MeetingRoom, Occurrence
from tests.factories import at, make_user, working_day
from tests.meetings.conftest import book


def _plain(data):
    return json.loads(json.dumps(data))


@pytest.fixture
def varied(org):
    """Meetings with every shape a list entry can take: several rooms, a room waiting for
    approval, no room, a chair without a name, no chair, a series with a cancelled sitting,
    confidential and internal meetings, a draft."""
    day = working_day(10)
    nameless = make_user("khongten@bvdk.vn", full_name="")
    series = book(org.secretary, org.hospital, at(day, 8), at(day, 9), [(org.room_a, 12), (org.room_b, 5)],
                  chair=org.leader, rrule="FREQ=WEEKLY;COUNT=3", attendees=["thanhvien@bvdk.vn"])
    second = series.occurrences.order_by("start")[1]
    actions.cancel_meeting(org.secretary, series, scope=Scope.OCCURRENCE, occurrence=second, reason="Trùng lịch")
    book(org.secretary, org.hospital, at(day, 10), at(day, 11), [org.hall], chair=nameless, title="Hội thảo")
    book(org.secretary, org.hospital, at(day, 13), at(day, 14), [], sensitivity=Meeting.Sensitivity.CONFIDENTIAL,
         title="Kỷ luật", mode=Meeting.Mode.ONLINE, online_provider="link",
         online_details={"url": "https://meet.example.vn/kl"})
    book(org.secretary, org.hospital, at(day, 14), at(day, 15), [org.room_b], sensitivity=Meeting.Sensitivity.INTERNAL,
         title="Nội bộ", mode=Meeting.Mode.HYBRID, online_provider="link",
         online_details={"url": "https://meet.example.vn/abc"})
    book(org.dept_secretary, org.dept, at(day, 15), at(day, 16), [org.hall], title="Sở họp",
         attendees=["thanhvien@bvdk.vn"])
    book(org.secretary, org.hospital, at(day, 16), at(day, 17), [org.room_a], title="Nháp", draft=True)
    return day


def test_meeting_list_rows_are_the_serializers_answer(org, varied):
    qs = Meeting.objects.order_by("start", "pk")
    expected = s.MeetingSerializer(
        qs.select_related("organizing_unit", "chair").prefetch_related(
            Prefetch("room_choices", queryset=MeetingRoom.objects.select_related("room__unit"))), many=True).data
    got = rows.meetings_json(row[:-1] for row in rows.meeting_rows(qs))
    assert len(got) == 6
    assert {m["chair_name"] for m in got} == {"Lê Giám Đốc", "", None}
    assert any(len(m["rooms"]) == 2 for m in got)
    assert _plain(got) == _plain(expected)


def test_calendar_rows_are_the_serializers_answer(org, varied):
    qs = Occurrence.objects.filter(in_series=True).exclude(meeting__status=Meeting.Status.DRAFT)
    expected = s.CalendarEntrySerializer(
        qs.select_related("meeting__organizing_unit")
        .prefetch_related(Prefetch("bookings", queryset=Booking.objects.select_related("room")))
        .order_by("start", "pk"), many=True).data
    got = rows.calendar_json(qs)
    assert len(got) == 7
    assert ["Phòng họp A", "Phòng họp B"] in [e["rooms"] for e in got]
    assert {"status": "cancelled", "rooms": []}.items() <= next(e for e in got if e["status"] == "cancelled").items()
    # One sitting's rooms were ordered by the bookings' start alone, so equal starts came in
    # whatever order the plan gave; they now follow the booking id.
    by_booking = {o.pk: [b.room.name for b in o.bookings.filter(status__in=rows.LIVE).order_by("start", "pk")] for o in qs}
    assert [e["rooms"] for e in got] == [by_booking[e["id"]] for e in got]
    assert _plain(got) == [{**e, "rooms": sorted(e["rooms"], key=by_booking[e["id"]].index)} for e in _plain(expected)]


def test_listed_visibility_is_visible_to_for_every_role(org, varied):
    for user in (org.secretary, org.member, org.leader, org.unit_admin, org.dept_leader, org.dept_secretary, org.outsider,
                 make_user("nobody@example.vn")):
        listed = set(Meeting.objects.visible_listed(user).values_list("pk", flat=True))
        assert listed == set(Meeting.objects.visible_to(user).values_list("pk", flat=True)), user.email


def _token_client(user):
    from django.test import Client

    return Client(HTTP_AUTHORIZATION=f"Bearer {ApiToken.issue(user, 'test')[1]}")


def test_list_and_calendar_answers_through_the_api_match_the_rules(org, varied):
    client = _token_client(org.member)
    body = client.get("/api/v1/meetings/?limit=50").json()
    visible = Meeting.objects.visible_to(org.member).order_by("start", "pk")
    assert [m["uid"] for m in body["results"]] == [str(u) for u in visible.values_list("uid", flat=True)]
    assert body["count"] == visible.count()
    day = varied
    cal = client.get("/api/v1/calendar/", {"from": at(day, 0).isoformat(), "to": at(day + timedelta(days=1), 0).isoformat()}).json()
    assert {e["title"] for e in cal} == set(visible.exclude(status=Meeting.Status.DRAFT).values_list("title", flat=True))


def test_meeting_list_and_calendar_query_counts_are_pinned(org, varied, api, django_assert_num_queries):
    from accounts.models import User

    day = varied
    week = {"from": at(day, 0).isoformat(), "to": at(day + timedelta(days=7), 0).isoformat()}
    # unit memberships, the page with the total (visible ids in the same statement), its rooms
    client = api(User.objects.get(pk=org.member.pk))  # a fresh user: nothing cached on it
    with django_assert_num_queries(3):
        assert client.get("/api/v1/meetings/?limit=50").status_code == 200
    # unit memberships, the sittings with their rooms
    client = api(User.objects.get(pk=org.member.pk))
    with django_assert_num_queries(2):
        r = client.get("/api/v1/calendar/", week)
        assert r.status_code == 200 and r.json()
    # a page past the end: the total needs its own COUNT (and no rooms are fetched)
    client = api(User.objects.get(pk=org.member.pk))
    with django_assert_num_queries(3):
        body = client.get("/api/v1/meetings/?limit=5&offset=500").json()
    assert body["results"] == [] and body["count"] == Meeting.objects.visible_to(org.member).count() > 0


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's")
def test_statements_are_unprepared_except_in_the_hot_views_that_opt_in(db, settings):
    """Prepared, a statement may get a generic plan made without its values (a week's calendar:
    300-400 ms instead of 6 at 208,000 sittings): by default nothing is prepared; inside
    prepared_plans() (the booking and availability views) a statement run often is."""
    connection.ensure_connection()

    def prepared(marker: str) -> int:
        with connection.cursor() as cur:
            cur.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s", [f"%{marker}%"])
            return cur.fetchone()[0]

    assert connection.connection.prepare_threshold is None
    for _ in range(10):
        with connection.cursor() as cur:
            cur.execute("SELECT %s::int /* plans-default */", [1])
    assert prepared("plans-default") == 0
    threshold = getattr(settings, "QUORUM_PREPARE_THRESHOLD", None)
    with prepared_plans():
        assert connection.connection.prepare_threshold == threshold
        for _ in range((threshold or 0) + 2):
            with connection.cursor() as cur:
                cur.execute("SELECT %s::int /* plans-hot */", [1])
    assert connection.connection.prepare_threshold is None
    assert prepared("plans-hot") == (1 if threshold is not None else 0)
    with custom_plans():
        assert connection.connection.prepare_threshold is None


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's")
@pytest.mark.parametrize(("method", "path", "expected"), [
    ("get", "/api/v1/availability/", "hot"), ("post", "/api/v1/meetings/", "hot"),
    ("get", "/api/v1/meetings/", "read"), ("get", "/api/v1/calendar/", "read")])
def test_only_the_finder_and_the_booking_run_prepared(org, api, monkeypatch, settings, method, path, expected):
    from meetings import availability

    seen = []
    spy_on = {("get", "/api/v1/availability/"): (availability, "find"), ("post", "/api/v1/meetings/"): (actions, "create_meeting"),
              ("get", "/api/v1/meetings/"): (rows, "meetings_json"), ("get", "/api/v1/calendar/"): (rows, "calendar_json")}[(method, path)]
    real = getattr(*spy_on)

    def spy(*args, **kwargs):
        seen.append(connection.connection.prepare_threshold)
        return real(*args, **kwargs)

    monkeypatch.setattr(*spy_on, spy)
    day = at(working_day(5), 9)
    client = api(org.secretary)
    if method == "post":
        body = {"title": "Giao ban", "organizing_unit": "bvdk", "start": day.isoformat(),
                "end": (day + timedelta(hours=1)).isoformat(), "rooms": [{"room": org.room_a.pk}]}
        assert client.post(path, body, format="json").status_code == 201
    else:
        params = {"start": day.isoformat(), "end": (day + timedelta(hours=1)).isoformat(), "people": 5,
                  "from": day.isoformat(), "to": (day + timedelta(days=1)).isoformat()}
        assert client.get(path, params).status_code == 200
    threshold = getattr(settings, "QUORUM_PREPARE_THRESHOLD", None)
    assert seen == [threshold if expected == "hot" else None]
