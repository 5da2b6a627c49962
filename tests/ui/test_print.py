"""Printing: the minutes and My meetings print without navigation, forms or the editor's state."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from minutes import actions
from tests.meetings.mine_helpers import sitting

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_minutes_and_my_meetings_print_content_only(org, live_server, browser):
    occ = sitting(org, timezone.now() + timedelta(days=1), people=[org.member], room=org.room_a, title="Họp in thử")
    actions.ensure_minutes(occ)
    client = Client()
    client.force_login(org.secretary)
    browser.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "url": live_server.url,
                          "value": client.cookies[settings.SESSION_COOKIE_NAME].value}])
    page = browser.new_page()
    try:
        page.emulate_media(media="print")
        page.goto(f"{live_server.url}/minutes/{occ.pk}/")
        assert page.locator("h1").is_visible()
        for hidden in (".site-header", "#save-state", "textarea[data-section]", "aside", "#add-section"):
            assert not page.locator(hidden).first.is_visible(), hidden
        assert page.locator("[data-preview]").first.count() == 1
        page.goto(f"{live_server.url}/me/")
        assert not page.locator(".site-header").is_visible()
        assert page.locator("h1").is_visible()
    finally:
        page.close()
