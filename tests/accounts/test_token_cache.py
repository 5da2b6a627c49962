"""In production mode (Redis) a token's lookup is remembered briefly, and forgotten the
moment the token is revoked or its user is deactivated: revocation stays instant."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts.models import ApiToken

pytestmark = pytest.mark.redis


@pytest.fixture
def token(org):
    if not settings.REDIS_URL:
        pytest.skip("the token cache is on in production mode (REDIS_URL) only")
    row, raw = ApiToken.issue(org.secretary, "cache")
    yield row, raw
    row.delete()  # leaves nothing in the shared cache


def _get(raw):
    return APIClient().get("/api/v1/units/", HTTP_AUTHORIZATION=f"Bearer {raw}")


def _token_queries(ctx) -> int:
    return sum("accounts_apitoken" in q["sql"] for q in ctx.captured_queries)


def test_a_known_token_is_not_looked_up_again(token):
    _row, raw = token
    assert _get(raw).status_code == 200
    with CaptureQueriesContext(connection) as ctx:
        assert _get(raw).status_code == 200
    assert _token_queries(ctx) == 0
    from django.core.cache import cache

    from accounts.authentication import token_cache_key

    assert org_password_hash(_row) not in repr(cache.get(token_cache_key(_row.key)))  # never cached


def org_password_hash(row) -> str:
    return row.user.password


def test_revoking_is_instant_despite_the_cache(token):
    row, raw = token
    assert _get(raw).status_code == 200
    row.revoke()
    r = _get(raw)
    assert r.status_code == 401 and "revoked" in r.json()["message"]


def test_deactivating_the_user_is_instant_despite_the_cache(token, org):
    _row, raw = token
    assert _get(raw).status_code == 200
    org.secretary.is_active = False
    org.secretary.save()
    assert _get(raw).status_code == 401
