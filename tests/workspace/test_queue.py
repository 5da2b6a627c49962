"""The room admin's queue: only their rooms; a series decided in one action with exceptions;
the overlapping requests an approval rejects shown first; clear errors that change nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from meetings import actions, outbox
from meetings.models import Booking, Meeting
from tests.factories import at, make_room, session_queries
from tests.meetings.conftest import book
from tests.workspace.conftest import requests_of, series


def _decide(client, bookings, *, approve=(), decision="approve", step="confirm", note="", **extra):
    data = {"bookings": [b.pk for b in bookings], "sitting": [b.pk for b in approve], "decision": decision,
            "step": step, "note": note}
    return client.post("/rooms/requests/decide/", data, **extra)


def test_queue_shows_only_the_requests_of_rooms_the_admin_administers(org, client, hall, dept_admin, day):
    series(org, hall, day, count=3, title="Hội nghị chuyên đề", agenda="Tập huấn phác đồ mới")
    series(org, org.hall, day, count=1, title="Hội nghị ở Sở")  # the department's hall: not theirs
    client.force_login(org.unit_admin)
    html = client.get("/rooms/requests/").content.decode()
    assert "Hội nghị chuyên đề" in html and "Hội nghị ở Sở" not in html
    assert "Tập huấn phác đồ mới" in html  # purpose
    assert "Nguyễn Thư Ký" in html and "Bệnh viện Đa khoa tỉnh" in html  # organiser and unit
    assert "15 người / sức chứa 80" in html
    assert "3 buổi chờ duyệt" in html  # the series grouped with its sittings
    assert html.count('name="sitting"') == 3
    client.force_login(dept_admin)
    html = client.get("/rooms/requests/").content.decode()
    assert "Hội nghị ở Sở" in html and "Hội nghị chuyên đề" not in html


def test_people_who_administer_no_room_are_refused_the_queue(org, client):
    client.force_login(org.secretary)
    r = client.get("/rooms/requests/")
    assert r.status_code == 403
    assert "Chỉ quản trị phòng họp" in r.content.decode()


def test_confidential_request_shows_the_unit_and_not_the_title(org, client, hall, day):
    series(org, hall, day, count=1, title="Kỷ luật cán bộ", agenda="Bí mật", sensitivity=Meeting.Sensitivity.CONFIDENTIAL)
    client.force_login(org.unit_admin)
    html = client.get("/rooms/requests/").content.decode()
    assert "Kỷ luật cán bộ" not in html and "Bí mật" not in html
    assert "Cuộc họp mật — BVĐK tỉnh" in html


def test_clashes_with_other_requests_are_shown(org, client, hall, day):
    series(org, hall, day, count=1, title="Họp A")
    book(org.outsider, org.cdc, at(day, 9), at(day, 11), [(hall, 10)], title="Họp của CDC")
    client.force_login(org.unit_admin)
    html = client.get("/rooms/requests/").content.decode()
    assert "Trùng với yêu cầu của CDC" in html and "Trùng với yêu cầu của BVĐK tỉnh" in html


def test_approving_a_series_except_one_sitting_is_one_action_and_mails_the_requester_once(
        org, client, hall, day, mailoutbox):
    meeting = series(org, hall, day, count=4, title="Giao ban tuần")
    other = book(org.outsider, org.cdc, at(day + timedelta(days=14), 9), at(day + timedelta(days=14), 10), [(hall, 10)], title="Họp của CDC")
    sittings = requests_of(meeting)
    keep, skip = sittings[:1] + sittings[2:], sittings[1]
    client.force_login(org.unit_admin)
    # First the preview: what will be approved, refused, and which overlapping request it rejects.
    r = _decide(client, sittings, approve=keep, step="preview", note="Nhớ trả phòng đúng giờ")
    html = r.content.decode()
    assert r.status_code == 200
    assert "Kiểm tra trước khi xác nhận" in html
    assert "Duyệt sẽ tự động từ chối 1 yêu cầu trùng giờ" in html and "Họp của CDC" in html
    assert Booking.objects.filter(status=Booking.Status.REQUESTED).count() == 5  # nothing decided yet
    r = _decide(client, sittings, approve=keep, note="Nhớ trả phòng đúng giờ")
    assert r.status_code == 302
    statuses = [b.status for b in requests_of(meeting)]
    assert statuses == ["confirmed", "rejected", "confirmed", "confirmed"]
    rejected = Booking.objects.get(pk=skip.pk)
    assert rejected.decided_by == org.unit_admin and rejected.decision_note == "Nhớ trả phòng đúng giờ"
    assert requests_of(other)[0].status == Booking.Status.REJECTED  # overlapped an approved sitting
    assert Meeting.objects.get(pk=meeting.pk).status == Meeting.Status.SCHEDULED
    mailoutbox.clear()
    outbox.drain()
    to_secretary = [m for m in mailoutbox if m.to == [org.secretary.email]]
    assert len(to_secretary) == 1  # one e-mail for the whole decision, not one per sitting
    body = to_secretary[0].body
    assert "Giao ban tuần" in body and "Được duyệt:" in body and "Bị từ chối:" in body
    assert "Nhớ trả phòng đúng giờ" in body
    assert len([m for m in mailoutbox if m.to == [org.outsider.email]]) == 1  # CDC hears it was refused
    outbox.drain()
    assert len([m for m in mailoutbox if m.to == [org.secretary.email]]) == 1  # handled once
    follow = client.get("/rooms/requests/")
    assert "Đã duyệt 3 buổi." in follow.content.decode()


def test_deciding_an_already_decided_request_is_a_clear_error_that_changes_nothing(org, client, hall, day):
    meeting = series(org, hall, day, count=2)
    first, second = requests_of(meeting)
    actions.reject_booking(org.unit_admin, first, "Phòng sửa chữa")
    client.force_login(org.unit_admin)
    for step in ("preview", "confirm"):
        r = _decide(client, [first, second], approve=[first, second], step=step)
        assert r.status_code == 409
        assert "đã được xử lý (Bị từ chối); không có gì thay đổi" in r.content.decode()
    assert [b.status for b in requests_of(meeting)] == ["rejected", "requested"]


def test_deciding_a_room_the_user_does_not_administer_is_refused_and_changes_nothing(org, client, hall, dept_admin, day):
    meeting = series(org, hall, day, count=2)
    client.force_login(dept_admin)
    r = _decide(client, requests_of(meeting), approve=requests_of(meeting))
    assert r.status_code == 403
    assert "không quản trị phòng" in r.content.decode()
    assert {b.status for b in requests_of(meeting)} == {"requested"}
    with pytest.raises(actions.Forbidden):
        actions.decide_bookings(dept_admin, approve=[b.pk for b in requests_of(meeting)])


def test_decide_bookings_is_all_or_nothing(org, hall, day):
    meeting = series(org, hall, day, count=3)
    a, b, c = requests_of(meeting)
    actions.approve_booking(org.unit_admin, c)
    with pytest.raises(actions.ActionError) as err:
        actions.decide_bookings(org.unit_admin, approve=[a.pk], reject=[b.pk, c.pk])
    assert err.value.conflict
    assert [x.status for x in requests_of(meeting)] == ["requested", "requested", "confirmed"]
    with pytest.raises(actions.ActionError):
        actions.decide_bookings(org.unit_admin, approve=[a.pk], reject=[a.pk])


def test_two_requests_for_the_same_time_cannot_both_be_approved(org, hall, day):
    m1 = series(org, hall, day, count=1, title="Một")
    m2 = book(org.outsider, org.cdc, at(day, 8), at(day, 9), [(hall, 10)], title="Hai")
    with pytest.raises(actions.ActionError) as err:
        actions.decide_bookings(org.unit_admin, approve=[requests_of(m1)[0].pk, requests_of(m2)[0].pk])
    assert "chỉ duyệt được một" in err.value.message
    assert {b.status for b in Booking.objects.all()} == {"requested"}


def test_bookings_api_lists_only_rooms_the_admin_can_decide(org, api, hall, day):
    """D20: a room admin's request list holds no other unit's requests they cannot decide."""
    series(org, hall, day, count=1, title="Của bệnh viện")
    cdc_hall = make_room(org.cdc, "Hội trường CDC", requires_approval=True, capacity=50)
    # A CDC meeting the hospital takes part in (visible to the hospital's people) in CDC's hall.
    book(org.outsider, org.cdc, at(day, 14), at(day, 15), [(cdc_hall, 10)], title="Của CDC", attendees=[org.member.email])
    rows = api(org.unit_admin).get("/api/v1/bookings/", {"status": "requested"}).json()["results"]
    assert [r["room"] for r in rows] == [hall.pk]
    member_rows = api(org.member).get("/api/v1/bookings/", {"status": "requested"}).json()["results"]
    assert cdc_hall.pk in [r["room"] for r in member_rows]  # people who decide nothing keep what they see


def test_queue_query_count_is_constant_as_requests_grow(org, client, hall, day, django_assert_num_queries):
    series(org, hall, day, count=2)
    client.force_login(org.unit_admin)
    client.get("/rooms/requests/")
    with django_assert_num_queries(5 + session_queries()) as small:
        client.get("/rooms/requests/")
    for i in range(4):
        series(org, hall, day, count=3, hour=13 + i % 3, title=f"Chuỗi {i}", actor=org.outsider, unit=org.cdc, people=5)
    with django_assert_num_queries(len(small.captured_queries)):
        html = client.get("/rooms/requests/").content.decode()
    assert "Chuỗi 3" in html


def test_bookings_api_says_what_who_and_why_but_not_for_confidential_meetings(org, api, hall, day):
    """D2: the request list carries the meeting's title, organiser and purpose."""
    series(org, hall, day, count=1, title="Tập huấn", agenda="Phác đồ mới")
    series(org, hall, day, count=1, hour=14, title="Kỷ luật", agenda="Bí mật", sensitivity=Meeting.Sensitivity.CONFIDENTIAL)
    rows = api(org.unit_admin).get("/api/v1/bookings/", {"status": "requested"}).json()["results"]
    by_title = {r["meeting_title"]: r for r in rows}
    assert by_title["Tập huấn"]["purpose"] == "Phác đồ mới"
    assert by_title["Tập huấn"]["organizer"] == "Nguyễn Thư Ký" and by_title["Tập huấn"]["organizing_unit"] == "bvdk"
    assert "Cuộc họp mật (BVĐK tỉnh)" in by_title and by_title["Cuộc họp mật (BVĐK tỉnh)"]["purpose"] == ""
    assert "Kỷ luật" not in str(rows) and "Bí mật" not in str(rows)


def test_malformed_decisions_are_refused_in_vietnamese(org, client, hall, day):
    meeting = series(org, hall, day, count=1)
    client.force_login(org.unit_admin)
    for data, sentence in [
        ({"bookings": ["abc"], "decision": "approve"}, "Danh sách buổi họp không hợp lệ."),
        ({"bookings": [str(2**70)], "decision": "approve"}, "Danh sách buổi họp không hợp lệ."),
        ({"bookings": [str(requests_of(meeting)[0].pk)], "decision": "maybe"}, "Chọn duyệt hoặc từ chối."),
        ({"bookings": [str(requests_of(meeting)[0].pk)], "decision": "approve"}, "Chọn ít nhất một buổi để duyệt"),
        ({"decision": "reject"}, "Chưa chọn yêu cầu nào để xử lý."),
    ]:
        r = client.post("/rooms/requests/decide/", data)
        assert r.status_code == 400, data
        assert sentence in r.content.decode(), data
    assert requests_of(meeting)[0].status == Booking.Status.REQUESTED
