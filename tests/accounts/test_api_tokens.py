"""Personal API tokens: issued once by a command, stored hashed, revocable; malformed or
unknown tokens get 401 with a message."""

from __future__ import annotations

import hashlib
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from accounts.models import ApiToken


def _issue(email):
    out, err = StringIO(), StringIO()
    call_command("issue_api_token", email, "--name", "tích hợp", stdout=out, stderr=err)
    return out.getvalue().strip(), err.getvalue()


def _get(token):
    client = APIClient()
    return client.get("/api/v1/meetings/", HTTP_AUTHORIZATION=f"Bearer {token}")


def test_command_prints_the_token_once_and_stores_only_a_hash(org):
    token, note = _issue("THUKY@bvdk.vn")
    assert token.startswith("qrm_") and "once" in note
    row = ApiToken.objects.get(user=org.secretary)
    secret = token.split("_", 2)[2]
    assert row.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(ApiToken.objects.filter(pk=row.pk).values().get())
    r = _get(token)
    assert r.status_code == 200, r.content
    row.refresh_from_db()
    assert row.last_used_at is not None


def test_revoked_token_is_rejected(org):
    token, _ = _issue("thuky@bvdk.vn")
    ApiToken.objects.get(user=org.secretary).revoke()
    r = _get(token)
    assert r.status_code == 401 and "revoked" in r.json()["message"]


def test_unknown_user_and_inactive_user_get_no_token(org):
    with pytest.raises(CommandError):
        _issue("khongco@bvdk.vn")
    org.member.is_active = False
    org.member.save()
    with pytest.raises(CommandError):
        _issue("thanhvien@bvdk.vn")
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize("header", ["Bearer garbage", "Bearer qrm_0123456789abcdef_wrongsecretwrongsecretwrong", "Bearer a b"])
def test_malformed_or_wrong_token_is_401_with_a_message(org, header):
    r = APIClient().get("/api/v1/meetings/", HTTP_AUTHORIZATION=header)
    assert r.status_code == 401, r.content
    body = r.json()
    assert body["error"] == "unauthenticated" and body["message"]
    assert r["WWW-Authenticate"] == "Bearer"
