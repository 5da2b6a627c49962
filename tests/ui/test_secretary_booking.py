"""The secretary's journeys in Chromium (issue 9, tests 1, 2, 4 and 5): book a weekly hybrid
briefing with rooms in three units, a Zoom room (the project's fake Zoom on loopback) and 30
people picked by unit; a second secretary sees the room busy before submitting; one sitting
is moved from the meeting page and only that meeting's people get one change e-mail each; a
double-clicked submit creates one meeting. Screenshots of each step at 1366 and 390 px go to
var/screenshots/; each page is checked for sideways scrolling on the phone and by axe."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from integrations.calendar.tests.conftest import smtp  # noqa: F401 - real SMTP on loopback
from integrations.zoom.tests.conftest import fake_zoom, zoom_host  # noqa: F401 - fake Zoom on loopback
from meetings import actions
from meetings.models import Meeting, Membership, Unit
from tests.factories import at, make_room, make_unit, make_user, working_day

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"
AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"


def login(page: Any, live_server: Any, user: Any) -> None:
    client = Client()
    client.force_login(user)
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                               "url": live_server.url}])


def look(page: Any, name: str) -> None:
    """Screenshots at 1366 and 390 px; no sideways scrolling on the phone; no serious axe finding."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 1366, "height": 900})
    page.screenshot(path=str(SHOTS / f"compose-{name}-1366.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_timeout(50)  # one frame for the layout to settle (not a timing assertion)
    width = page.evaluate("document.documentElement.scrollWidth")
    page.screenshot(path=str(SHOTS / f"compose-{name}-390.png"), full_page=True)
    assert width <= 390, f"{name}: the page is {width} px wide on a 390 px phone"
    if AXE.exists():
        page.evaluate(AXE.read_text())  # over DevTools: the CSP (D9) blocks an inline <script>
        found = page.evaluate("""async () => (await axe.run(document, {resultTypes: ['violations']})).violations
            .filter(v => v.impact === 'serious' || v.impact === 'critical').map(v => v.id + ': ' + v.nodes.length)""")
        assert not found, f"{name}: axe {found}"
    page.set_viewport_size({"width": 1366, "height": 900})


@pytest.fixture
def department(org):
    """Shared halls in three units and ten units with three leaders each (30 people)."""
    org.bvdk_hall = make_room(org.hospital, "Hội trường BVĐK", capacity=60, shared=True, equipment=["vc"])
    org.cdc_hall = make_room(org.cdc, "Hội trường CDC", capacity=60, shared=True, equipment=["vc"])
    org.invited_units = []
    for i in range(10):
        unit = make_unit(f"ttyt{i}", parent=org.dept, kind=Unit.Kind.HEALTH_CENTRE, short_name=f"TTYT {i + 1}")
        for k in range(3):
            make_user(f"lanhdao{k}@ttyt{i}.vn", unit, Membership.Role.LEADER, full_name=f"Lãnh đạo {k + 1} TTYT {i + 1}")
        org.invited_units.append(unit)
    return org


def tuesday() -> Any:
    day = working_day(8)
    while day.weekday() != 1:
        day += timedelta(days=1)
    return day


def test_a_department_secretary_books_a_weekly_hybrid_briefing_and_moves_one_sitting(
        department, live_server, page, fake_zoom, zoom_host, smtp):  # noqa: F811
    org = department
    day = tuesday()
    # Someone else's meeting with its own attendee: nobody of it may hear of our changes.
    other = actions.create_meeting(org.secretary, actions.MeetingInput(
        title="Họp khoa Nội", organizing_unit=org.hospital, start=at(day, 14), end=at(day, 15),
        rooms=[actions.RoomChoice(org.room_b)], attendees=[actions.AttendeeInput(email="bacsi@bvdk.vn")]))
    smtp.wait_for(1)
    smtp.clear()

    # 1. The composer, opened from an empty calendar slot.
    login(page, live_server, org.dept_secretary)
    page.goto(f"{live_server.url}/meetings/new/?start={day:%Y-%m-%d}T08:00&end={day:%Y-%m-%d}T10:00")
    assert page.locator("h1").inner_text() == "Đặt lịch họp"
    page.fill("#id_title", "Giao ban trực tuyến toàn ngành")
    page.fill("#id_agenda", "1. Tình hình dịch sởi\n2. Tiêm chủng mở rộng")
    page.check("input[name=mode][value=hybrid]")
    page.select_option("#id_online_provider", "zoom")
    page.select_option("#id_repeat", "WEEKLY")
    page.check("input[name=weekdays][value=TU]")
    page.fill("#id_count", "4")
    page.select_option("#invite-units", [str(u.pk) for u in org.invited_units])
    page.click("#add-units")
    page.wait_for_function("document.querySelectorAll('#attendee-rows tr').length === 30")
    page.locator("#room-finder input[type=checkbox]").first.wait_for()
    page.wait_for_selector("#room-finder >> text=Phòng cho 30 người")
    for name in ("Hội trường Sở", "Hội trường BVĐK", "Hội trường CDC"):
        page.locator("#room-finder li", has_text=name).locator("input[type=checkbox]").check()
    page.wait_for_selector("#checks >> text=Không có vướng mắc (4 buổi)")
    look(page, "01-composer-filled")

    page.click("button[name=intent][value=publish]")
    page.wait_for_url(f"{live_server.url}/meetings/*/")
    meeting = Meeting.objects.get(title="Giao ban trực tuyến toàn ngành")
    assert meeting.rrule == "FREQ=WEEKLY;BYDAY=TU;COUNT=4" and meeting.mode == "hybrid" and meeting.online_provider == "zoom"
    assert meeting.attendees.filter(is_active=True).count() == 30
    assert {mr.room.name for mr in meeting.room_choices.select_related("room")} == {"Hội trường Sở", "Hội trường BVĐK", "Hội trường CDC"}
    smtp.wait_for(30)
    page.reload()
    assert "Sẵn sàng" in page.locator("#online-state").inner_text()
    summary = page.locator("#delivery-summary").inner_text()
    assert "đã đến 30/30 người" in summary and "lỗi: 0" in summary
    assert page.locator("[id^=sitting-]").count() == 4
    assert "Chờ đơn vị duyệt" in page.locator("#sec-rooms + ul").inner_text()  # the department hall needs approval
    look(page, "02-meeting-page")
    page.get_by_role("button", name="Xem nhật ký gửi thư từng người").click()
    page.locator("table.deliveries").wait_for()
    assert page.locator("table.deliveries tbody tr").count() >= 30
    assert "Đã gửi" in page.locator("table.deliveries").inner_text()
    assert not smtp.to("bacsi@bvdk.vn")

    # 2. A second secretary composing in the same slot sees the hospital hall busy before submitting.
    second = page.context.new_page()
    page.context.clear_cookies()
    login(second, live_server, org.secretary)
    second.goto(f"{live_server.url}/meetings/new/?start={day:%Y-%m-%d}T08:30&end={day:%Y-%m-%d}T09:30")
    second.fill("#id_people", "20")
    second.locator("#id_people").dispatch_event("change")
    hall = second.locator("#room-finder li", has_text="Hội trường BVĐK")
    hall.wait_for()
    second.wait_for_selector("#room-finder >> text=Phòng cho 20 người")
    assert "Bận" in hall.inner_text()
    assert hall.locator("input[type=checkbox]").is_disabled()
    assert "Trống" in second.locator("#room-finder li", has_text="Phòng họp A").inner_text()
    look(second, "03-second-secretary-sees-busy")
    second.close()

    # 4. Move the second sitting from the meeting page, "chỉ buổi này".
    page.context.clear_cookies()
    login(page, live_server, org.dept_secretary)
    smtp.clear()
    page.goto(f"{live_server.url}/meetings/{meeting.uid}/")
    sitting = meeting.occurrences.get(index=1)
    page.locator(f"#sitting-{sitting.pk}").get_by_role("link", name="Dời").click()
    page.wait_for_url(f"{live_server.url}/meetings/{meeting.uid}/move/*")
    new_day = day + timedelta(days=8)
    page.fill("#id_start", f"{new_day:%Y-%m-%d}T14:00")
    page.fill("#id_end", f"{new_day:%Y-%m-%d}T16:00")
    page.check("input[name=scope][value=occurrence]")
    page.fill("#id_reason", "Trùng lịch họp Tỉnh ủy")
    look(page, "04-move-form")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/meetings/{meeting.uid}/")
    smtp.wait_for(30)
    people = set(meeting.attendees.filter(is_active=True).values_list("email", flat=True))
    got = [r for m in smtp.messages for r in m.rcpt_tos]
    assert sorted(got) == sorted(people)  # one change e-mail each, to this meeting's people only
    assert "Đã dời" in page.locator(f"#sitting-{sitting.pk}").inner_text()
    look(page, "05-meeting-page-after-move")
    other.refresh_from_db()
    assert other.sequence == 0

    # The edit and cancel pages that start from the meeting page.
    last = meeting.occurrences.get(index=3)
    page.locator(f"#sitting-{last.pk}").get_by_role("link", name="Hủy buổi này").click()
    page.wait_for_url(f"{live_server.url}/meetings/{meeting.uid}/cancel/*")
    assert page.locator("input[name=scope][value=occurrence]").is_checked()
    look(page, "08-cancel-form")
    page.goto(f"{live_server.url}/meetings/{meeting.uid}/edit/")
    page.wait_for_selector("#room-finder >> text=Hội trường CDC")
    assert page.locator("#attendee-rows tr").count() == 30
    assert page.locator("#room-finder li", has_text="Hội trường CDC").locator("input").is_checked()
    look(page, "09-edit-series")


def test_a_double_clicked_submit_creates_one_meeting(org, live_server, page):
    day = working_day(10)
    login(page, live_server, org.secretary)
    page.goto(f"{live_server.url}/meetings/new/?start={day:%Y-%m-%d}T09:00&end={day:%Y-%m-%d}T10:00&room={org.room_a.pk}")
    page.fill("#id_title", "Họp bấm hai lần")
    page.press("#id_title", "Enter")  # Enter in a text box does not send the invitations
    assert page.url.endswith(f"room={org.room_a.pk}") and not Meeting.objects.exists()
    page.wait_for_selector("#room-finder >> text=Phòng họp A")
    page.fill("#external-email", "a@b")
    page.click("#add-email")
    page.wait_for_selector("#email-error >> text=không phải địa chỉ e-mail hợp lệ")
    page.fill("#external-email", "khach@benhvien.vn")
    page.press("#external-email", "Enter")
    page.wait_for_selector("#attendee-rows >> text=khach@benhvien.vn")
    assert page.locator("#email-error").inner_text() == ""
    look(page, "06a-guest-added")
    page.dblclick("button[name=intent][value=publish]")
    page.wait_for_url(f"{live_server.url}/meetings/*/")
    assert Meeting.objects.filter(title="Họp bấm hai lần").count() == 1
    assert Meeting.objects.get(title="Họp bấm hai lần").attendees.filter(email="khach@benhvien.vn").exists()
    assert page.locator("h1").inner_text() == "Họp bấm hai lần"
    look(page, "06-after-double-click")
    page.goto(f"{live_server.url}/meetings/")
    assert page.locator("table.meeting-list >> text=Họp bấm hai lần").count() == 1
    look(page, "07-meeting-list")
