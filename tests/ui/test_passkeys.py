"""Passkeys (allauth.mfa WebAuthn) in headless Chromium with a virtual authenticator (DevTools
protocol: a platform authenticator with resident keys and user verification).

WebAuthn needs a secure context: the browser talks to http://localhost, which is one (and the
relying party id is then "localhost", which python-fido2 accepts over plain HTTP)."""

from __future__ import annotations

import re

import pytest
from allauth.mfa.models import Authenticator
from playwright.sync_api import expect

from meetings.models import AuditEntry

PASSWORD = "pw-Quorum-2026"  # tests.factories.make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def passkey_page(browser, live_server):
    page = browser.new_page()
    cdp = browser.new_cdp_session(page)
    cdp.send("WebAuthn.enable", {"enableUI": False})
    added = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "internal", "hasResidentKey": True,
        "hasUserVerification": True, "isUserVerified": True, "automaticPresenceSimulation": True,
    }})
    page.base = live_server.url.replace("127.0.0.1", "localhost")
    page.cdp, page.authenticator_id = cdp, added["authenticatorId"]
    yield page
    cdp.send("WebAuthn.removeVirtualAuthenticator", {"authenticatorId": added["authenticatorId"]})
    cdp.detach()
    page.close()
    browser.clear_cookies()


def confirm_password(page) -> None:
    expect(page.get_by_role("heading", name="Xác nhận mật khẩu")).to_be_visible()
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Xác nhận").click()


def test_a_secretary_registers_a_passkey_as_mfa_and_then_signs_in_with_it(org, passkey_page, settings):
    settings.QUORUM_MFA_REQUIRED = True
    page, secretary = passkey_page, org.secretary
    # Password first: a secretary without MFA is sent to enrol, and may choose a passkey there.
    page.goto(page.base + "/accounts/login/")
    page.fill("#id_login", secretary.email)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Đăng nhập", exact=True).click()
    confirm_password(page)  # allauth asks again before any change to security settings
    expect(page).to_have_url(re.compile(r"/accounts/2fa/totp/activate/\?next="))
    page.click("#use-passkey")
    expect(page.get_by_role("heading", name="Thêm khóa truy cập")).to_be_visible()
    page.fill("#id_name", "Máy tính văn phòng")
    expect(page.locator("#id_passwordless")).to_be_checked()
    page.get_by_role("button", name="Tạo khóa truy cập").click()
    page.wait_for_url(re.compile(r"/accounts/2fa/(recovery-codes/)?$"))

    key = Authenticator.objects.get(user=secretary, type=Authenticator.Type.WEBAUTHN)
    assert key.wrap().name == "Máy tính văn phòng" and key.wrap().is_passwordless is True
    stored = page.cdp.send("WebAuthn.getCredentials", {"authenticatorId": page.authenticator_id})["credentials"]
    assert len(stored) == 1 and stored[0]["isResidentCredential"] and stored[0]["rpId"] == "localhost"
    assert AuditEntry.objects.filter(actor=secretary, action__startswith="mfa.").exists()
    # The passkey counts as MFA: the app opens now.
    page.goto(page.base + "/calendar/")
    expect(page).to_have_url(re.compile(r"/calendar/$"))

    # Signed out, then in with the passkey alone: no password, no code.
    page.context.clear_cookies()
    page.goto(page.base + "/accounts/login/")
    page.get_by_role("button", name="Đăng nhập bằng khóa truy cập (passkey)").click()
    page.wait_for_url(re.compile(r"/(calendar|me)/$"))
    expect(page.locator("body")).to_contain_text(secretary.full_name)
    page.goto(page.base + "/calendar/")
    expect(page).to_have_url(re.compile(r"/calendar/$"))  # not sent back to MFA enrolment
    assert Authenticator.objects.get(pk=key.pk).last_used_at is not None
    assert AuditEntry.objects.filter(actor=secretary, action="auth.login").count() == 2


def test_a_passkey_is_offered_as_the_second_step_after_the_password(org, passkey_page, settings):
    """A key registered as a second factor only (not passwordless): password, then the key."""
    settings.QUORUM_MFA_REQUIRED = True
    page, leader = passkey_page, org.leader
    page.goto(page.base + "/accounts/login/")
    page.fill("#id_login", leader.email)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Đăng nhập", exact=True).click()
    confirm_password(page)
    page.click("#use-passkey")
    page.uncheck("#id_passwordless")
    page.get_by_role("button", name="Tạo khóa truy cập").click()
    page.wait_for_url(re.compile(r"/accounts/2fa/(recovery-codes/)?$"))
    assert Authenticator.objects.filter(user=leader, type=Authenticator.Type.WEBAUTHN).exists()

    page.context.clear_cookies()
    page.goto(page.base + "/accounts/login/")
    page.fill("#id_login", leader.email)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Đăng nhập", exact=True).click()
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/"))
    page.get_by_role("button", name="Dùng khóa truy cập").click()
    page.wait_for_url(re.compile(r"/(calendar|me)/$"))
    expect(page.locator("body")).to_contain_text(leader.full_name)
