from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.utils import timezone
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from accounts.models import TOKEN_PREFIX, ApiToken, User
from meetings.rawsql import ModelColumns

TOKEN_RE = re.compile(rf"^{TOKEN_PREFIX}_([0-9a-f]{{16}})_([A-Za-z0-9_\-]{{20,100}})$")


_lookup_sql: dict[str, tuple[str, ModelColumns, ModelColumns]] = {}


def active_token(key: str) -> ApiToken | None:
    """The unrevoked token with this key of an active user, with the user loaded.

    Runs on every API request, so it is one hand-written query: through the ORM, building
    the query cost more than the database's work (ApiToken.objects.active() semantics).
    """
    if connection.vendor not in _lookup_sql:
        tokens, users = ModelColumns(ApiToken, "t"), ModelColumns(User, "u")
        sql = (
            f"SELECT {tokens.sql}, {users.sql} FROM {ApiToken._meta.db_table} t "  # noqa: S608 - table names from models
            f"JOIN {User._meta.db_table} u ON u.id = t.user_id "
            "WHERE t.key = %s AND t.revoked_at IS NULL AND u.is_active"
        )
        _lookup_sql[connection.vendor] = (sql, tokens, users)
    sql, tokens, users = _lookup_sql[connection.vendor]
    with connection.cursor() as cursor:
        cursor.execute(sql, [key])
        row = cursor.fetchone()
    if row is None:
        return None
    conn = connections[DEFAULT_DB_ALIAS]
    token = tokens.make(list(row[: tokens.size]), conn)
    token.user = users.make(list(row[tokens.size:]), conn)
    return token


# Token → user, remembered briefly in the shared cache (Redis, production mode only): it
# spares a database round trip on every API request. Revocation stays instant: saving or
# deleting a token, or saving or deleting its user (deactivation, roles...), deletes the
# entry (accounts.signals), in every process at once since the cache is shared.
TOKEN_CACHE_SECONDS = 60


def token_cache_key(key: str) -> str:
    return f"apitoken:{key}"


def _token_cache() -> Any:
    from django.conf import settings
    from django.core.cache import cache

    # The embedded default's cache is a database table: no round trip to save there.
    return cache if settings.REDIS_URL else None


def _cached_form(token: ApiToken) -> tuple[list[Any], list[str], list[Any]]:
    """What is cached: the token's values and the user's, except the password hash, which
    stays out of the cache (the rebuilt user defers it: loaded only if something reads it)."""
    user = token.user
    names = [f.attname for f in User._meta.concrete_fields if f.attname != "password"]
    return ([getattr(token, f.attname) for f in ApiToken._meta.concrete_fields], names,
            [getattr(user, n) for n in names])


def _from_cached(form: tuple[list[Any], list[str], list[Any]]) -> ApiToken:
    token_values, names, user_values = form
    token = ApiToken.from_db(DEFAULT_DB_ALIAS, None, list(token_values))
    token.user = User.from_db(DEFAULT_DB_ALIAS, names, list(user_values))
    return token


def cached_active_token(key: str) -> ApiToken | None:
    cache = _token_cache()
    if cache is None:
        return active_token(key)
    form = cache.get(token_cache_key(key))
    if form is not None:
        return _from_cached(form)
    token = active_token(key)
    if token is not None:
        cache.set(token_cache_key(key), _cached_form(token), TOKEN_CACHE_SECONDS)
    return token


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer qrm_<key>_<secret>` with a personal API token."""

    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[User, ApiToken] | None:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header:
            return None
        parts = header.split()
        if not parts or parts[0].lower() != self.keyword.lower():
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(
                "Malformed Authorization header: expected 'Bearer <token>'."
            )
        match = TOKEN_RE.match(parts[1])
        if not match:
            raise exceptions.AuthenticationFailed(
                f"Malformed API token: expected '{TOKEN_PREFIX}_<key>_<secret>' as issued by Quorum."
            )
        key, secret = match.groups()
        token = cached_active_token(key)
        if token is None or not token.matches(secret):
            raise exceptions.AuthenticationFailed("Invalid or revoked API token.")
        now = timezone.now()
        # Avoid a write per request; a minute's precision is plenty for "last used".
        if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
            token.last_used_at = now
            if (cache := _token_cache()) is not None:
                cache.set(token_cache_key(key), _cached_form(token), TOKEN_CACHE_SECONDS)
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return self.keyword
