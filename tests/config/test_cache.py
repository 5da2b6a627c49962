"""The Redis cache shares one redis-py client per pool (config/cache.py) and still behaves
as Django's: values round-trip, expire and are deleted, from several threads at once."""

from __future__ import annotations

import os
import threading
import uuid

import pytest

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
