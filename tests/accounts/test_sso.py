"""Optional single sign-on (OpenID Connect), configured from the environment only: an SSO
login reaches an EXISTING account through its verified e-mail and never creates one."""

from __future__ import annotations

import os
import subprocess
import sys
from urllib.parse import parse_qs, urlparse

import pytest
from django.conf import settings as django_settings
from django.test import Client

from accounts.models import User
from tests.accounts.fake_oidc import FakeOIDC


@pytest.fixture
def idp(settings):
    with FakeOIDC() as fake:
        settings.SOCIALACCOUNT_PROVIDERS = {"openid_connect": {"OAUTH_PKCE_ENABLED": True, "APPS": [{
            "provider_id": "sso", "name": "SSO Sở Y tế", "client_id": "quorum", "secret": "s3cret",
            "settings": {"server_url": f"{fake.url}/realms/health", "email_authentication": True},
        }]}}
        yield fake


def _sso_login(client: Client, idp: FakeOIDC, claims: dict) -> object:
    start = client.post("/accounts/oidc/sso/login/")
    assert start.status_code == 302 and start["Location"].startswith(f"{idp.url}/auth")
    query = parse_qs(urlparse(start["Location"]).query)
    assert query["client_id"] == ["quorum"] and "code_challenge" in query  # PKCE
    code = idp.issue_code(claims)
    return client.get("/accounts/oidc/sso/login/callback/", {"code": code, "state": query["state"][0]})


def test_sso_logs_an_existing_user_in_by_verified_email(org, idp):
    client = Client()
    assert "Đăng nhập bằng SSO Sở Y tế" in client.get("/accounts/login/").content.decode()
    done = _sso_login(client, idp, {"sub": "kc-1", "email": org.member.email.upper(), "email_verified": True})
    assert done.status_code == 302
    assert client.session.get("_auth_user_id") == str(org.member.pk)
    assert idp.token_requests and "code_verifier" in idp.token_requests[0]


def test_sso_never_creates_an_account(org, idp):
    client = Client()
    before = User.objects.count()
    response = _sso_login(client, idp, {"sub": "kc-2", "email": "nguoi-la@soyte.vn", "email_verified": True})
    if response.status_code == 302:
        response = client.get(response["Location"])
    assert "_auth_user_id" not in client.session
    assert User.objects.count() == before


def test_sso_ignores_an_unverified_email(org, idp):
    client = Client()
    _sso_login(client, idp, {"sub": "kc-3", "email": org.leader.email, "email_verified": False})
    assert client.session.get("_auth_user_id") != str(org.leader.pk)


def test_sso_is_configured_from_the_environment_only(tmp_path):
    code = ("from django.conf import settings; import json; "
            "print(json.dumps(settings.SOCIALACCOUNT_PROVIDERS['openid_connect']['APPS']))")
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("OIDC_")}, "QUORUM_TESTING": "true"}
    off = subprocess.run([sys.executable, "-c", f"import django; django.setup(); {code}"], env={
        **env, "DJANGO_SETTINGS_MODULE": "config.settings"}, cwd=django_settings.BASE_DIR,
        capture_output=True, text=True, timeout=60)
    assert off.stdout.strip() == "[]", off.stderr
    on = subprocess.run([sys.executable, "-c", f"import django; django.setup(); {code}"], env={
        **env, "DJANGO_SETTINGS_MODULE": "config.settings", "OIDC_SERVER_URL": "https://sso.example.vn/realms/health",
        "OIDC_CLIENT_ID": "quorum", "OIDC_CLIENT_SECRET": "x"}, cwd=django_settings.BASE_DIR,
        capture_output=True, text=True, timeout=60)
    assert '"server_url": "https://sso.example.vn/realms/health"' in on.stdout, on.stderr
