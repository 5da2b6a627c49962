"""A leader searches the archive without diacritics, opens the minutes, downloads the signed
PDF and sees the signature is valid; every archive page at 1366 and 390 px: no sideways
scrolling, no serious axe violation (screenshots in var/screenshots/)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from archive import pki, signing
from minutes import actions
from tests.archive.conftest import ca, issue  # noqa: F401 - fixture
from tests.minutes.conftest import briefing, confidential  # noqa: F401 - fixtures
from tests.ui.conftest import inject_axe

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path("var/screenshots")
AXE = Path("node_modules/axe-core/axe.min.js")
PASSWORD = "mat-khau-ky-so"


def check_page(page, name: str) -> None:
    """Screenshots at both widths; the phone layout must not scroll sideways; axe clean."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width, height in ((1366, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(SHOTS / f"archive-{name}-{width}.png"), full_page=True)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{name} scrolls sideways by {overflow}px at {width}px"
        if AXE.exists():
            inject_axe(page)
            bad = page.evaluate("""async () => (await axe.run()).violations
                .filter(v => ['serious', 'critical'].includes(v.impact))
                .map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', '))""")
            assert bad == [], f"{name} at {width}px: {bad}"
    assert page.locator("h1").count() == 1


def test_leader_finds_opens_downloads_and_verifies_signed_minutes(org, briefing, confidential, live_server, page, ca):  # noqa: F811 - fixtures imported above
    def prepare():  # off Playwright's event-loop thread: the actions broadcast after commit
        doc = issue(org, briefing.occurrence, text="Nội dung cuộc họp giao ban tháng: tình hình khám chữa bệnh.",
                    conclusion="Tiếp tục họp giao ban vào thứ Hai hằng tuần.", action="Báo cáo số liệu về Sở",
                    due="2030-01-15")
        issue(org, confidential.occurrence, text="Họp giao ban mật về nhân sự.", conclusion="Bổ nhiệm.")
        signing.register("Chữ ký số Giám đốc", pki.issue_pkcs12(ca, org.leader.full_name, PASSWORD), PASSWORD,
                         user=org.leader)
        signing.sign_document(org.leader, doc, PASSWORD)
        actions.ensure_minutes(briefing.occurrence)
        return doc

    with ThreadPoolExecutor(1) as pool:
        doc = pool.submit(prepare).result()

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=login]", org.leader.email)
    page.fill("input[name=password]", "pw-Quorum-2026")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/me/")  # "/" sends everyone but secretaries to My meetings
    page.goto(f"{live_server.url}/archive/")
    page.fill("input[name=q]", "hop giao ban")
    page.click("form[role=search] button[type=submit]")
    result = page.locator("article.result").first
    assert "Giao ban bệnh viện" in result.inner_text()
    assert "<mark>" in result.inner_html()
    assert "Họp mật" not in page.content()  # confidential, not invited
    check_page(page, "search")

    page.set_viewport_size({"width": 1366, "height": 900})
    result.locator("h2 a").click()
    page.wait_for_url(f"**/archive/documents/{doc.pk}/")
    state = page.locator("#signature-state")
    assert state.get_attribute("class") == "sig-valid" and state.inner_text().strip() == "Hợp lệ"
    assert org.leader.full_name in page.locator("#signer").inner_text()
    with page.expect_download() as download:
        page.click("text=Tải PDF")
    data = Path(download.value.path()).read_bytes()
    assert data.startswith(b"%PDF")
    with ThreadPoolExecutor(1) as pool:  # pyHanko runs its own event loop
        verdict = pool.submit(signing.verify_bytes, data).result()
    assert (verdict.state, verdict.signer) == ("valid", org.leader.full_name)
    check_page(page, "document")

    for name, url in (("dashboard", "/dashboard/"), ("unit-actions", "/actions/units/"),
                      ("my-actions", "/actions/mine/"), ("export", "/archive/export/")):
        page.goto(f"{live_server.url}{url}")
        check_page(page, name)
