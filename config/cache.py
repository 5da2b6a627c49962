"""Django's Redis cache, with one redis-py client per connection pool instead of a new one
for every cache call. Building a `redis.Redis` fills its table of response callbacks (about
170 entries with redis-py 8): on the API's hot path, where the token lookup is one cache
GET, that cost more CPU than the GET itself. A client holds no connection of its own (each
command borrows one from the pool), so sharing it between calls and threads is safe."""

from __future__ import annotations

from typing import Any

from django.core.cache.backends.redis import RedisCache, RedisCacheClient


class SharedClientRedisCacheClient(RedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            if index not in self._pools:
                self._pools[index] = self._pool_class.from_url(self._servers[index], **self._pool_options)
            client = self._clients[index] = self._client(connection_pool=self._pools[index])
        return client


class QuorumRedisCache(RedisCache):
    def __init__(self, server: Any, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = SharedClientRedisCacheClient  # Django sets its client class per instance
