"""Error pages in the site's layout and language; the admin's titles and greeting."""

from __future__ import annotations

import pytest
from django.template.loader import get_template
from django.test import Client
from django.urls import reverse

from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_unknown_address_is_a_vietnamese_404_in_the_layout(client):
    response = client.get("/khong-co/")
    html = response.content.decode()
    assert response.status_code == 404
    assert '<html lang="vi">' in html and 'name="viewport"' in html and '<main id="main"' in html
    assert html.count("<h1") == 1 and "Không tìm thấy trang" in html and "Not Found" not in html


def test_refused_minutes_keep_their_own_404_sentence(org, client):
    client.force_login(org.outsider)
    html = client.get("/minutes/999999/").content.decode()
    assert "Không có buổi họp này." in html


def test_403_says_why_in_vietnamese(org, client):
    client.force_login(make_user("khongdonvi@quorum.test"))  # belongs to no unit
    response = client.get("/actions/units/", HTTP_ACCEPT="text/html,application/xhtml+xml")
    html = response.content.decode()
    assert response.status_code == 403 and "<h1>Không có quyền truy cập</h1>" in html
    assert "Bạn chưa thuộc đơn vị nào" in html and "\\u" not in html


def test_500_page_renders_without_a_request():
    html = get_template("500.html").render()
    assert "Lỗi hệ thống" in html and "<h1>" in html and 'lang="vi"' in html


def test_400_and_csrf_pages_are_vietnamese(org):
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("account_login"), {"login": "x", "password": "y"})
    assert response.status_code == 403 and "Phiên làm việc đã hết hạn" in response.content.decode()
    assert "Yêu cầu không hợp lệ" in get_template("400.html").render()


def test_admin_title_and_greeting_use_the_full_name(db):
    admin = make_user("admin@quorum.test", full_name="Quản trị hệ thống", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(admin)
    html = client.get("/admin/").content.decode()
    assert "Quản trị Quorum" in html and "Trang quản trị cho Django" not in html
    assert "<strong>Quản trị hệ thống</strong>" in html
