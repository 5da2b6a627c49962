"""A Join button on a page opened early enables itself at T−15 min and disables itself at the
end, without a reload: a timer of static/quorum/site.js reads the ISO times in data-join-from /
data-join-until. Driven by Playwright's clock (no waiting)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from meetings import actions
from meetings.actions import AttendeeInput, MeetingInput
from meetings.models import Meeting

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _online_in_20_minutes(org) -> Meeting:
    start = (timezone.now() + timedelta(minutes=20)).replace(microsecond=0)
    return actions.create_meeting(org.secretary, MeetingInput(
        title="Họp trực tuyến điều phối cấp cứu", organizing_unit=org.hospital, start=start,
        end=start + timedelta(hours=1), mode=Meeting.Mode.ONLINE, online_provider="jitsi", is_urgent=True,
        urgent_reason="Chỉ đạo khẩn của Sở", chair=org.leader,
        attendees=[AttendeeInput(email=org.member.email, user=org.member, unit=org.hospital)],
    ))


def _login(browser, live_server, user) -> None:
    client = Client()
    client.force_login(user)
    browser.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "url": live_server.url,
                          "value": client.cookies[settings.SESSION_COOKIE_NAME].value}])


@pytest.mark.parametrize("where", ["my_meetings", "meeting_page"])
def test_join_button_opens_at_t_minus_15_and_closes_at_the_end_without_reload(org, live_server, own_browser, where):
    from playwright.sync_api import expect

    meeting = _online_in_20_minutes(org)
    _login(own_browser, live_server, org.member)
    page = own_browser.new_page()
    try:
        page.clock.install(time=timezone.now())
        page.goto(live_server.url + ("/me/" if where == "my_meetings" else f"/meetings/{meeting.uid}/"))
        slot = page.locator(".join-slot[data-join-from]")
        expect(slot).to_have_count(1)
        link = slot.get_by_role("link", name="Vào họp trực tuyến")
        waiting = slot.get_by_role("button", name="Vào họp trực tuyến")
        expect(link).to_be_hidden()
        expect(waiting).to_be_disabled()
        expect(slot.locator(".join-hint")).to_contain_text("15 phút trước giờ họp")
        navigations = page.evaluate("performance.getEntriesByType('navigation').length")

        start = meeting.occurrences.get().start
        page.clock.pause_at(start - timedelta(minutes=15, seconds=10))  # still closed
        expect(link).to_be_hidden()
        page.clock.run_for(20_000)  # T−14 min 50 s: open
        expect(link).to_be_visible()
        expect(waiting).to_be_hidden()
        expect(slot.locator(".join-hint")).to_be_hidden()
        assert "/j/" in link.get_attribute("href")

        page.clock.pause_at(start + timedelta(hours=1, seconds=1))  # past the end
        page.clock.run_for(31_000)
        expect(link).to_be_hidden()
        expect(waiting).to_be_disabled()
        expect(slot.locator(".join-hint")).to_have_text("Cuộc họp đã kết thúc")
        assert page.evaluate("performance.getEntriesByType('navigation').length") == navigations  # no reload
    finally:
        page.close()
