"""The invitation answer page in Chromium: place, chair, online link, every sitting of a series
with the moved and cancelled ones marked; on a 390 px phone nothing scrolls sideways and the
delegate button can be tapped."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings

from integrations.calendar import answers
from meetings import actions
from meetings.actions import AttendeeInput, MeetingInput, RoomChoice, Scope
from meetings.formatting import vn_datetime
from meetings.models import Attendee, Membership
from tests.factories import at, make_user, working_day

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
SHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"


def serious_axe(page) -> list[str]:
    if not AXE.exists():
        return []
    page.evaluate(AXE.read_text())  # over DevTools: the CSP (D9) blocks an inline <script>
    found = page.evaluate("async () => (await axe.run()).violations.map(v => [v.id, v.impact])")
    return [rule for rule, impact in found if impact in ("serious", "critical")]


def test_answer_page_shows_place_chair_link_and_every_sitting_and_fits_a_phone(org, live_server, page):
    make_user("phogiamdoc@bvdk.vn", org.hospital, Membership.Role.MEMBER,
              full_name="Nguyễn Thị Phó Giám Đốc Chuyên Môn Kiêm Trưởng Khoa Hồi Sức Tích Cực Chống Độc")
    day = working_day(10)
    while day.weekday() != 0:
        day += timedelta(days=1)
    meeting = actions.create_meeting(org.secretary, MeetingInput(
        title="Giao ban chuyên môn hằng tuần", organizing_unit=org.hospital, start=at(day, 8, 30), end=at(day, 10),
        rrule="FREQ=WEEKLY;COUNT=4;BYDAY=MO", chair=org.leader, rooms=[RoomChoice(org.room_a)],
        mode="hybrid", online_provider="link", online_details={"url": "https://vc.soyte.vn/giao-ban"},
        attendees=[AttendeeInput(email=org.member.email)],
    ))
    occs = list(meeting.occurrences.order_by("index"))
    moved_to = at(day + timedelta(days=8), 14)
    actions.update_meeting(org.secretary, meeting, {"start": moved_to, "end": moved_to + timedelta(hours=1)},
                           scope=Scope.OCCURRENCE, occurrence=occs[1])
    actions.cancel_meeting(org.secretary, meeting, scope=Scope.OCCURRENCE, occurrence=occs[2], reason="Trùng lịch")
    member = Attendee.objects.select_related("meeting").get(meeting=meeting, email=org.member.email)
    url = f"{live_server.url}/invitations/answer/{answers.make_token(member)}/"
    SHOTS.mkdir(parents=True, exist_ok=True)

    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(url)
    assert page.locator("h1").count() == 1
    assert "Phòng họp A (BVĐK tỉnh, Tầng 2)" in page.locator("#answer-place").inner_text()
    assert page.locator("#answer-chair").inner_text() == org.leader.full_name
    online = page.locator("#answer-online")
    assert online.get_attribute("data-state") == "ready"
    assert online.locator("a").get_attribute("href").endswith(f"/j/{member.join_token}")
    items = page.locator("#answer-sittings li")
    assert items.count() == 4
    assert f"Dời từ {vn_datetime(occs[1].recurrence_id)}" in items.nth(1).inner_text()
    assert vn_datetime(moved_to) in items.nth(1).inner_text()
    assert "Đã hủy" in items.nth(2).inner_text() and items.nth(2).locator("s").count() == 1
    assert serious_axe(page) == []
    page.screenshot(path=str(SHOTS / "answer-1366.png"), full_page=True)

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(url)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    button = page.locator("#delegate-button")
    button.scroll_into_view_if_needed()
    box = button.bounding_box()
    assert box["height"] >= 44
    hit = page.evaluate("([x, y]) => document.elementFromPoint(x, y)?.id", [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2])
    assert hit == "delegate-button"  # nothing covers it
    page.screenshot(path=str(SHOTS / "answer-390.png"), full_page=True)
    button.click()
    page.wait_for_selector(".card[role=status]")
    assert "dự thay" in page.locator(".card[role=status]").inner_text()
    assert Attendee.objects.get(pk=member.pk).rsvp == Attendee.Rsvp.DELEGATED
