from __future__ import annotations

import re
from datetime import timedelta

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
        token = active_token(key)
        if token is None or not token.matches(secret):
            raise exceptions.AuthenticationFailed("Invalid or revoked API token.")
        now = timezone.now()
        # Avoid a write per request; a minute's precision is plenty for "last used".
        if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return self.keyword
