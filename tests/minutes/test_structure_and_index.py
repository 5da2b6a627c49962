"""Sections removed/reordered, scribes assigned from the attendees, the read-only layout,
the "Biên bản" index, and D17 (a non-numeric owner is a 400, not a 500)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from minutes import actions, documents
from minutes.models import Minutes, Revision, Section
from tests.factories import session_queries, sign_off_and_issue
from tests.meetings.mine_helpers import sitting

pytestmark = pytest.mark.django_db


def client_for(user):
    c = Client()
    c.force_login(user)
    return c


def post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


@pytest.fixture
def minutes(briefing):
    return actions.ensure_minutes(briefing.occurrence)


def write(section, text, actor):
    with transaction.atomic():
        documents.replace_text(Section.objects.select_for_update().get(pk=section.pk), text, actor)


def titles(minutes):
    return list(minutes.sections.order_by("position", "id").values_list("title", flat=True))


def test_sections_move_and_remove_keeping_the_text_in_history(org, briefing, minutes):
    c = client_for(org.secretary)
    first, second, third = minutes.sections.order_by("position", "id")
    occ = briefing.occurrence.pk
    assert post(c, reverse("minutes:section-move", args=[occ, third.pk]), {"direction": "up"}).status_code == 200
    assert titles(minutes) == [first.title, third.title, second.title]
    write(second, "Ý kiến quan trọng", org.secretary)
    assert post(c, reverse("minutes:section-remove", args=[occ, second.pk]), {}).status_code == 200
    assert titles(minutes) == [first.title, third.title]
    rev = Revision.objects.filter(minutes=minutes).latest("number")
    assert rev.content[str(second.pk)]["text"] == "Ý kiến quan trọng"


def test_last_section_cannot_be_removed_and_bad_direction_is_refused(org, briefing, minutes):
    c = client_for(org.secretary)
    occ = briefing.occurrence.pk
    keep, *rest = minutes.sections.all()
    for s in rest:
        post(c, reverse("minutes:section-remove", args=[occ, s.pk]), {})
    r = post(c, reverse("minutes:section-remove", args=[occ, keep.pk]), {})
    assert r.status_code == 409 and "ít nhất một mục" in r.json()["message"]
    r = post(c, reverse("minutes:section-move", args=[occ, keep.pk]), {"direction": "sideways"})
    assert r.status_code == 400


def test_viewer_cannot_change_sections(org, briefing, minutes):
    c = client_for(org.member)
    s = minutes.sections.first()
    r = post(c, reverse("minutes:section-remove", args=[briefing.occurrence.pk, s.pk]), {})
    assert r.status_code == 403
    assert Section.objects.filter(pk=s.pk).exists()


def test_scribe_is_assigned_from_attendees_and_may_then_write(org, briefing, minutes):
    occ = briefing.occurrence.pk
    page = client_for(org.secretary).get(reverse("minutes:page", args=[occ])).content.decode()
    assert f'<option value="{org.member.pk}">{org.member.full_name}</option>' in page
    r = post(client_for(org.secretary), reverse("minutes:scribes", args=[occ]), {"user": org.member.pk})
    assert r.status_code == 200 and r.json()["scribes"] == [{"id": org.member.pk, "name": org.member.full_name}]
    assert 'id="save-state"' in client_for(org.member).get(reverse("minutes:page", args=[occ])).content.decode()
    r = post(client_for(org.secretary), reverse("minutes:scribes", args=[occ]), {"user": org.outsider.pk})
    assert r.status_code == 400 and "không có trong thành phần mời" in r.json()["message"]
    r = post(client_for(org.member), reverse("minutes:scribes", args=[occ]), {"user": org.member.pk, "action": "remove"})
    assert r.status_code == 403


def test_viewers_and_issued_minutes_get_the_read_only_layout(org, briefing, minutes):
    occ = briefing.occurrence.pk
    editor = client_for(org.secretary).get(reverse("minutes:page", args=[occ])).content.decode()
    assert 'id="save-state"' in editor and "<textarea data-section" in editor
    viewer = client_for(org.member).get(reverse("minutes:page", args=[occ])).content.decode()
    assert 'id="save-state"' not in viewer and "<textarea data-section" not in viewer and 'class="section-body"' in viewer
    sign_off_and_issue(org.secretary, minutes)
    issued = client_for(org.secretary).get(reverse("minutes:page", args=[occ])).content.decode()
    assert 'id="save-state"' not in issued and "<textarea data-section" not in issued


def test_non_numeric_owner_unit_is_a_clear_400_not_a_500(org, briefing, minutes):
    r = post(client_for(org.secretary), reverse("minutes:actions", args=[briefing.occurrence.pk]),
             {"what": "x", "owner_unit": "abc"})
    assert r.status_code == 400 and r.json()["message"] == "Không tìm thấy đơn vị được giao việc."
    r = post(client_for(org.secretary), reverse("minutes:actions", args=[briefing.occurrence.pk]),
             {"what": "x", "owner_user": "1; drop"})
    assert r.status_code == 400


def test_index_lists_the_minutes_a_user_may_open(org, briefing, confidential, minutes):
    secret = actions.ensure_minutes(confidential.meeting.occurrences.get())
    sign_off_and_issue(org.dept_leader, secret)
    url = reverse("minutes_index")
    mine = client_for(org.member).get(url).content.decode()
    assert briefing.meeting.title in mine
    assert client_for(org.member).get(url + "?tab=issued").content.decode().count("Họp mật") == 0
    assert "Họp mật" in client_for(confidential.invitee).get(url + "?tab=issued").content.decode()
    assert briefing.meeting.title not in client_for(org.outsider).get(url).content.decode()
    assert "Họp mật" not in client_for(org.leader).get(url + "?tab=issued").content.decode()
    assert briefing.meeting.title not in client_for(org.member).get(url + "?q=khongco").content.decode()


def test_index_query_count_is_constant(org, briefing, django_assert_num_queries):
    c = client_for(org.secretary)
    actions.ensure_minutes(briefing.occurrence)
    c.get(reverse("minutes_index"))
    with django_assert_num_queries(5 + session_queries()):
        c.get(reverse("minutes_index"))
    for i in range(10):
        actions.ensure_minutes(sitting(org, timezone.now() - timedelta(days=i + 1), people=[org.member]))
    with django_assert_num_queries(5 + session_queries()):
        assert c.get(reverse("minutes_index")).status_code == 200
    assert Minutes.objects.count() == 11


def test_index_links_the_units_action_items(org, client):
    client.force_login(org.member)
    html = client.get(reverse("minutes_index")).content.decode()
    # The unit's action items live on the archive's page (the old minutes route redirects there).
    assert f'href="{reverse("unit_actions")}?unit={org.hospital.pk}"' in html
