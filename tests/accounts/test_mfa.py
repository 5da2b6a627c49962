"""MFA is required for everyone who decides or administers (issue 12, D4); rate limits on
every way in; shorter sessions for privileged roles; users see and end their own sessions."""

from __future__ import annotations

import time

import pytest
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY, TOTP, format_hotp_value, hotp_value
from django.conf import settings
from django.test import Client

from accounts import demo
from accounts.models import ApiToken
from meetings.models import AuditEntry
from tests.factories import make_user

PASSWORD = "pw-Quorum-2026"
PRIVILEGED = ["secretary", "unit_admin", "leader", "dept_leader", "superuser"]


def code_for(secret: str, offset: int = 0) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // mfa_settings.TOTP_PERIOD + offset))


def home(client: Client):
    """The home page as a browser sees it: "/" now sends secretaries to /calendar/ and everyone
    else to /me/ (issue 15/16), so follow that one redirect and say where it landed."""
    response = client.get("/", follow=True)
    return response.status_code, response.request["PATH_INFO"]


def _user(org, role):
    if role == "superuser":
        return make_user("root@quorum.test", is_staff=True, is_superuser=True)
    return getattr(org, role)


@pytest.mark.parametrize("role", PRIVILEGED)
def test_privileged_roles_are_sent_to_enrolment_until_enrolled(org, client, mfa_required, role):
    user = _user(org, role)
    client.force_login(user)
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/2fa/totp/activate/?next=")
    TOTP.activate(user, "JBSWY3DPEHPK3PXP")
    assert home(client) in {(200, "/calendar/"), (200, "/me/")}


def test_a_member_may_use_the_app_without_mfa_and_opt_in(org, client, mfa_required):
    client.post("/accounts/login/", {"login": org.member.email, "password": PASSWORD})
    assert home(client) == (200, "/me/")
    # Changing security settings asks for the password again first (allauth reauthentication).
    again = client.get("/accounts/2fa/totp/activate/")
    assert again["Location"].startswith("/accounts/reauthenticate/")
    assert "Xác nhận mật khẩu" in client.get(again["Location"]).content.decode()
    client.post("/accounts/reauthenticate/", {"password": PASSWORD})
    page = client.get("/accounts/2fa/totp/activate/")
    assert page.status_code == 200 and "Bật xác thực hai lớp" in page.content.decode()


def test_api_with_the_session_refuses_until_enrolled_but_tokens_work(org, client, mfa_required):
    client.force_login(org.secretary)
    response = client.get("/api/v1/units/")
    assert response.status_code == 403 and response.json()["error"] == "mfa_required"
    _token, plaintext = ApiToken.issue(org.secretary)
    assert Client().get("/api/v1/units/", HTTP_AUTHORIZATION=f"Bearer {plaintext}").status_code == 200


def test_enrolment_with_a_code_from_the_app_turns_mfa_on_and_is_audited(
        org, client, mfa_required, django_capture_on_commit_callbacks):
    login = client.post("/accounts/login/", {"login": org.secretary.email, "password": PASSWORD})
    assert login.status_code == 302 and client.get("/")["Location"].startswith("/accounts/2fa/totp/activate/")
    client.post("/accounts/reauthenticate/", {"password": PASSWORD})
    page = client.get("/accounts/2fa/totp/activate/?next=/")
    body = page.content.decode()
    assert page.status_code == 200 and "<h1>Bật xác thực hai lớp</h1>" in body and "bắt buộc" in body
    secret = client.session[SECRET_SESSION_KEY]
    assert client.post("/accounts/2fa/totp/activate/", {"code": "000000"}).status_code == 200  # wrong: form again
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/2fa/totp/activate/", {"code": code_for(secret)})
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=org.secretary, type="totp").exists()
    assert Authenticator.objects.filter(user=org.secretary, type="recovery_codes").exists()
    assert home(client) == (200, "/calendar/")
    assert AuditEntry.objects.filter(action="mfa.added", object_id=str(org.secretary.pk)).exists()
    codes = client.get("/accounts/2fa/recovery-codes/")
    assert codes.status_code == 200 and "Mã khôi phục" in codes.content.decode()


def test_a_privileged_user_cannot_switch_mfa_off(org, client, mfa_required):
    TOTP.activate(org.leader, "JBSWY3DPEHPK3PXP")
    client.force_login(org.leader)
    client.post("/accounts/2fa/totp/deactivate/")
    assert Authenticator.objects.filter(user=org.leader, type="totp").exists()


def test_login_asks_for_the_code_and_limits_wrong_codes(org, mfa_required):
    secret = "JBSWY3DPEHPK3PXP"
    TOTP.activate(org.leader, secret)
    client = Client()
    response = client.post("/accounts/login/", {"login": org.leader.email, "password": PASSWORD})
    assert response.status_code == 302 and response["Location"].startswith("/accounts/2fa/authenticate/")
    assert "_auth_user_id" not in client.session
    page = client.get("/accounts/2fa/authenticate/")
    assert "Xác thực hai lớp" in page.content.decode()
    for _ in range(5):
        client.post("/accounts/2fa/authenticate/", {"code": "123456"})
    locked = client.post("/accounts/2fa/authenticate/", {"code": code_for(secret)})
    assert "_auth_user_id" not in client.session
    assert "quá nhiều lần" in locked.content.decode()
    assert AuditEntry.objects.filter(action="mfa.failed", object_id=str(org.leader.pk)).count() >= 5
    assert AuditEntry.objects.filter(action="auth.lockout").exists()


def test_login_with_the_code_succeeds_and_privileged_sessions_are_short(org, mfa_required):
    secret = "JBSWY3DPEHPK3PXP"
    TOTP.activate(org.leader, secret)
    client = Client()
    client.post("/accounts/login/", {"login": org.leader.email, "password": PASSWORD})
    response = client.post("/accounts/2fa/authenticate/", {"code": code_for(secret)})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(org.leader.pk)
    assert home(client) == (200, "/me/")
    assert client.session.get_expiry_age() == settings.QUORUM_PRIVILEGED_SESSION_AGE
    member = Client()
    member.post("/accounts/login/", {"login": org.member.email, "password": PASSWORD})
    member.get("/")
    assert member.session.get_expiry_age() == settings.SESSION_COOKIE_AGE > settings.QUORUM_PRIVILEGED_SESSION_AGE


def test_password_reset_is_rate_limited_per_address(org, client):
    codes = [client.post("/accounts/password/reset/", {"email": org.member.email}).status_code for _ in range(4)]
    assert codes[:3] == [302, 302, 302] and codes[3] == 429


def test_users_list_their_sessions_and_end_the_others(org):
    here, there = Client(), Client()
    for c in (here, there):
        c.post("/accounts/login/", {"login": org.member.email, "password": PASSWORD})
    page = here.get("/accounts/sessions/")
    body = page.content.decode()
    assert page.status_code == 200 and "<h1>Các phiên đăng nhập</h1>" in body and "Phiên này" in body
    assert "2 phiên" in body
    here.post("/accounts/sessions/")
    assert there.get("/profile/").status_code == 302  # logged out
    assert here.get("/profile/").status_code == 200


def test_demo_privileged_users_are_enrolled_with_the_printed_secret(org, settings):
    settings.QUORUM_MFA_REQUIRED = True
    make_user("thuky.demo@quorum.test", org.hospital, "secretary")
    make_user("chuyenvien.demo@quorum.test", org.hospital, "member")
    assert demo.enrol_privileged("quorum.test") == 1
    totp = Authenticator.objects.get(user__email="thuky.demo@quorum.test", type="totp")
    assert TOTP(totp).validate_code(demo.current_code())
    assert not Authenticator.objects.filter(user__email="chuyenvien.demo@quorum.test").exists()
