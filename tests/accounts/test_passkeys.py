"""Passkeys (allauth.mfa WebAuthn) count as the MFA privileged roles must have. The browser
ceremonies themselves are in tests/ui/test_passkeys.py (Chromium's virtual authenticator)."""

from __future__ import annotations

import pytest
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.adapter import get_adapter
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.test import Client

from accounts.security import has_mfa

pytestmark = pytest.mark.django_db


def add_passkey(user, name="Điện thoại"):
    return Authenticator.objects.create(user=user, type=Authenticator.Type.WEBAUTHN, data={
        "name": name, "credential": {"clientExtensionResults": {"credProps": {"rk": True}}}})


def test_passkeys_and_passkey_login_are_enabled():
    assert "webauthn" in mfa_settings.SUPPORTED_TYPES and mfa_settings.PASSKEY_LOGIN_ENABLED
    assert not mfa_settings.WEBAUTHN_ALLOW_INSECURE_ORIGIN  # http://localhost works without it


@pytest.mark.parametrize("role", ["secretary", "unit_admin", "leader", "dept_leader"])
def test_a_passkey_alone_counts_as_mfa_enrolment(org, mfa_required, role):
    user = getattr(org, role)
    client = Client()
    client.force_login(user)
    assert client.get("/me/")["Location"].startswith("/accounts/2fa/totp/activate/")
    add_passkey(user)
    assert has_mfa(user)
    assert client.get("/me/").status_code == 200


def test_recovery_codes_alone_do_not_count(org):
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

    RecoveryCodes.activate(org.secretary)
    assert not has_mfa(org.secretary)


def test_the_enrolment_page_offers_a_passkey_and_the_api_names_both_ways(org, mfa_required):
    client = Client()
    client.force_login(org.secretary)
    answer = client.get("/api/v1/meetings/", HTTP_ACCEPT="application/json")
    assert answer.status_code == 403 and "/accounts/2fa/webauthn/add/" in answer.json()["message"]


def test_a_privileged_user_keeps_at_least_one_authenticator_app_or_passkey(org, mfa_required):
    adapter = get_adapter()
    key = add_passkey(org.secretary)
    assert not adapter.can_delete_authenticator(key)  # the only one
    totp = TOTP.activate(org.secretary, "JBSWY3DPEHPK3PXP").instance
    assert adapter.can_delete_authenticator(key) and adapter.can_delete_authenticator(totp)
    key.delete()
    assert not adapter.can_delete_authenticator(totp)
    member_key = add_passkey(org.member)
    assert adapter.can_delete_authenticator(member_key)  # attendees opt in and out freely


def test_keys_get_vietnamese_default_names(org):
    adapter = get_adapter()
    assert adapter.generate_authenticator_name(org.member, Authenticator.Type.WEBAUTHN) == "Khóa truy cập 1"
    add_passkey(org.member)
    assert adapter.generate_authenticator_name(org.member, Authenticator.Type.WEBAUTHN) == "Khóa truy cập 2"


def test_the_login_page_offers_a_passkey_and_hands_out_a_challenge(client):
    page = client.get("/accounts/login/").content.decode()
    assert 'id="passkey_login"' in page and "Đăng nhập bằng khóa truy cập" in page
    assert "<script>" not in page  # only src= scripts and JSON data: the CSP stays strict
    options = client.get("/accounts/2fa/webauthn/login/", HTTP_ACCEPT="application/json").json()
    public_key = options["request_options"]["publicKey"]
    assert public_key["challenge"] and public_key["rpId"] == "testserver"


def test_the_passkey_pages_speak_vietnamese(org):
    client = Client()
    client.force_login(org.member)
    key = add_passkey(org.member, "Máy tính bảng")
    listing = client.get("/accounts/2fa/webauthn/").content.decode()
    assert "Máy tính bảng" in listing and "đăng nhập không mật khẩu" in listing and "Thêm khóa truy cập" in listing
    assert client.get(f"/accounts/2fa/webauthn/keys/{key.pk}/edit/")["Location"].startswith("/accounts/reauthenticate/")
    client.post("/accounts/reauthenticate/", {"password": "pw-Quorum-2026"})
    edit = client.get(f"/accounts/2fa/webauthn/keys/{key.pk}/edit/").content.decode()
    assert "Đổi tên khóa truy cập" in edit
    index = client.get("/accounts/2fa/").content.decode()
    assert "Khóa truy cập (passkey)" in index and "Số khóa truy cập đã thêm: 1." in index


def test_someone_elses_key_cannot_be_renamed_or_removed(org):
    key = add_passkey(org.secretary)
    client = Client()
    client.force_login(org.member)
    client.post("/accounts/reauthenticate/", {"password": "pw-Quorum-2026"})
    assert client.get(f"/accounts/2fa/webauthn/keys/{key.pk}/edit/").status_code == 404
    assert client.post(f"/accounts/2fa/webauthn/keys/{key.pk}/remove/").status_code == 404
    assert client.post(f"/accounts/2fa/webauthn/keys/{key.pk}/edit/", {"name": "x"}).status_code == 404
    assert Authenticator.objects.get(pk=key.pk).wrap().name == "Điện thoại"
