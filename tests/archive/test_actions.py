"""Action items: the unit's list and my list, filters, overdue flags, Vietnamese dates, and
owners closing items with a note over htmx."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from meetings.formatting import vn_date
from minutes import actions
from minutes.models import ActionItem
from tests.archive.conftest import client_for


@pytest.fixture
def items(org, briefing, confidential):
    minutes = actions.ensure_minutes(briefing.occurrence)
    today = timezone.localdate()
    late = actions.add_action_item(org.secretary, minutes, {
        "what": "Báo cáo số liệu tiêm chủng", "owner_user": org.member.pk, "due_date": (today - timedelta(days=3)).isoformat()})
    soon = actions.add_action_item(org.secretary, minutes, {
        "what": "Mua sắm vật tư", "owner_unit": org.hospital.pk, "due_date": (today + timedelta(days=10)).isoformat()})
    done = actions.add_action_item(org.secretary, minutes, {"what": "Đã xong việc cũ", "owner_user": org.member.pk})
    ActionItem.objects.filter(pk=done.pk).update(status="done", done_note="Xong")
    secret_minutes = actions.ensure_minutes(confidential.occurrence)
    secret = actions.add_action_item(org.dept_leader, secret_minutes, {
        "what": "Hồ sơ bổ nhiệm mật", "owner_unit": org.hospital.pk})
    return {"late": late, "soon": soon, "done": done, "secret": secret, "today": today}


def test_unit_list_filters_by_status_owner_and_overdue_with_vietnamese_dates(org, items):
    c = client_for(org.leader)
    body = c.get("/actions/units/", {"unit": org.hospital.pk}).content.decode()
    assert "Báo cáo số liệu tiêm chủng" in body and "Mua sắm vật tư" in body
    assert "Đã xong việc cũ" not in body  # open by default
    assert vn_date(items["late"].due_date) in body and items["late"].due_date.isoformat() not in body
    assert "Quá hạn" in body
    assert "Hồ sơ bổ nhiệm mật" not in body  # confidential meeting the leader may not see
    overdue = c.get("/actions/units/", {"unit": org.hospital.pk, "overdue": "on"}).content.decode()
    assert "Báo cáo số liệu tiêm chủng" in overdue and "Mua sắm vật tư" not in overdue
    done = c.get("/actions/units/", {"unit": org.hospital.pk, "status": "done"}).content.decode()
    assert "Đã xong việc cũ" in done and "Mua sắm vật tư" not in done
    mine = c.get("/actions/units/", {"unit": org.hospital.pk, "status": "all", "owner": org.member.pk}).content.decode()
    assert "Báo cáo số liệu tiêm chủng" in mine and "Mua sắm vật tư" not in mine
    assert "Hồ sơ bổ nhiệm mật" in client_for(org.dept_leader).get(
        "/actions/units/", {"unit": org.hospital.pk}).content.decode()


def test_other_units_list_is_refused(org, items):
    assert client_for(org.outsider).get("/actions/units/", {"unit": org.hospital.pk}).status_code == 404
    assert client_for(org.outsider).get("/actions/units/", {"unit": "x"}).status_code == 404


def test_my_list_and_closing_with_a_note_over_htmx(org, items):
    c = client_for(org.member)
    body = c.get("/actions/mine/").content.decode()
    assert "Báo cáo số liệu tiêm chủng" in body and "Mua sắm vật tư" not in body
    item = items["late"]
    # Closing needs a note: the error comes back next to the field, nothing changes.
    r = c.post(f"/actions/{item.pk}/status/", {"status": "done", "note": ""}, HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and "Ghi kết quả thực hiện khi đóng việc." in r.content.decode()
    assert ActionItem.objects.get(pk=item.pk).status == "open"
    r = c.post(f"/actions/{item.pk}/status/", {"status": "done", "note": "Đã gửi báo cáo"}, HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and 'id="action-' in r.content.decode() and "Đã cập nhật" in r.content.decode()
    item.refresh_from_db()
    assert (item.status, item.done_note, item.done_by) == ("done", "Đã gửi báo cáo", org.member)
    # Without htmx a refusal is a 400.
    assert c.post(f"/actions/{item.pk}/status/", {"status": "maybe"}).status_code == 400


def test_only_owners_change_status(org, items):
    r = client_for(org.outsider).post(f"/actions/{items['late'].pk}/status/", {"status": "done", "note": "x"})
    assert r.status_code == 403
    r = client_for(org.dept_secretary).post(f"/actions/{items['late'].pk}/status/", {"status": "done", "note": "x"})
    assert r.status_code in (403, 404)
    assert ActionItem.objects.get(pk=items["late"].pk).status == "open"
    # A leader of the owning unit may close the unit's item.
    r = client_for(org.leader).post(f"/actions/{items['soon'].pk}/status/", {"status": "done", "note": "Đã mua"})
    assert r.status_code == 200


def test_unit_list_query_count_does_not_grow(org, items, briefing):
    c = client_for(org.leader)
    c.get("/actions/units/")
    with CaptureQueriesContext(connection) as few:
        c.get("/actions/units/", {"unit": org.hospital.pk, "status": "all"})
    minutes = actions.ensure_minutes(briefing.occurrence)
    for i in range(5):
        actions.add_action_item(org.secretary, minutes, {"what": f"Việc {i}", "owner_user": org.member.pk})
    with CaptureQueriesContext(connection) as more:
        c.get("/actions/units/", {"unit": org.hospital.pk, "status": "all"})
    assert len(more) == len(few) <= 10
