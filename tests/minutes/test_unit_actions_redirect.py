"""/minutes/units/<id>/actions/ is an old address: it moved for good to the action-items page."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_the_old_unit_actions_address_redirects_permanently_keeping_the_query(org):
    c = Client()
    c.force_login(org.member)
    r = c.get(f"/minutes/units/{org.hospital.pk}/actions/?status=done&owner=7&unit=999")
    assert r.status_code == 301
    assert r["Location"] == f"/actions/units/?status=done&owner=7&unit={org.hospital.pk}"


def test_the_redirect_decides_nothing_the_action_items_page_does(org):
    c = Client()
    c.force_login(org.member)
    refused = c.get(f"/minutes/units/{org.cdc.pk}/actions/", follow=True)
    assert refused.redirect_chain == [(f"/actions/units/?unit={org.cdc.pk}", 301)]
    assert refused.status_code == 404  # not the member's unit: the page refuses
    anonymous = Client().get(f"/minutes/units/{org.hospital.pk}/actions/", follow=True)
    assert anonymous.redirect_chain[0] == (f"/actions/units/?unit={org.hospital.pk}", 301)
    assert "/accounts/login/" in anonymous.redirect_chain[-1][0]


def test_the_minutes_index_links_to_the_action_items_page(org):
    c = Client()
    c.force_login(org.member)
    html = c.get("/minutes/").content.decode()
    assert "/minutes/units/" not in html
