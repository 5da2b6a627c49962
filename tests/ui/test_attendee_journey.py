"""The attendee's journey on a phone-sized screen (390 x 844): accept from the e-mail link,
send a colleague to another meeting, join ten minutes before the start from My meetings,
subscribe to the calendar feed and find the meeting in it."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.utils import timezone

from meetings import actions
from meetings.actions import AttendeeInput, MeetingInput
from meetings.models import Attendee, Meeting, Membership
from tests.factories import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _online(org, title, start, people):
    return actions.create_meeting(org.secretary, MeetingInput(
        title=title, organizing_unit=org.hospital, start=start, end=start + timedelta(hours=1),
        mode=Meeting.Mode.ONLINE, online_provider="jitsi", is_urgent=True, urgent_reason="Chỉ đạo khẩn của Sở",
        chair=org.leader, attendees=[AttendeeInput(email=p.email, user=p, unit=org.hospital) for p in people],
    ))


def test_attendee_journey_on_a_phone(org, live_server, browser, tmp_path):
    from playwright.sync_api import expect

    colleague = make_user("dongnghiep@bvdk.vn", org.hospital, Membership.Role.MEMBER, full_name="Đồng Nghiệp Khoa")
    soon = _online(org, "Họp trực tuyến phòng chống dịch", timezone.now() + timedelta(minutes=10), [org.member])
    later = _online(org, "Giao ban chuyên môn", timezone.now() + timedelta(days=2), [org.member])
    page = browser.new_page()
    page.set_viewport_size({"width": 390, "height": 844})
    shots = settings.BASE_DIR / "var" / "screenshots" / "journey"
    shots.mkdir(parents=True, exist_ok=True)
    try:
        # 1. Accept from the link in the invitation e-mail (no login needed).
        invitation = next(m for m in mail.outbox if org.member.email in m.to and soon.title in m.subject)
        link = re.search(r"https?://\S+/invitations/answer/\S+\?r=accepted", invitation.body).group(0)
        page.goto(live_server.url + "/invitations/" + link.split("/invitations/", 1)[1])
        expect(page.locator("input[name=rsvp][value=accepted]")).to_be_checked()
        page.locator("form:has(input[name=action][value=answer]) button[type=submit]").click()
        expect(page.locator("main")).to_contain_text("Tham dự")
        assert Attendee.objects.get(meeting=soon, user=org.member).rsvp == Attendee.Rsvp.ACCEPTED

        # Log in (the session a browser would have after the login form).
        client = Client()
        client.force_login(org.member)
        browser.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "url": live_server.url,
                              "value": client.cookies[settings.SESSION_COOKIE_NAME].value}])
        page.goto(f"{live_server.url}/me/")
        soon_card = page.locator("article.my-card", has_text=soon.title)
        expect(soon_card.locator("button[aria-pressed=true]")).to_have_text("Tham dự")

        # 2. Send a colleague to the other meeting (the form opens in place, htmx).
        later_card = page.locator("article.my-card", has_text=later.title)
        later_card.get_by_role("link", name="Cử người dự thay").click()
        page.get_by_label("E-mail người dự thay").fill(colleague.email)
        page.get_by_role("button", name="Cử người này").click()
        expect(page.locator("article.my-card", has_text=later.title)).to_contain_text("Đã cử Đồng Nghiệp Khoa dự thay")
        expect(page.locator("#live-region")).to_contain_text("Đã cử Đồng Nghiệp Khoa dự thay.")
        assert Attendee.objects.get(meeting=later, user=colleague).delegated_from.user == org.member
        page.screenshot(path=str(shots / "my-meetings-phone.png"), full_page=True)

        # 3. Ten minutes before the start, join through the button (the provider is stubbed).
        page.route("https://meet.jit.si/**", lambda route: route.fulfill(status=200, body="<title>Jitsi</title>Jitsi"))
        page.goto(f"{live_server.url}/me/")
        page.locator("article.my-card", has_text=soon.title).get_by_role("link", name="Vào họp trực tuyến").click()
        page.wait_for_url(re.compile(r"^https://meet\.jit\.si/"))
        assert Attendee.objects.get(meeting=soon, user=org.member).join_token

        # 4. Subscribe to the calendar feed and find the meeting in it.
        page.goto(f"{live_server.url}/me/#feed")
        page.get_by_role("button", name="Tạo địa chỉ đăng ký lịch").click()
        address = page.locator("#feed-url").input_value()
        webcal = page.get_by_role("link", name=re.compile("webcal")).get_attribute("href")
        assert webcal.startswith("webcal://") and webcal.split("://")[1] == address.split("://")[1]
        feed = page.request.get(live_server.url + "/feeds/" + address.split("/feeds/", 1)[1])
        assert feed.status == 200 and "text/calendar" in feed.headers["content-type"]
        body = feed.text().replace("\r\n ", "")
        assert f"UID:{soon.uid}" in body or str(soon.uid) in body
        assert soon.title in body
    finally:
        page.close()
