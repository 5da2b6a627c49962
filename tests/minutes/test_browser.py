"""The minutes editor in headless Chromium against real uvicorn processes (HTTP + WebSocket).

Embedded mode: one server with the in-memory channel layer. With REDIS_URL: two servers
sharing channels-redis and Redis presence, and the two people sit on different servers.
Each person has their own browser context (cookies, localStorage). Messages between a page
and the server are held or dropped with Playwright's WebSocket routing where a test needs a
slow or broken line; every wait is for a DOM state or a message, never a fixed time.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.conf import settings

from minutes import actions
from minutes.models import Minutes, Section
from minutes.testing import Server
from tests.minutes.conftest import session_of, start_servers

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = os.getenv("CHROMIUM_PATH", "/usr/bin/chromium")
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--lang=vi-VN",  # date inputs as a Vietnamese browser shows them (dd/mm/yyyy)
]
SAVED, SAVING = "Đã lưu", "Đang lưu…"
WAIT_MS = 15_000


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"Chromium not installed at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop set in this thread; the test bodies are
    # plain synchronous code, so let Django's ORM run (restored after this module).
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="module")
def servers(django_db_setup) -> Iterator[list[Server]]:
    """One server (embedded mode) or two sharing Redis; static files served as by runserver."""
    started = start_servers(2 if settings.REDIS_URL else 1, static=True)
    yield started
    for s in started:
        s.stop()


@dataclass
class Line:
    """A page's WebSocket to the server, through Playwright's router: hold or drop frames."""

    down: bool = False  # while set, every (re)connection is cut at once
    hold_in: Callable[[dict], bool] = lambda m: False  # server → page frames to keep back
    drop_out: Callable[[dict], bool] = lambda m: False  # page → server frames to lose
    held: list[str] = field(default_factory=list)
    dropped: list[dict] = field(default_factory=list)
    route: Any = None
    server: Any = None

    def attach(self, page: Any) -> None:
        def handler(ws: Any) -> None:
            self.route = ws
            if self.down:
                ws.close(code=1000, reason="line down")
                return
            server = self.server = ws.connect_to_server()

            def to_page(message: str | bytes) -> None:
                if isinstance(message, str) and self.hold_in(json.loads(message)):
                    self.held.append(message)
                else:
                    ws.send(message)

            def to_server(message: str | bytes) -> None:
                frame = json.loads(message) if isinstance(message, str) else {}
                if self.drop_out(frame):
                    self.dropped.append(frame)
                else:
                    server.send(message)

            server.on_message(to_page)
            ws.on_message(to_server)

        page.route_web_socket(re.compile(r"/ws/minutes/"), handler)

    def cut(self) -> None:
        """The line goes down: the open socket closes and reconnecting fails until restore()."""
        self.down = True
        # (A browser WebSocket may only close with 1000 or 3000-4999.)
        self.server.close(code=1000, reason="line down")
        self.route.close(code=1000, reason="line down")

    def restore(self) -> None:
        self.down = False

    def release(self) -> None:
        self.hold_in = lambda m: False
        for message in self.held:
            self.route.send(message)
        self.held.clear()


class Person:
    def __init__(self, browser: Any, server: Server, user: Any, occurrence_id: int) -> None:
        self.server, self.user, self.occurrence_id = server, user, occurrence_id
        self.context = browser.new_context(locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh",
                                           viewport={"width": 1280, "height": 900})
        self.errors: list[str] = []
        self.page: Any = None

    def login_with_cookie(self) -> Person:
        self.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session_of(self.user),
                                   "url": self.server.url}])
        return self

    def login_with_form(self) -> Person:
        page = self.new_page()
        page.goto(f"{self.server.url}/accounts/login/")
        page.fill("input[name=login]", self.user.email)
        page.fill("input[name=password]", "pw-Quorum-2026")
        page.click("button[type=submit]")
        # Home, or the calendar for secretaries (workspace/): any page after the login.
        page.wait_for_url(re.compile(re.escape(self.server.url) + r"/(calendar/)?$"))
        page.close()
        return self

    def new_page(self) -> Any:
        page = self.context.new_page()
        page.set_default_timeout(WAIT_MS)
        page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))
        page.on("console", self._console)
        return page

    def _console(self, message: Any) -> None:
        # The site has no favicon (base.html's business); anything else logged as an error counts.
        if message.type == "error" and "favicon.ico" not in message.location.get("url", ""):
            self.errors.append(f"console: {message.text} ({message.location.get('url')})")

    def open(self, line: Line | None = None, *, viewer: bool = False) -> Person:
        """Open the minutes page and wait until the socket is up and everything stored
        (a viewer has no save state: until they see themselves in the presence list)."""
        self.page = self.new_page()
        if line is not None:
            line.attach(self.page)
        self.page.goto(f"{self.server.url}/minutes/{self.occurrence_id}/")
        if viewer:
            from playwright.sync_api import expect

            expect(self.page.locator("#presence li").filter(has_text="(bạn)")).to_have_count(1)
        else:
            self.expect_state(SAVED)
        return self

    # --- what the person sees and does -------------------------------------------------

    def area(self, section_id: int) -> Any:
        return self.page.locator(f'textarea[data-section="{section_id}"]')

    def type(self, section_id: int, text: str, *, at_start: bool = False) -> None:
        area = self.area(section_id)
        area.click()
        self.page.keyboard.press("Control+Home" if at_start else "Control+End")
        self.page.keyboard.type(text)

    def value(self, section_id: int) -> str:
        return self.area(section_id).input_value()

    def expect_state(self, label: str) -> None:
        from playwright.sync_api import expect

        expect(self.page.locator("#save-state")).to_have_text(label)

    def presence(self) -> Any:
        return self.page.locator("#presence li")

    def wait_until(self, predicate: Callable[[], bool], what: str, timeout: float = WAIT_MS / 1000) -> None:
        """Poll with a deadline; each round lets Playwright deliver routed frames."""
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}")
            self.page.wait_for_timeout(20)  # pumps Playwright's event loop between checks

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def people(chromium, servers) -> Iterator[Callable[..., Person]]:
    """people(user, occurrence_id, on=0) → a logged-in Person; on = index of the server."""
    opened: list[Person] = []

    def make(user: Any, occurrence_id: int, *, on: int = 0, form_login: bool = False) -> Person:
        person = Person(chromium, servers[on % len(servers)], user, occurrence_id)
        opened.append(person)
        return person.login_with_form() if form_login else person.login_with_cookie()

    yield make
    errors = [e for p in opened for e in p.errors]
    for p in opened:
        p.close()
    assert not errors, errors  # no JavaScript errors on any page


@pytest.fixture
def sections(briefing) -> list[Section]:
    minutes = actions.ensure_minutes(briefing.occurrence)
    return list(minutes.sections.order_by("position", "id"))


def screenshot(page: Any, name: str, tmp_path: Any) -> None:
    """Full-page PNG, in $MINUTES_SCREENSHOTS (to look at) or the test's tmp dir."""
    folder = os.getenv("MINUTES_SCREENSHOTS") or str(tmp_path)
    page.screenshot(path=os.path.join(folder, f"{name}.png"), full_page=True)


def stored(section: Section) -> str:
    return Section.objects.get(pk=section.pk).text


# --- tests -----------------------------------------------------------------------------


def test_two_people_see_each_other_and_each_others_typing(org, briefing, sections, people, tmp_path):
    from playwright.sync_api import expect

    occ = briefing.occurrence.pk
    secretary = people(org.secretary, occ, form_login=True).open()  # through the real login page
    chair = people(org.leader, occ, on=1).open()  # on the other server when there are two
    for person, other in ((secretary, chair), (chair, secretary)):
        expect(person.presence().filter(has_text=other.user.full_name)).to_contain_text("BVĐK tỉnh · đang")
    expect(secretary.presence()).to_have_count(2)

    # Where the secretary is writing shows on the chair's page (list and the section heading).
    second = sections[1]
    secretary.area(second.pk).click()
    mine = chair.presence().filter(has_text=org.secretary.full_name)
    expect(mine).to_contain_text(f"đang soạn: {second.title}")
    expect(chair.page.locator(f'.who-here[data-for="{second.pk}"]')).to_have_text(org.secretary.full_name)

    secretary.type(second.pk, "Tỷ lệ tiêm chủng đạt 95%.")
    expect(chair.area(second.pk)).to_have_value("Tỷ lệ tiêm chủng đạt 95%.")
    secretary.expect_state(SAVED)
    assert stored(second) == "Tỷ lệ tiêm chủng đạt 95%."
    # The Markdown preview follows on both pages.
    expect(chair.page.locator(f'[data-preview="{second.pk}"]')).to_contain_text("95%")

    chair.type(second.pk, "\nGiao CDC theo dõi.")
    expect(secretary.area(second.pk)).to_have_value("Tỷ lệ tiêm chủng đạt 95%.\nGiao CDC theo dõi.")
    chair.expect_state(SAVED)
    # The preview follows remote edits too, one line per typed line.
    preview = secretary.page.locator(f'[data-preview="{second.pk}"]')
    expect(preview).to_contain_text("Giao CDC theo dõi.")
    expect(preview.locator("br")).to_have_count(1)
    screenshot(secretary.page, "minutes-editing", tmp_path)

    # Revisions: save one, write on, save another, look at the difference, restore the first.
    revisions = secretary.page.locator("#revisions li")
    secretary.page.click("#save-revision")
    expect(revisions).to_have_count(1)
    secretary.type(second.pk, "\nBổ sung sau.")
    secretary.expect_state(SAVED)
    secretary.page.click("#save-revision")
    expect(revisions).to_have_count(2)
    expect(revisions.first).to_contain_text("#2")
    revisions.first.get_by_role("button", name="So với #1").click()
    expect(secretary.page.locator("#diff")).to_contain_text("+Bổ sung sau.")
    secretary.page.once("dialog", lambda d: d.accept())
    revisions.last.get_by_role("button", name="Khôi phục").click()
    first = "Tỷ lệ tiêm chủng đạt 95%.\nGiao CDC theo dõi."
    for person in (secretary, chair):
        expect(person.area(second.pk)).to_have_value(first)
    secretary.expect_state(SAVED)
    assert stored(second) == first

    # Leaving removes the person from the others' list at once.
    secretary.page.close()
    expect(chair.presence().filter(has_text=org.secretary.full_name)).to_have_count(0)
    expect(chair.presence()).to_have_count(1)


def test_typing_at_the_same_moment_in_one_section_converges(org, briefing, sections, people):
    occ, section = briefing.occurrence.pk, sections[0]
    secretary = people(org.secretary, occ).open()
    line = Line()
    chair = people(org.leader, occ, on=1).open(line)

    # The chair's line is slow: the secretary's edits reach the chair only after the chair
    # has typed too, so both edits start from the same (empty) text.
    line.hold_in = lambda m: m["type"] in ("update", "sync")
    secretary.type(section.pk, "Ý kiến của thư ký.")
    secretary.expect_state(SAVED)
    chair.type(section.pk, "Ý kiến của chủ trì.")
    chair.expect_state(SAVED)
    assert chair.value(section.pk) == "Ý kiến của chủ trì."
    assert line.held  # the chair had not seen the secretary's text
    line.release()

    def converged() -> bool:
        a, b = secretary.value(section.pk), chair.value(section.pk)
        return a == b and "Ý kiến của thư ký." in a and "Ý kiến của chủ trì." in a

    chair.wait_until(converged, "both pages to show both edits")
    assert stored(section) == chair.value(section.pk)

    # Then both keep typing, interleaved, one at the start and one at the end of the text:
    # each chunk must stay whole (remote edits move the caret with the text).
    chunks_a, chunks_b = [f" [thư ký {i}]" for i in range(4)], [f"[chủ trì {i}] " for i in range(4)]
    for a, b in zip(chunks_a, chunks_b, strict=True):
        secretary.type(section.pk, a)
        chair.type(section.pk, b, at_start=True)
    secretary.expect_state(SAVED)
    chair.expect_state(SAVED)

    def all_in() -> bool:
        a, b = secretary.value(section.pk), chair.value(section.pk)
        return a == b and all(c in a for c in chunks_a + chunks_b)

    chair.wait_until(all_in, "every chunk on both pages")
    final = chair.value(section.pk)
    assert stored(section) == final
    assert len(final) == len("Ý kiến của thư ký.Ý kiến của chủ trì.") + sum(map(len, chunks_a + chunks_b))


def test_saved_shows_only_after_the_server_acknowledged(org, briefing, sections, people):
    occ, section = briefing.occurrence.pk, sections[2]
    line = Line()
    secretary = people(org.secretary, occ).open(line)
    chair = people(org.leader, occ, on=1).open()

    line.hold_in = lambda m: m["type"] == "ack"
    secretary.type(section.pk, "Đã thống nhất lịch.")
    secretary.expect_state(SAVING)
    # The server stored it and relayed it (the chair sees it) and acknowledged it; the
    # acknowledgement is still on the line, so the editor must not claim "saved" yet.
    from playwright.sync_api import expect

    expect(chair.area(section.pk)).to_have_value("Đã thống nhất lịch.")
    secretary.wait_until(lambda: line.held, "the acknowledgement to be held")
    assert stored(section) == "Đã thống nhất lịch."
    assert secretary.page.locator("#save-state").inner_text() == SAVING
    line.release()
    secretary.expect_state(SAVED)


def test_read_only_viewer_sees_changes_and_nobody_edits_after_issuing(org, briefing, sections, people, tmp_path):
    """Viewers get the rendered text (no editor, no save state) and see edits live; issuing
    turns every open page into that layout (the server's refusals: test_consumer.py)."""
    from playwright.sync_api import expect

    occ, section = briefing.occurrence.pk, sections[0]
    member = people(org.member, occ, on=1).open(viewer=True)  # invited member of the unit: read-only
    secretary = people(org.secretary, occ).open()
    chair = people(org.leader, occ, on=1).open()

    expect(member.area(section.pk)).to_have_count(0)
    expect(member.page.locator("#save-state")).to_have_count(0)
    expect(member.page.locator("#read-only-note")).to_be_visible()
    for selector in ("#add-conclusion", "#add-action", "#save-revision"):
        expect(member.page.locator(selector)).to_be_hidden()
    expect(member.page.locator("#issue")).to_have_count(0)
    expect(secretary.page.locator("#read-only-note")).to_be_hidden()
    expect(secretary.presence().filter(has_text=org.member.full_name)).to_contain_text("đang xem")

    secretary.type(section.pk, "Kết luận cuối cùng.")
    expect(member.page.locator(f'[data-preview="{section.pk}"]')).to_contain_text("Kết luận cuối cùng.")
    secretary.expect_state(SAVED)

    # Issuing: every open page turns read-only at once, without the editor's state.
    from minutes import workflow

    def sign_off() -> None:  # off Playwright's event-loop thread (the actions broadcast)
        minutes = Minutes.objects.get(pk=section.minutes_id)
        workflow.submit(org.secretary, minutes)
        workflow.approve(org.leader, minutes)

    with ThreadPoolExecutor(1) as pool:
        pool.submit(sign_off).result()
    secretary.page.once("dialog", lambda d: d.accept())
    secretary.page.click("#issue")
    for person in (secretary, chair, member):
        expect(person.page.locator("#status-label")).to_have_text("Đã ban hành")
        expect(person.area(section.pk)).to_have_count(0)
        expect(person.page.locator("#save-state")).to_have_count(0)
        expect(person.page.locator(f'[data-preview="{section.pk}"]')).to_contain_text("Kết luận cuối cùng.")
    for person in (secretary, chair):
        expect(person.page.locator("#add-conclusion")).to_be_hidden()
        expect(person.page.locator("#issue")).to_have_count(0)
        expect(person.page.locator("#read-only-note")).to_contain_text("đã ban hành")
    expect(secretary.page.locator("#revisions li").first).to_contain_text("Đổi trạng thái")
    screenshot(member.page, "minutes-issued-viewer", tmp_path)
    assert stored(section) == "Kết luận cuối cùng."


def test_offline_edits_merge_on_reconnect_and_survive_closing_the_tab(org, briefing, sections, people):
    from playwright.sync_api import expect

    occ, section = briefing.occurrence.pk, sections[1]
    line = Line()
    secretary = people(org.secretary, occ).open(line)
    chair = people(org.leader, occ, on=1).open()

    # Offline for a while: the editor says so, keeps the text, and sends it once back.
    line.cut()
    expect(chair.presence().filter(has_text=org.secretary.full_name)).to_have_count(0)
    secretary.type(section.pk, "Đầu")
    expect(secretary.page.locator("#save-state")).to_contain_text("Mất kết nối — phần đang gõ được giữ")
    line.restore()
    secretary.expect_state(SAVED)
    expect(chair.area(section.pk)).to_have_value("Đầu")
    expect(chair.presence().filter(has_text=org.secretary.full_name)).to_have_count(1)
    secretary.type(section.pk, " buổi.")
    secretary.expect_state(SAVED)

    # The line breaks: updates leave the page but never reach the server.
    line.drop_out = lambda m: m.get("type") == "update"
    secretary.type(section.pk, " Ghi chú chưa kịp lưu.")
    secretary.expect_state(SAVING)
    secretary.wait_until(lambda: line.dropped, "the update to be lost on the line")
    # Kept per minutes, section, user and tab.
    prefix = f"quorum:minutes:{section.minutes_id}:{section.pk}:{org.secretary.pk}:"
    kept = "p => Object.keys(localStorage).filter((k) => k.startsWith(p))"
    assert len(secretary.page.evaluate(kept, prefix)) == 1
    secretary.page.close()  # the tab is closed before any acknowledgement
    assert stored(section) == "Đầu buổi."

    chair.type(section.pk, "Chủ trì bổ sung. ", at_start=True)  # meanwhile someone else writes on
    chair.expect_state(SAVED)

    secretary.open()  # a new tab, same browser profile: the pending edit is replayed
    expected = "Chủ trì bổ sung. Đầu buổi. Ghi chú chưa kịp lưu."
    expect(secretary.area(section.pk)).to_have_value(expected)
    expect(chair.area(section.pk)).to_have_value(expected)
    assert stored(section) == expected
    # Acknowledged: nothing left to replay.
    secretary.expect_state(SAVED)
    assert secretary.page.evaluate(kept, prefix) == []


def test_scribe_assigned_in_one_browser_is_seen_live_in_another_and_can_then_write(org, briefing, sections, people, tmp_path):
    from playwright.sync_api import expect

    occ = briefing.occurrence.pk
    secretary = people(org.secretary, occ).open()
    chair = people(org.leader, occ, on=1).open()
    member = people(org.member, occ).open(viewer=True)

    # Keyboard only: choose the attendee and press Enter on the button.
    secretary.page.select_option("#scribe-user", str(org.member.pk))
    secretary.page.focus("#assign-scribe button")
    secretary.page.keyboard.press("Enter")
    expect(chair.page.locator("#scribes")).to_contain_text(org.member.full_name)
    expect(chair.page.locator("#live-region")).to_contain_text(org.member.full_name)
    # The new scribe's own page turns into the editor.
    member.expect_state(SAVED)
    expect(member.area(sections[0].pk)).to_be_enabled()

    # Sections: add one, move it up, from the keyboard; the other browser follows.
    secretary.page.fill("#new-section-title", "Ý kiến bổ sung")
    secretary.page.keyboard.press("Enter")
    expect(chair.page.locator("#sections h3").last).to_contain_text("Ý kiến bổ sung")
    secretary.expect_state(SAVED)
    secretary.page.locator("#sections h3").last.wait_for()
    new_id = secretary.page.locator("#sections .section").last.get_attribute("data-section")
    secretary.page.focus(f'button[data-move="up"][data-id="{new_id}"]')
    secretary.page.keyboard.press("Enter")
    expect(chair.page.locator("#sections .section").nth(len(sections) - 1)).to_have_attribute("data-section", new_id)
    screenshot(chair.page, "minutes-scribe-assigned", tmp_path)
