"""Forget cached API tokens (accounts.authentication) the moment a token or its user changes."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from accounts.models import ApiToken, User


def _forget(keys: list[str]) -> None:
    from accounts.authentication import _token_cache, token_cache_key

    cache = _token_cache()
    if cache is not None and keys:
        cache.delete_many([token_cache_key(k) for k in keys])


def _caching() -> bool:
    from accounts.authentication import _token_cache

    return _token_cache() is not None


@receiver([post_save, post_delete], sender=ApiToken)
def forget_token(sender: type, instance: ApiToken, **kwargs: Any) -> None:
    _forget([instance.key])


@receiver([post_save, post_delete], sender=User)
def forget_users_tokens(sender: type, instance: User, **kwargs: Any) -> None:
    if _caching():  # (a bulk .update() sends no signal: the entry's 60 s lifetime bounds that)
        _forget(list(ApiToken.objects.filter(user_id=instance.pk).values_list("key", flat=True)))
