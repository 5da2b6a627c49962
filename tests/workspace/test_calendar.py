"""The calendar: day, week, month and room views; who sees what; links; pinned query counts."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest

from meetings.models import Meeting
from tests.factories import at, make_room, session_queries, working_day
from tests.meetings.conftest import book
from tests.workspace.conftest import series


def _get(client, user, **params):
    client.force_login(user)
    return client.get("/calendar/", params)


def test_home_sends_secretaries_to_the_calendar_and_others_stay(org, client):
    client.force_login(org.secretary)
    r = client.get("/")
    assert r.status_code == 302 and r.url == "/calendar/"
    client.force_login(org.unit_admin)
    assert client.get("/").url == "/calendar/"
    client.force_login(org.member)
    r = client.get("/")
    # Without the my_meetings page (another part adds it) members keep the home page.
    assert r.status_code in (200, 302)
    if r.status_code == 302:
        assert r.url != "/calendar/"


def test_week_view_shows_the_units_meetings_with_rooms_and_their_unit(org, client, day):
    book(org.secretary, org.hospital, at(day, 9), at(day, 10, 30), [org.room_a], title="Giao ban khoa Nội")
    r = _get(client, org.secretary, d=day.isoformat())
    html = r.content.decode()
    assert r.status_code == 200
    assert "Giao ban khoa Nội" in html
    assert "09:00–10:30" in html
    assert "Phòng họp A (BVĐK tỉnh)" in html  # D18: the room with its unit
    weekday = ["Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ Nhật"][day.weekday()]
    assert f"{weekday} {day:%d/%m}" in html
    assert html.count('class="tg-col') == 7
    meeting = Meeting.objects.get(title="Giao ban khoa Nội")
    assert f'href="/meetings/{meeting.uid}/"' in html  # clicking a meeting opens its page
    assert f"/meetings/{meeting.uid}/move/?occurrence=" in html  # keyboard "Dời" and drag target
    assert 'draggable="true"' in html


def test_empty_slots_open_the_composer_with_time_and_room(org, client, day):
    r = _get(client, org.secretary, view="rooms", d=day.isoformat())
    html = r.content.decode()
    assert html.count('class="tg-col') == 2  # room_a and room_b of the hospital, side by side
    urls = [u for u in _hrefs(html) if u.startswith("/meetings/new/")]
    wanted = {"start": [f"{day:%Y-%m-%d}T09:00"], "end": [f"{day:%Y-%m-%d}T10:00"], "room": [str(org.room_a.pk)]}
    assert wanted in [parse_qs(urlparse(u).query) for u in urls]


def _hrefs(html: str) -> list[str]:
    import re
    from html import unescape

    return [unescape(h) for h in re.findall(r'href="([^"]+)"', html)]


def test_confidential_meetings_show_as_busy_to_those_who_may_not_see_them(org, client, day):
    book(org.secretary, org.hospital, at(day, 14), at(day, 15), [org.room_b], title="Kỷ luật cán bộ",
         sensitivity=Meeting.Sensitivity.CONFIDENTIAL)
    for view in ("week", "day", "month", "rooms", "roomweek"):
        html = _get(client, org.member, view=view, d=day.isoformat()).content.decode()
        assert "Kỷ luật cán bộ" not in html, view
        assert "Bận" in html, view
        # the creator sees it
        html = _get(client, org.secretary, view=view, d=day.isoformat()).content.decode()
        assert "Kỷ luật cán bộ" in html, view


def test_pending_requests_are_marked(org, client, hall, day):
    series(org, hall, day, count=1, title="Hội nghị chờ duyệt")
    html = _get(client, org.secretary, d=day.isoformat()).content.decode()
    assert "Hội nghị chờ duyệt" in html
    assert 'class="ev pending' in html and "chờ duyệt" in html


def test_a_sitting_whose_room_was_refused_says_so(org, client, hall, day):
    from meetings import actions
    from tests.workspace.conftest import requests_of

    meeting = series(org, hall, day, count=1, title="Hội thảo")
    actions.reject_booking(org.unit_admin, requests_of(meeting)[0], "Hội trường bận")
    html = _get(client, org.secretary, d=day.isoformat()).content.decode()
    assert "Hội trường BVĐK (BVĐK tỉnh) — bị từ chối" in html and "phòng bị từ chối" in html


def test_month_view_lists_meetings_per_day_and_links_to_the_day(org, client, day):
    series(org, org.room_a, day, count=2, title="Giao ban tuần")
    html = _get(client, org.secretary, view="month", d=day.isoformat()).content.decode()
    assert html.count("Giao ban tuần") >= 1
    assert f"view=day&amp;d={day:%Y-%m-%d}" in html
    assert f"Tháng {day:%m/%Y}" in html


def test_room_week_view_puts_rooms_in_rows_and_days_in_columns(org, client, day):
    book(org.secretary, org.hospital, at(day, 8), at(day, 9), [org.room_b], title="Họp nhóm nhỏ")
    html = _get(client, org.secretary, view="roomweek", d=day.isoformat()).content.decode()
    assert "Phòng họp B" in html and "Họp nhóm nhỏ" in html
    assert html.count('<th scope="row">') == 2


def test_another_units_calendar_is_refused_and_shows_nothing_of_it(org, client, day):
    book(org.secretary, org.hospital, at(day, 9), at(day, 10), [org.room_a], title="Giao ban khoa Nội")
    r = _get(client, org.outsider, unit="bvdk", d=day.isoformat())
    assert r.status_code == 400
    html = r.content.decode()
    assert "Đồng chí không xem được lịch của đơn vị này." in html
    assert "Giao ban khoa Nội" not in html


def test_bad_date_is_a_clear_error(org, client):
    r = _get(client, org.secretary, d="31/02/2026")
    assert r.status_code == 400
    assert "Ngày không hợp lệ" in r.content.decode()
    for view in ("week", "month", "roomweek"):
        r = _get(client, org.secretary, d="9999-12-31", view=view)
        assert r.status_code == 400 and "Ngày phải trong khoảng 2000–2099." in r.content.decode()
    r = client.get("/rooms/", {"d": "0001-01-01"})
    assert r.status_code == 400 and "Ngày phải trong khoảng 2000–2099." in r.content.decode()


def test_meetings_in_the_units_rooms_booked_by_others_show_too(org, client, day):
    shared = make_room(org.hospital, "Phòng dùng chung", shared=True)
    book(org.outsider, org.cdc, at(day, 13), at(day, 14), [shared], title="CDC mượn phòng")
    html = _get(client, org.secretary, d=day.isoformat()).content.decode()
    # The hospital may not see CDC's meeting: its room is shown busy, without the title.
    assert "CDC mượn phòng" not in html
    assert "13:00–14:00</span> Bận" in html
    assert "Phòng dùng chung (BVĐK tỉnh)" in html
    html = _get(client, org.outsider, unit="cdc", d=day.isoformat()).content.decode()
    assert "CDC mượn phòng" in html and "Phòng dùng chung (BVĐK tỉnh)" in html


def test_htmx_navigation_gets_only_the_calendar(org, client, day):
    client.force_login(org.secretary)
    r = client.get("/calendar/", {"d": day.isoformat()}, headers={"HX-Request": "true"})
    html = r.content.decode()
    assert html.lstrip().startswith("<div id=\"calendar\"") and "<html" not in html


@pytest.mark.parametrize("view", ["week", "day", "month", "rooms", "roomweek"])
def test_calendar_query_count_is_constant_as_meetings_grow(org, client, day, view, django_assert_num_queries):
    client.force_login(org.secretary)
    series(org, org.room_a, day, count=2, title="Một")
    client.get("/calendar/", {"view": view, "d": day.isoformat()})  # warm caches (session, content types)
    with django_assert_num_queries(EXPECTED_QUERIES[view] + session_queries()) as small:
        r = client.get("/calendar/", {"view": view, "d": day.isoformat()})
    assert r.status_code == 200
    for i in range(6):
        book(org.secretary, org.hospital, at(day, 8 + i), at(day, 8 + i) + timedelta(minutes=50), [org.room_b],
             title=f"Thêm {i}", attendees=[org.member.email])
        book(org.dept_secretary, org.dept, at(day, 8 + i), at(day, 8 + i) + timedelta(minutes=50), [org.hall],
             title=f"Sở {i}") if i == 0 else None
    with django_assert_num_queries(len(small.captured_queries)):
        r = client.get("/calendar/", {"view": view, "d": day.isoformat()})
    assert ("cuộc họp nữa" if view == "month" else "Thêm 5") in r.content.decode()


# session + user + memberships + units + meetings (+ prefetch) [+ rooms]
EXPECTED_QUERIES = {"week": 5, "day": 5, "month": 5, "rooms": 5, "roomweek": 5}  # and the session's



def test_home_names_each_room_with_its_unit(org, client, hall):
    """D18: "Hội trường (chờ duyệt), Hội trường (chờ duyệt)" said nothing about which hall."""
    soon = working_day(4)
    book(org.secretary, org.hospital, at(soon, 9), at(soon, 10), [(hall, 10), (org.hall, 10)], title="Hội nghị hai điểm cầu")
    client.force_login(org.member)
    r = client.get("/")
    if r.status_code == 302:
        pytest.skip("members now start on their own meetings page")
    html = r.content.decode()
    assert "Hội nghị hai điểm cầu" in html
    assert "Hội trường BVĐK (BVĐK tỉnh) (chờ duyệt)" in html and "Hội trường Sở (Sở Y tế) (chờ duyệt)" in html


def test_overlapping_meetings_share_the_column_width_and_others_take_it_all():
    from datetime import date

    from workspace.calendar import Entry, local, place

    day = date(2026, 12, 8)

    def entry(h1, m1, h2, m2):
        return Entry(local(at(day, h1, m1)), local(at(day, h2, m2)), "x", False, False)

    a, b, c, d = entry(9, 0, 10, 0), entry(9, 30, 11, 0), entry(10, 0, 11, 0), entry(13, 0, 14, 0)
    place([d, c, b, a], day)
    assert [(e.lane, e.lanes) for e in (a, b, c)] == [(0, 2), (1, 2), (0, 2)]
    assert (d.lane, d.lanes, d.row, d.span) == (0, 1, (13 - 7) * 4 + 1, 4)
    assert a.classes == "r9 s4 c1 w6" and b.classes == "r11 s6 c7 w6"
