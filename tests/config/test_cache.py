"""The Redis cache shares one client and pool per server in the process (config/cache.py) and behaves
as Django's: values round-trip, expire and are deleted, from several threads at once."""

from __future__ import annotations

import os
import threading
import uuid

import pytest

from tests.asyncrun import run_in_own_loop

pytestmark = pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="the Redis cache needs REDIS_URL")


def _cache():
    from config.cache import QuorumRedisCache

    return QuorumRedisCache(os.environ["REDIS_URL"], {"KEY_PREFIX": f"test-cache-{uuid.uuid4().hex}"})


def test_one_client_per_pool_is_reused_across_calls():
    cache = _cache()
    first = cache._cache.get_client(write=True)
    assert cache._cache.get_client(write=True) is first
    assert cache._cache.get_client() is first  # one server: reads use the same pool


def test_values_round_trip_and_are_deleted_from_many_threads():
    cache = _cache()
    errors: list[str] = []

    def work(n: int) -> None:
        for i in range(50):
            key = f"k{n}-{i}"
            cache.set(key, {"n": n, "i": i}, 30)
            if cache.get(key) != {"n": n, "i": i}:
                errors.append(key)
            cache.delete(key)
            if cache.get(key) is not None:
                errors.append(f"{key} still there")

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert cache.get_many(["k0-0", "k1-1"]) == {}


def _connections_received(cache) -> int:
    return cache._cache.get_client().info("stats")["total_connections_received"]


def test_requests_share_one_pool_so_redis_sees_no_new_connection_per_request():
    """Under ASGI every request gets a new cache object from django.core.cache.caches (they
    are per context); each used to bring its own pools, so each request opened a new TCP
    connection to Redis. The pools are now the process's."""
    warm = _cache()
    warm.get("warm-up")
    before = _connections_received(warm)
    for _ in range(20):  # twenty "requests", each with its own cache object, as Django makes them
        cache = _cache()
        assert cache.get("absent") is None
        assert cache._cache is warm._cache  # built once: Django's reads package metadata each time
        assert cache._cache.get_client() is warm._cache.get_client()
    assert _connections_received(warm) - before <= 1  # another client of the server may connect meanwhile


def test_two_asgi_request_contexts_use_the_same_redis_client():
    """Through django.core.cache.caches, as the token lookup does, from two request contexts."""
    import asyncio

    from django.core.cache import caches

    async def one_request() -> object:
        from asgiref.sync import sync_to_async

        return await sync_to_async(lambda: caches["default"]._cache.get_client())()

    async def two() -> list[object]:
        return [await asyncio.create_task(one_request()), await asyncio.create_task(one_request())]

    first, second = run_in_own_loop(two())
    assert first is second
