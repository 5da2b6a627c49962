"""Django's Redis cache, with one cache client, one connection pool and one redis-py client per
Redis server for the whole process.

Django's `caches` are per context: under ASGI every request gets a new cache object, which
builds a new cache client with new connection pools. So every request
- opened a new TCP connection to Redis (and its health check) for the token lookup, left for
  the garbage collector to close;
- looked up redis-py's version in the installed packages' metadata (Django's client records
  itself as a driver of redis-py);
- built a `redis.Redis`, filling its table of about 170 response callbacks.
Under load that was a third of an API request's CPU (py-spy, availability with wrk). A
redis-py client holds no connection of its own (each command borrows one from the pool), and
the pools are thread-safe and reset themselves after a fork, so sharing them is safe."""

from __future__ import annotations

import threading
from typing import Any

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from django.utils.functional import cached_property

_clients: dict[tuple[Any, ...], RedisCacheClient] = {}
_lock = threading.Lock()


class SharedClientRedisCacheClient(RedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            with _lock:
                client = self._clients.get(index)
                if client is None:
                    pool = self._pools.get(index) or self._pool_class.from_url(self._servers[index], **self._pool_options)
                    self._pools[index] = pool
                    client = self._clients[index] = self._client(connection_pool=pool)
        return client


class QuorumRedisCache(RedisCache):
    @cached_property
    def _cache(self) -> RedisCacheClient:
        key = (tuple(self._servers), repr(sorted(self._options.items())))
        client = _clients.get(key)
        if client is None:
            with _lock:
                client = _clients.get(key)
                if client is None:
                    client = _clients[key] = SharedClientRedisCacheClient(self._servers, **self._options)
        return client
