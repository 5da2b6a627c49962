"""The meetings API: create, read, update by scope, cancel; who sees and edits what; and
query counts of the list, calendar and availability endpoints pinned."""

from __future__ import annotations

from datetime import timedelta

import pytest

from meetings.models import Attendee, Booking, Meeting, Occurrence
from tests.factories import at, make_room, make_unit, working_day
from tests.meetings.conftest import book


def _payload(day, **kw):
    return {"title": "Giao ban", "organizing_unit": "bvdk", "start": at(day, 8).isoformat(),
            "end": at(day, 9).isoformat(), "rooms": [{"room": kw.pop("room", None) or kw.pop("room_id")}], **kw}


def test_create_read_update_cancel_through_the_api(org, api):
    day = working_day(10)
    client = api(org.secretary)
    r = client.post("/api/v1/meetings/", _payload(day, room_id=org.room_a.pk, rrule="FREQ=WEEKLY;COUNT=3",
                                                  attendees=[{"user": org.member.pk}], chair=org.leader.pk), format="json")
    assert r.status_code == 201, r.json()
    body = r.json()
    uid = body["uid"]
    assert body["start"] == at(day, 8).isoformat() and body["start"].endswith("+07:00")
    assert len(body["occurrences"]) == 3
    assert {a["email"] for a in body["attendees"]} == {"thanhvien@bvdk.vn", "giamdoc@bvdk.vn"}
    second = body["occurrences"][1]["recurrence_id"]

    r = client.patch(f"/api/v1/meetings/{uid}/", {"scope": "occurrence", "occurrence": second,
                                                  "start": at(day + timedelta(weeks=1), 14).isoformat(),
                                                  "end": at(day + timedelta(weeks=1), 15).isoformat()}, format="json")
    assert r.status_code == 200, r.json()
    assert r.json()["occurrences"][1]["is_exception"] is True

    r = client.patch(f"/api/v1/meetings/{uid}/", {"title": "Giao ban tuần", "start": at(day, 9).isoformat(), "end": at(day, 10).isoformat()}, format="json")
    assert r.status_code == 200, r.json()
    occs = r.json()["occurrences"]
    assert [o["start"] for o in occs] == [at(day, 9).isoformat(), at(day + timedelta(weeks=1), 14).isoformat(), at(day + timedelta(weeks=2), 9).isoformat()]
    assert r.json()["sequence"] >= 1

    r = client.post(f"/api/v1/meetings/{uid}/cancel/", {"scope": "occurrence", "occurrence": occs[2]["recurrence_id"], "reason": "Nghỉ lễ"}, format="json")
    assert r.status_code == 200, r.json()
    assert r.json()["occurrences"][2]["status"] == "cancelled"
    r = client.post(f"/api/v1/meetings/{uid}/cancel/", {"reason": "Hủy"}, format="json")
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    assert Meeting.objects.filter(uid=uid).exists()  # kept, never deleted
    r = client.post(f"/api/v1/meetings/{uid}/cancel/", {}, format="json")
    assert r.status_code == 409 and r.json()["error"] == "conflict"


def test_following_scope_through_the_api_answers_with_the_new_series(org, api):
    day = working_day(10)
    client = api(org.secretary)
    r = client.post("/api/v1/meetings/", _payload(day, room_id=org.room_a.pk, rrule="FREQ=WEEKLY;COUNT=4"), format="json")
    uid = r.json()["uid"]
    third = r.json()["occurrences"][2]["recurrence_id"]
    r = client.patch(f"/api/v1/meetings/{uid}/", {"scope": "following", "occurrence": third, "title": "Giao ban mới"}, format="json")
    assert r.status_code == 200, r.json()
    assert r.json()["uid"] != uid and r.json()["title"] == "Giao ban mới"
    assert len(r.json()["occurrences"]) == 2


def test_visibility_outsider_member_and_confidential(org, api):
    day = working_day(10)
    normal = book(org.secretary, org.hospital, at(day, 8), at(day, 9), [org.room_a], title="Họp thường")
    secret = book(org.secretary, org.hospital, at(day, 10), at(day, 11), [org.room_a], title="Họp mật",
                  sensitivity=Meeting.Sensitivity.CONFIDENTIAL, attendees=["thanhvien@bvdk.vn"])

    def titles(user):
        return {m["title"] for m in api(user).get("/api/v1/meetings/").json()["results"]}

    assert titles(org.outsider) == set()
    assert api(org.outsider).get(f"/api/v1/meetings/{normal.uid}/").status_code == 404
    assert titles(org.member) == {"Họp thường", "Họp mật"}  # invited to the confidential one
    assert titles(org.leader) == {"Họp thường"}  # a unit leader, not invited
    assert titles(org.dept_leader) == {"Họp thường", "Họp mật"}
    assert api(org.leader).get(f"/api/v1/meetings/{secret.uid}/").status_code == 404
    cal = api(org.leader).get("/api/v1/calendar/", {"from": at(day, 0).isoformat(), "to": at(day, 23).isoformat()})
    assert [e["title"] for e in cal.json()] == ["Họp thường"]


def test_only_the_organizing_units_secretaries_edit(org, api):
    day = working_day(10)
    m = book(org.secretary, org.hospital, at(day, 8), at(day, 9), [org.room_a], attendees=["thanhvien@bvdk.vn"])
    r = api(org.member).patch(f"/api/v1/meetings/{m.uid}/", {"title": "Đổi"}, format="json")
    assert r.status_code == 403 and r.json()["error"] == "forbidden"
    r = api(org.outsider).patch(f"/api/v1/meetings/{m.uid}/", {"title": "Đổi"}, format="json")
    assert r.status_code == 404
    r = api(org.member).post(f"/api/v1/meetings/{m.uid}/cancel/", {}, format="json")
    assert r.status_code == 403
    r = api(org.outsider).post("/api/v1/meetings/", _payload(day, room_id=org.cdc_room.pk), format="json")
    assert r.status_code == 403 and "BVĐK" in r.json()["message"]
    assert Meeting.objects.get(pk=m.pk).title == "Họp giao ban"
    other_secretary = org.unit_admin  # unit admins of the organizing unit may edit
    r = api(other_secretary).patch(f"/api/v1/meetings/{m.uid}/", {"title": "Đổi tên"}, format="json")
    assert r.status_code == 200


def test_conflict_409_names_room_and_time_but_not_a_confidential_title(org, api):
    day = working_day(10)
    book(org.secretary, org.hospital, at(day, 8), at(day, 9), [org.room_a], title="Kỷ luật cán bộ X",
         sensitivity=Meeting.Sensitivity.CONFIDENTIAL)
    r = api(org.secretary).post("/api/v1/meetings/", _payload(day, room_id=org.room_a.pk), format="json")
    assert r.status_code == 409
    body = r.json()
    assert body["error"] == "conflict"
    assert "Phòng họp A" in body["message"] and at(day, 8).strftime("%d/%m/%Y %H:%M") in body["message"]
    assert body["conflicts"][0]["busy_start"] == at(day, 8).isoformat()
    assert "Kỷ luật" not in r.content.decode()


def _populate(org, n, day):
    for i in range(n):
        unit = make_unit(f"pop{n}{i}", parent=org.dept)
        room = make_room(unit, f"P{n}-{i}", shared=True)
        m = book(org.secretary, org.hospital, at(day, 7 + i % 10), at(day, 8 + i % 10), [room], attendees=["thanhvien@bvdk.vn", f"x{n}{i}@ex.vn"],
                 rrule="FREQ=DAILY;COUNT=2")
        assert Occurrence.objects.filter(meeting=m).count() == 2


@pytest.mark.parametrize("path", ["list", "calendar", "availability"])
def test_query_counts_do_not_grow_with_meetings_and_rooms(org, api, path, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User

    day = working_day(10)
    urls = {
        "list": ("/api/v1/meetings/", {}),
        "calendar": ("/api/v1/calendar/", {"from": at(day, 0).isoformat(), "to": at(day + timedelta(days=3), 0).isoformat()}),
        "availability": ("/api/v1/availability/", {"start": at(day, 8).isoformat(), "duration": 60, "people": 2, "attendees": f"{org.member.pk},{org.leader.pk}"}),
    }
    url, params = urls[path]

    def count():
        client = api(User.objects.get(pk=org.member.pk))  # a fresh user: nothing cached on it
        with CaptureQueriesContext(connection) as ctx:
            r = client.get(url, params)
        assert r.status_code == 200, r.json()
        return len(ctx), r.json()

    _populate(org, 2, day)
    few, body_few = count()
    _populate(org, 12, day)
    many, body_many = count()
    assert many == few, (path, few, many)
    assert few <= {"list": 4, "calendar": 3, "availability": 3}[path]
    if path == "list":
        assert body_many["count"] == 14 > body_few["count"] == 2
    elif path == "calendar":
        assert len(body_many) == 28
    else:
        assert len(body_many["rooms"]) > len(body_few["rooms"])


def test_attendee_rsvp_survives_a_series_move(org):
    from meetings import actions

    day = working_day(10)
    m = book(org.secretary, org.hospital, at(day, 8), at(day, 9), [org.room_a], rrule="FREQ=WEEKLY;COUNT=2", attendees=["thanhvien@bvdk.vn"])
    Attendee.objects.filter(meeting=m).update(rsvp=Attendee.Rsvp.ACCEPTED)
    actions.update_meeting(org.secretary, m, {"start": at(day, 10), "end": at(day, 11)})
    assert Attendee.objects.get(meeting=m).rsvp == Attendee.Rsvp.ACCEPTED
    assert Booking.objects.holding().filter(occurrence__meeting=m, start=at(day, 10)).exists()


@pytest.mark.parametrize("start", ["0490-02-25T12:51:03+07:00", "2101-01-01T08:00:00+07:00"])
def test_times_outside_this_century_are_refused_with_a_sentence(org, api, start):
    # Year 490 in Asia/Ho_Chi_Minh is local mean time (+07:06:30), which RFC 3339 cannot write.
    response = api(org.secretary).get("/api/v1/availability/", {"start": start, "duration": 60})
    assert response.status_code == 400
    assert "năm 2000 đến 2100" in str(response.json())
