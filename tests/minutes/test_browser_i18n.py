"""The minutes editor speaks the user's language: its script's texts come from Django's
JavaScript catalogue (/jsi18n/, a same-origin script under the site's CSP), Vietnamese by
default and English for a user who chose English. The status label follows the real state."""

from __future__ import annotations

import pytest

from minutes import workflow
from minutes.models import Minutes
from tests.minutes.test_browser import chromium, people, screenshot, sections, servers  # noqa: F401 - fixtures

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _editor_texts(person) -> dict[str, str]:
    page = person.page
    return {
        "state": page.locator("#save-state").inner_text(),
        "status": page.locator("#status-label").inner_text(),
        "placeholder": page.locator("textarea[data-section]").first.get_attribute("placeholder"),
        "revisions": page.locator("#revisions").inner_text(),
        "you": page.locator("#presence li").first.inner_text(),
    }


def test_minutes_editor_texts_are_vietnamese_by_default(org, briefing, sections, people):  # noqa: F811
    secretary = people(org.secretary, briefing.occurrence.pk).open()
    texts = _editor_texts(secretary)
    assert texts["state"] == "Đã lưu"
    assert texts["status"] == "Đang soạn"
    assert texts["placeholder"] == "Ghi nội dung thảo luận (Markdown)…"
    assert texts["revisions"] == "Chưa có phiên bản nào."
    assert "(bạn)" in texts["you"] and "đang xem" in texts["you"]


def test_minutes_editor_texts_are_english_for_a_user_who_chose_english(org, briefing, sections, people, tmp_path):  # noqa: F811
    from playwright.sync_api import expect

    org.secretary.language = "en"
    org.secretary.save(update_fields=["language"])
    secretary = people(org.secretary, briefing.occurrence.pk)
    secretary.page = secretary.new_page()
    secretary.page.goto(f"{secretary.server.url}/minutes/{briefing.occurrence.pk}/")
    expect(secretary.page.locator("#save-state")).to_have_text("Saved")
    texts = _editor_texts(secretary)
    assert texts["status"] == "Being written"
    assert texts["placeholder"] == "Write down the discussion (Markdown)…"
    assert texts["revisions"] == "No versions yet."
    assert "(you)" in texts["you"] and "viewing" in texts["you"]
    # The page around the editor too, and the catalogue came from this site.
    assert secretary.page.locator("#add-action button").inner_text() == "Assign"
    assert secretary.page.evaluate("typeof window.gettext") == "function"
    for width in (1366, 390):  # $MINUTES_SCREENSHOTS to keep them
        secretary.page.set_viewport_size({"width": width, "height": 900})
        screenshot(secretary.page, f"minutes-en-{width}", tmp_path)


def test_status_label_shows_submitted_minutes_as_awaiting_the_chair(org, briefing, sections, people):  # noqa: F811
    from playwright.sync_api import expect

    first = sections[0]
    first.text = "Nội dung thảo luận."
    first.save(update_fields=["text"])
    minutes = Minutes.objects.get(occurrence=briefing.occurrence)
    workflow.submit(org.secretary, minutes)
    secretary = people(org.secretary, briefing.occurrence.pk).open(viewer=True)
    expect(secretary.page.locator("#status-label")).to_have_text("Chờ chủ trì duyệt")
    expect(secretary.page.locator("#read-only-note")).to_contain_text("đã trình chủ trì")
