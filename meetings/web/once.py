"""Submit once: a composer form carries a random token; the first request that presents it
claims it in the shared cache (an atomic add), later ones (a double click, a reload of
the POST) wait for the first one's result and show the same meeting."""

from __future__ import annotations

import secrets
import time

from django.core.cache import cache

PENDING = "pending"
TTL = 6 * 3600
WAIT_SECONDS = 15.0


def new_token() -> str:
    return secrets.token_urlsafe(18)


def _key(user_id: int, token: str) -> str:
    return f"quorum:submit:{user_id}:{token[:64]}"


def claim(user_id: int, token: str) -> bool:
    """True if this request is the first to present `token`."""
    return bool(token) and cache.add(_key(user_id, token), PENDING, TTL)


def done(user_id: int, token: str, result: str) -> None:
    cache.set(_key(user_id, token), result, TTL)


def release(user_id: int, token: str) -> None:
    """The first request failed (invalid, conflict): the form may be sent again as it is."""
    cache.delete(_key(user_id, token))


def result_of(user_id: int, token: str) -> str | None:
    """The first request's result (a meeting uid); waits while it is still running. None if
    it failed or is still running after WAIT_SECONDS."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        value = cache.get(_key(user_id, token))
        if value != PENDING:
            return value
        if time.monotonic() > deadline:
            return None
        time.sleep(0.1)  # polling the first request's outcome, not timing a test
