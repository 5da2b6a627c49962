"""The personal feed address shown on "My meetings", and its reset.

Feed tokens are stored only as a SHA-256 (a leaked database gives no working address). So
that the page can show the address again on every visit, a personal token is *derived*:
an HMAC of the row's id and creation time under SECRET_KEY. The database alone still
reveals nothing; resetting revokes every earlier personal address of the user.
A personal feed created elsewhere (the API shows a random token once) is recognised as
not derivable, and the page offers a reset instead of a wrong address.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from integrations.calendar import feeds
from integrations.calendar.models import FeedToken, hash_token
from meetings.rawsql import rows_by

SALT = "integrations.calendar.personal-feed"


@dataclass(frozen=True)
class Address:
    row: FeedToken
    url: str | None  # None when the token was not derived here (created through the API)
    webcal: str | None


def _derive(row: FeedToken) -> str:
    digest = salted_hmac(SALT, f"{row.pk}:{row.owner_id}:{row.created_at.isoformat()}", algorithm="sha256").digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def current(user: Any) -> Address | None:
    """The user's newest active personal feed (one query), with its address when derivable."""
    # Hand-written (rawsql.rows_by): the page is read on every visit and compiling the ORM
    # query cost more than the lookup. Usually one row; the newest wins.
    rows = rows_by(FeedToken, "owner_id", [user.pk], where=f"a.kind = '{FeedToken.Kind.PERSONAL.value}' AND a.revoked_at IS NULL")
    if not rows:
        return None
    row = max(rows, key=lambda r: (r.created_at, r.pk))
    token = _derive(row)
    if hash_token(token) != row.token_hash:
        return Address(row, None, None)
    found = feeds.urls(token)
    return Address(row, found["url"], found["webcal"])


def reset(user: Any) -> Address:
    """Revoke every personal address of the user and make a new one (atomic)."""
    with transaction.atomic():
        FeedToken.objects.filter(owner=user, kind=FeedToken.Kind.PERSONAL, revoked_at__isnull=True).update(revoked_at=timezone.now())
        # The hash is a placeholder until the row has the id the token is derived from.
        row = FeedToken.objects.create(owner=user, kind=FeedToken.Kind.PERSONAL, token_hash=hash_token(secrets.token_urlsafe(32)))
        token = _derive(row)
        row.token_hash = hash_token(token)
        row.save(update_fields=["token_hash"])
    found = feeds.urls(token)
    return Address(row, found["url"], found["webcal"])
