from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import Model
from django.utils import timezone
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from accounts.models import TOKEN_PREFIX, ApiToken, User

TOKEN_RE = re.compile(rf"^{TOKEN_PREFIX}_([0-9a-f]{{16}})_([A-Za-z0-9_\-]{{20,100}})$")


class _Rows:
    """Columns of a model for a hand-written SELECT, and rows back into instances with the
    backend's converters applied (what the ORM's iterator does)."""

    def __init__(self, model: type[Model], alias: str) -> None:
        self.model = model
        self.size = len(model._meta.concrete_fields)
        self.sql = ", ".join(f"{alias}.{connection.ops.quote_name(f.column)}" for f in model._meta.concrete_fields)
        self.converters = []
        for i, f in enumerate(model._meta.concrete_fields):
            col = f.get_col(alias)
            found = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
            if found:
                self.converters.append((i, col, found))

    def make(self, values: list[Any], conn: Any) -> Model:
        for i, col, found in self.converters:
            for convert in found:
                values[i] = convert(values[i], col, conn)
        return self.model.from_db(conn.alias, None, values)


_lookup_sql: dict[str, tuple[str, _Rows, _Rows]] = {}


def active_token(key: str) -> ApiToken | None:
    """The unrevoked token with this key of an active user, with the user loaded.

    Runs on every API request, so it is one hand-written query: through the ORM, building
    the query cost more than the database's work (ApiToken.objects.active() semantics).
    """
    if connection.vendor not in _lookup_sql:
        tokens, users = _Rows(ApiToken, "t"), _Rows(User, "u")
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
