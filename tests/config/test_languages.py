"""Vietnamese by default everywhere (allauth, DRF), English per user and on request for the API."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_password_reset_pages_and_mail_are_vietnamese(org):
    client = Client()
    page = client.get(reverse("account_reset_password")).content.decode()
    assert "Quên mật khẩu?" in page and "Password Reset" not in page and "<main" in page
    response = client.post(reverse("account_reset_password"), {"email": org.member.email})
    assert response.status_code == 302
    done = client.get(response["Location"]).content.decode()
    assert "Quorum đã gửi thư cho đồng chí" in done
    message = mail.outbox[-1]
    assert "Đặt lại mật khẩu" in message.subject
    assert "Đồng chí nhận thư này vì có yêu cầu đặt lại mật khẩu" in message.body
    assert "Hello from" not in message.body and "Password Reset" not in message.subject


def test_signup_is_closed_in_vietnamese(db):
    html = Client().get(reverse("account_signup")).content.decode()
    assert "Không tự đăng ký được" in html and "Sign Up Closed" not in html


def test_api_messages_are_vietnamese_by_default_and_english_on_request(org, client):
    client.force_login(org.secretary)
    vi = client.post("/api/v1/meetings/", {}, content_type="application/json").json()
    assert "Trường này là bắt buộc." in str(vi)
    en = client.post("/api/v1/meetings/", {}, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").json()
    assert "This field is required." in str(en) and "Trường này" not in str(en)
    ours = client.get("/api/v1/calendar/?from=2026-12-01T00:00:00%2B07:00", HTTP_ACCEPT_LANGUAGE="en").json()
    assert "Give both" in ours["message"] or "from" in ours["message"]


def test_pages_ignore_the_browser_but_follow_the_profile(org):
    client = Client()
    client.force_login(org.member)
    assert "Cuộc họp của tôi" in client.get(reverse("my_meetings"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    client.post(reverse("set-language"), {"language": "en", "next": "/profile/"})
    org.member.refresh_from_db()
    assert org.member.language == "en"
    html = client.get(reverse("my_meetings")).content.decode()
    assert '<html lang="en">' in html and "My meetings" in html and "Cuộc họp của tôi" not in html


def test_bad_language_choice_changes_nothing(org):
    client = Client()
    client.force_login(org.member)
    client.post(reverse("set-language"), {"language": "fr", "next": "https://evil.example/"})
    org.member.refresh_from_db()
    assert org.member.language == "vi"
