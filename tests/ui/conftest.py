"""Headless Chromium (Debian's package) driven by Playwright, against Django's live server."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

CHROMIUM = os.getenv("CHROMIUM_PATH", "/usr/bin/chromium")
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


@pytest.fixture(scope="session")
def playwright_session():
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"Chromium not installed at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running in this thread, which makes Django
    # refuse ORM calls from the test body; the test itself is plain synchronous code.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright_session):
    profile = tempfile.mkdtemp(prefix="quorum-chromium-")
    context = playwright_session.chromium.launch_persistent_context(
        profile, executable_path=CHROMIUM, args=ARGS, headless=True, locale="vi-VN",
        timezone_id="Asia/Ho_Chi_Minh",
    )
    yield context
    context.close()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def own_browser(playwright_session):
    """A browser context of the test's own, for what must not leak into the shared one: a
    fake clock (`page.clock` belongs to the context, and a paused clock would stop every
    later page's timers, htmx's included)."""
    chromium = playwright_session.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
    context = chromium.new_context(locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
    yield context
    context.close()
    chromium.close()


@pytest.fixture
def page(browser):
    page = browser.new_page()
    yield page
    page.close()
    browser.clear_cookies()


def inject_axe(page) -> None:
    """Load axe-core into the page. Evaluated through the DevTools protocol rather than a
    <script> tag: the site's CSP (script-src 'self') rightly refuses inline scripts, and the
    browser tests keep that CSP on so an inline script in a template fails them."""
    from django.conf import settings

    source = (Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js").read_text()
    page.evaluate(f"() => {{ {source}\n; window.axe = window.axe || axe; }}")
