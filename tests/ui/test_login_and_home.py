"""A secretary logs in through the real login page and sees the unit's meetings."""

from datetime import timedelta

import pytest

from meetings import actions
from tests.factories import at, working_day

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_secretary_logs_in_and_sees_upcoming_meetings_in_vietnamese(org, live_server, page):
    day = working_day(3)
    start = at(day, 8, 30)
    actions.create_meeting(org.secretary, actions.MeetingInput(
        title="Giao ban khoa Nội", organizing_unit=org.hospital, start=start, end=start + timedelta(hours=1),
        rooms=[actions.RoomChoice(org.room_a, 5)], is_urgent=False))
    page.goto(f"{live_server.url}/accounts/login/")
    assert page.locator("h1").inner_text() == "Đăng nhập"
    assert page.locator("text=Sign Up").count() == 0  # sign-up is closed
    page.fill("input[name=login]", org.secretary.email)
    page.fill("input[name=password]", "pw-Quorum-2026")
    page.click("button[type=submit]")
    # A secretary's home is the unit's calendar (workspace/); open the meeting's week.
    page.wait_for_url(f"{live_server.url}/calendar/")
    page.goto(f"{live_server.url}/calendar/?view=week&d={day:%Y-%m-%d}")
    calendar = page.locator("#calendar")
    assert "Giao ban khoa Nội" in calendar.inner_text()
    assert "Phòng họp A" in calendar.inner_text()
    weekday = ["Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ Nhật"][day.weekday()]
    assert f"{weekday} {day:%d/%m}" in calendar.inner_text()
    assert "08:30–09:30" in calendar.inner_text()


def test_wrong_password_shows_an_error_and_no_session(org, live_server, page):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=login]", org.secretary.email)
    page.fill("input[name=password]", "wrong")
    page.click("button[type=submit]")
    assert page.url.startswith(f"{live_server.url}/accounts/login/")
    assert "E-mail hoặc mật khẩu không đúng." in page.locator("[role=alert]").inner_text()
    page.goto(f"{live_server.url}/")
    assert page.locator("table.meetings").count() == 0
