import re

from accounts.models import ApiToken
from tests.factories import make_user


def test_profile_issues_a_token_shown_once_and_it_authenticates(client, db):
    user = make_user("a@example.vn")
    client.force_login(user)
    r = client.post("/profile/", {"name": "laptop"})
    assert r.status_code == 200
    token = re.search(r'id="new-token">([^<]+)<', r.content.decode()).group(1)
    stored = ApiToken.objects.get(user=user)
    assert token not in (stored.secret_hash, stored.key)  # only a hash is stored
    assert client.get("/profile/").content.decode().count(token) == 0  # shown once
    from rest_framework.test import APIClient

    api = APIClient()
    assert api.get("/api/v1/units/", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200


def test_revoked_token_no_longer_authenticates(client, db):
    user = make_user("b@example.vn")
    token, plaintext = ApiToken.issue(user, "x")
    client.force_login(user)
    assert client.post(f"/profile/tokens/{token.pk}/revoke/").status_code == 302
    from rest_framework.test import APIClient

    r = APIClient().get("/api/v1/units/", HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    assert r.status_code == 401
    assert "revoked" in r.json()["message"]


def test_another_users_token_cannot_be_revoked(client, db):
    owner, other = make_user("c@example.vn"), make_user("d@example.vn")
    token, _ = ApiToken.issue(owner)
    client.force_login(other)
    assert client.post(f"/profile/tokens/{token.pk}/revoke/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_blank_authorization_header_is_ignored_not_a_crash(db):
    from rest_framework.test import APIClient

    r = APIClient().get("/api/v1/units/", HTTP_AUTHORIZATION="   ")
    assert r.status_code in (401, 403)
    assert r.json()["error"] in ("unauthenticated", "forbidden")
