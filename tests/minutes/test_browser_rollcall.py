"""Two browsers on the minutes page: the secretary records the roll call, the chair sees it
at once, without reloading (pushed through the minutes socket's group). Screenshots at 1366
and 390 px go to var/screenshots/."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings

from minutes.models import AttendanceRecord
from tests.minutes.test_browser import chromium, people, servers  # noqa: F401 - fixtures

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"
AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"


def test_roll_call_recorded_in_one_browser_appears_live_in_the_other(org, briefing, people):  # noqa: F811
    from playwright.sync_api import expect

    occ = briefing.occurrence.pk
    secretary = people(org.secretary, occ).open()
    chair = people(org.leader, occ, on=1).open()
    member_row = AttendanceRecord.objects.get(minutes__occurrence_id=occ, email=org.member.email)
    row_s = secretary.page.locator(f"#roll-{member_row.pk}")
    row_c = chair.page.locator(f"#roll-{member_row.pk}")
    expect(row_c).to_have_attribute("data-status", "present")
    before = chair.page.evaluate("performance.getEntriesByType('navigation').length")

    # The secretary: absent with a reason.
    row_s.get_by_label(f"Tình trạng của {org.member.full_name}").select_option("excused")
    row_s.get_by_label(f"Lý do vắng của {org.member.full_name}").fill("Đi công tác Hà Nội")
    row_s.get_by_role("button", name="Lưu").click()
    expect(row_s).to_have_attribute("data-source", "manual")
    # The chair sees it without reloading, with both the status and the source.
    expect(row_c).to_have_attribute("data-status", "excused")
    expect(row_c).to_have_attribute("data-source", "manual")
    expect(row_c.get_by_label(f"Lý do vắng của {org.member.full_name}")).to_have_value("Đi công tác Hà Nội")
    expect(chair.page.locator("#roll-call-summary")).to_contain_text("Vắng có lý do")
    assert chair.page.evaluate("performance.getEntriesByType('navigation').length") == before

    # Someone not invited: a clear Vietnamese error next to the field, nothing added.
    secretary.page.fill("#roll-add-who", "nguoila@gmail.com")
    secretary.page.get_by_role("button", name="Thêm vào điểm danh").click()
    expect(secretary.page.locator("#roll-add-error")).to_contain_text("không có trong thành phần mời")
    assert not AttendanceRecord.objects.filter(minutes__occurrence_id=occ, email="nguoila@gmail.com").exists()

    # The chair, meanwhile typing a reason for another row, is not interrupted by a refresh.
    guest = AttendanceRecord.objects.get(minutes__occurrence_id=occ, email="khach@benhvien.vn")
    field = chair.page.locator(f"#roll-{guest.pk}").get_by_label("Lý do vắng của Khách mời")
    field.click()
    field.type("Đang gõ")
    row_s.get_by_label(f"Tình trạng của {org.member.full_name}").select_option("present")
    row_s.get_by_role("button", name="Lưu").click()
    expect(row_s).to_have_attribute("data-status", "present")
    expect(field).to_have_value("Đang gõ")  # still there while the chair types
    chair.page.locator("#roll-call-title").click()  # leaves the field: the section catches up
    expect(row_c).to_have_attribute("data-status", "present")

    SHOTS.mkdir(parents=True, exist_ok=True)
    secretary.page.set_viewport_size({"width": 1366, "height": 900})
    secretary.page.locator("#roll-call").screenshot(path=str(SHOTS / "minutes-roll-call-1366.png"))
    chair.page.set_viewport_size({"width": 390, "height": 844})
    chair.page.locator("#roll-call").scroll_into_view_if_needed()
    chair.page.locator("#roll-call").screenshot(path=str(SHOTS / "minutes-roll-call-390.png"))
    width = chair.page.evaluate("document.getElementById('roll-call').scrollWidth")
    assert width <= 390
    if AXE.exists():
        # Evaluated over DevTools: a <script> tag would be an inline script, which the CSP (D9) blocks.
        chair.page.evaluate(AXE.read_text())
        found = chair.page.evaluate(
            "async () => (await axe.run('#roll-call')).violations.filter(v => ['serious','critical'].includes(v.impact)).map(v => v.id)")
        assert found == []
