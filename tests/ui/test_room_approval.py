"""Issue 9, journey 3: the admin of a hall that needs approval finds the request in the queue
and approves the series except one sitting; the secretary sees the result and gets the e-mail.
Also: the calendar's views and the rooms page at 1366 and 390 px (no sideways scroll, no
serious axe violation), and dragging a meeting opens its move page with the new time."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest

from meetings.models import Booking, Meeting
from tests.factories import at, make_room, working_day
from tests.meetings.conftest import book

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots" / "room-approval"
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
WIDTHS = {"wide": (1366, 900), "phone": (390, 844)}


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def login(page, base: str, email: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", "pw-Quorum-2026")
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def check_page(page, name: str) -> None:
    """At both widths: screenshot, no horizontal scroll, no serious or critical axe violation."""
    for label, (w, h) in WIDTHS.items():
        page.set_viewport_size({"width": w, "height": h})
        shot(page, f"{name}-{label}")
        scroll = page.evaluate("document.documentElement.scrollWidth")
        assert scroll <= w, f"{name} at {w}px is {scroll}px wide"
        if AXE.exists():
            page.evaluate(AXE.read_text())  # over DevTools: the CSP (D9) blocks an inline <script>
            result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
            bad = [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in result["violations"]
                   if v["impact"] in ("serious", "critical")]
            assert not bad, f"{name} at {w}px: {bad}"
    page.set_viewport_size({"width": 1366, "height": 900})


def test_hall_admin_approves_a_series_except_one_sitting_and_the_secretary_hears_of_it(org, live_server, page, mailoutbox):
    hall = make_room(org.hospital, "Hội trường BVĐK", capacity=80, equipment=["projector"], requires_approval=True, shared=True)
    day = working_day(10)
    meeting = book(org.secretary, org.hospital, at(day, 8), at(day, 10), [(hall, 30)], title="Giao ban chuyên môn",
                   rrule="FREQ=WEEKLY;COUNT=4", agenda="Giao ban chuyên môn hằng tuần")
    base = live_server.url

    # The admin logs in and sees the badge in the header.
    login(page, base, org.unit_admin.email)
    assert page.url.endswith("/calendar/")
    page.set_viewport_size({"width": 1366, "height": 900})
    link = page.locator("nav.nav-wide a", has_text="Duyệt phòng")
    assert link.locator(".badge").inner_text() == "1"
    shot(page, "01-admin-calendar-with-badge")
    link.click()
    page.wait_for_url(f"{base}/rooms/requests/")
    assert "Giao ban chuyên môn" in page.locator("main").inner_text()
    assert "4 buổi chờ duyệt" in page.locator("main").inner_text()
    check_page(page, "02-queue")

    # Untick the second sitting, write a note, preview, confirm.
    boxes = page.locator("input[name=sitting]")
    assert boxes.count() == 4
    boxes.nth(1).uncheck()
    page.get_by_label("Ghi chú cho người đặt").fill("Tuần thứ hai hội trường sơn lại")
    page.get_by_role("button", name="Duyệt các buổi đã chọn…").click()
    confirm = page.locator("#confirm")
    confirm.wait_for()
    assert confirm.locator(".tag-bad").count() == 1 and confirm.locator(".tag-ok").count() == 3
    assert "Không có yêu cầu trùng giờ nào bị ảnh hưởng." in confirm.inner_text()
    shot(page, "03-queue-confirm")
    assert {b.status for b in Booking.objects.filter(occurrence__meeting=meeting)} == {"requested"}
    with page.expect_navigation(url=f"{base}/rooms/requests/"):
        confirm.get_by_role("button", name="Xác nhận duyệt").click()
    assert "Đã duyệt 3 buổi. Đã từ chối 1 buổi." in page.locator(".messages").inner_text()
    assert "Không có yêu cầu nào đang chờ duyệt." in page.locator("main").inner_text()
    assert page.locator("nav.nav-wide a", has_text="Duyệt phòng").locator(".badge").count() == 0
    shot(page, "04-queue-done")
    statuses = list(Booking.objects.filter(occurrence__meeting=meeting).order_by("start").values_list("status", flat=True))
    assert statuses == ["confirmed", "rejected", "confirmed", "confirmed"]

    # The secretary got one e-mail saying what was approved and what was refused, and why.
    mails = [m for m in mailoutbox if m.to == [org.secretary.email]]
    assert len(mails) == 1
    assert "Giao ban chuyên môn" in mails[0].subject
    assert "Tuần thứ hai hội trường sơn lại" in mails[0].body and "Bị từ chối:" in mails[0].body

    # The secretary sees the result on the calendar: approved sittings no longer pending.
    page.context.clear_cookies()
    login(page, base, org.secretary.email)
    assert page.url.endswith("/calendar/")
    page.goto(f"{base}/calendar/?view=week&d={day:%Y-%m-%d}")
    event = page.locator(".ev", has_text="Giao ban chuyên môn").first
    assert "chờ duyệt" not in event.inner_text()
    assert "Hội trường BVĐK (BVĐK tỉnh)" in event.inner_text()
    check_page(page, "05-secretary-week")
    page.goto(f"{base}/calendar/?view=week&d={day + timedelta(days=7):%Y-%m-%d}")
    refused = page.locator(".ev", has_text="Giao ban chuyên môn").first
    assert "Hội trường BVĐK (BVĐK tỉnh) — bị từ chối" in refused.inner_text()  # the sitting lost its room
    shot(page, "06-secretary-week-refused-sitting")
    assert Meeting.objects.get(pk=meeting.pk).status == Meeting.Status.SCHEDULED


def test_calendar_views_rooms_page_and_dragging_a_meeting(org, live_server, page):
    day = working_day(10)
    meeting = book(org.secretary, org.hospital, at(day, 9), at(day, 10), [(org.room_a, 10)], title="Họp khoa Nội")
    book(org.secretary, org.hospital, at(day, 9, 30), at(day, 11), [(org.room_b, 5)], title="Họp nhóm")
    book(org.secretary, org.hospital, at(day, 14), at(day, 15), [(org.room_b, 5)], title="Kỷ luật",
         sensitivity=Meeting.Sensitivity.CONFIDENTIAL)
    base = live_server.url
    login(page, base, org.member.email)
    page.goto(f"{base}/calendar/?view=week&d={day:%Y-%m-%d}&unit=bvdk")
    assert "Kỷ luật" not in page.locator("main").inner_text() and "Bận" in page.locator("main").inner_text()
    check_page(page, "10-member-week-busy")
    page.context.clear_cookies()

    login(page, base, org.secretary.email)
    for view in ("day", "month", "rooms", "roomweek"):
        page.goto(f"{base}/calendar/?view={view}&d={day:%Y-%m-%d}")
        assert "Họp khoa Nội" in page.locator("main").inner_text()
        check_page(page, f"11-secretary-{view}")
    # htmx navigation: the next-day button swaps the calendar and updates the address.
    page.goto(f"{base}/calendar/?view=day&d={day:%Y-%m-%d}")
    page.get_by_role("link", name="Sau").click()
    page.wait_for_url(re.compile(rf"d={day + timedelta(days=1):%Y-%m-%d}"))
    assert "Họp khoa Nội" not in page.locator("#calendar").inner_text()
    page.go_back()
    page.wait_for_url(re.compile(rf"d={day:%Y-%m-%d}"))
    page.locator("#calendar", has_text="Họp khoa Nội").wait_for()

    page.goto(f"{base}/rooms/?d={day:%Y-%m-%d}")
    assert "Phòng họp A" in page.locator("main").inner_text()
    check_page(page, "12-rooms-page")

    # Drag "Họp khoa Nội" to 14:00 in the day's room view: the move page opens with the new time.
    page.goto(f"{base}/calendar/?view=rooms&d={day:%Y-%m-%d}")
    source = page.locator(".ev[draggable]", has_text="Họp khoa Nội")
    slots = page.locator(f"#h-room-{org.room_a.pk} + .tg-body .slot")
    target = slots.nth(14 - 7)
    box = target.bounding_box()
    with page.expect_request(re.compile(r"/move/\?occurrence=")) as req:
        source.drag_to(target, target_position={"x": box["width"] / 2, "y": 2})
    url = req.value.url
    assert f"/meetings/{meeting.uid}/move/?occurrence=" in url
    assert f"start={day:%Y-%m-%d}T14%3A00" in url and f"end={day:%Y-%m-%d}T15%3A00" in url


def test_api_docs_render_offline_from_the_profile_page(org, live_server, page):
    """D10: Swagger UI and Redoc load only from this server (hospital networks may be closed)."""
    base = live_server.url
    outside: list[str] = []
    # Responses, not requests: Redoc's bundle asks for a decorative logo on its CDN, which the
    # page's Content-Security-Policy blocks before anything leaves the machine.
    page.on("response", lambda r: outside.append(r.url) if not r.url.startswith((base, "data:", "blob:")) else None)
    login(page, base, org.secretary.email)
    page.goto(f"{base}/profile/")
    page.get_by_role("link", name="Swagger UI").click()
    page.locator(".swagger-ui .info .title").wait_for()
    assert "Quorum API" in page.locator(".swagger-ui .info .title").inner_text()
    shot(page, "20-swagger-offline")
    page.goto(f"{base}/profile/")
    page.get_by_role("link", name="Redoc").click()
    page.get_by_text("Quorum API").first.wait_for()
    shot(page, "21-redoc-offline")
    assert outside == []
