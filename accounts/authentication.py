from __future__ import annotations

import re
from datetime import timedelta

from django.utils import timezone
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from accounts.models import TOKEN_PREFIX, ApiToken, User

TOKEN_RE = re.compile(rf"^{TOKEN_PREFIX}_([0-9a-f]{{16}})_([A-Za-z0-9_\-]{{20,100}})$")


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
        token = ApiToken.objects.active().select_related("user").filter(key=key).first()
        if token is None or not token.matches(secret):
            raise exceptions.AuthenticationFailed("Invalid or revoked API token.")
        now = timezone.now()
        # Avoid a write per request; a minute's precision is plenty for "last used".
        if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return self.keyword
