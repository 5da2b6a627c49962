"""Who is on a minutes page right now, across every server process.

Channel-layer groups cannot be listed, and `disconnect()` never runs when a process is
killed, so presence is kept apart (stack.md §2): per room a sorted set of connection ids
scored by their expiry time, plus a hash with each connection's public state. Clients
heartbeat every TTL/3; an entry lives 2·TTL/3 past its last heartbeat; every connection's
server task prunes the room every TTL/3. So a browser or a whole server that dies vanishes
from everyone's list within one TTL (45 s by default, `MINUTES_PRESENCE_TTL`).

Redis when REDIS_URL is set (shared by all processes), an in-process dict otherwise.
"""

from __future__ import annotations

import asyncio
import json
import time
import weakref
from typing import Any, Protocol

from django.conf import settings


def ttl() -> float:
    return float(getattr(settings, "MINUTES_PRESENCE_TTL", 45))


def heartbeat_interval() -> float:
    return ttl() / 3


def entry_lifetime() -> float:
    return ttl() * 2 / 3


class PresenceStore(Protocol):
    async def join(self, room: str, conn: str, info: dict[str, Any]) -> None: ...
    async def touch(self, room: str, conn: str) -> bool: ...
    async def update(self, room: str, conn: str, info: dict[str, Any]) -> None: ...
    async def leave(self, room: str, conn: str) -> None: ...
    async def prune(self, room: str) -> list[str]: ...
    async def snapshot(self, room: str) -> list[dict[str, Any]]: ...


class MemoryPresence:
    """The embedded default: one process, so a dict is the whole truth."""

    def __init__(self) -> None:
        self.rooms: dict[str, dict[str, tuple[float, dict[str, Any]]]] = {}

    async def join(self, room: str, conn: str, info: dict[str, Any]) -> None:
        self.rooms.setdefault(room, {})[conn] = (time.time() + entry_lifetime(), info)

    async def touch(self, room: str, conn: str) -> bool:
        entries = self.rooms.get(room, {})
        if conn not in entries:
            return False
        entries[conn] = (time.time() + entry_lifetime(), entries[conn][1])
        return True

    async def update(self, room: str, conn: str, info: dict[str, Any]) -> None:
        await self.join(room, conn, info)

    async def leave(self, room: str, conn: str) -> None:
        entries = self.rooms.get(room, {})
        entries.pop(conn, None)
        if not entries:
            self.rooms.pop(room, None)

    async def prune(self, room: str) -> list[str]:
        now = time.time()
        entries = self.rooms.get(room, {})
        gone = [c for c, (exp, _) in entries.items() if exp <= now]
        for conn in gone:
            entries.pop(conn, None)
        return gone

    async def snapshot(self, room: str) -> list[dict[str, Any]]:
        await self.prune(room)
        return [info for _, info in self.rooms.get(room, {}).values()]


# Take and delete the expired entries in one step, so exactly one pruner reports each.
_PRUNE = """
local gone = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if #gone > 0 then
  redis.call('ZREM', KEYS[1], unpack(gone))
  redis.call('HDEL', KEYS[2], unpack(gone))
end
return gone
"""


class RedisPresence:
    """ZSET presence:{room}:z (conn → expiry) + HASH presence:{room}:h (conn → JSON state)."""

    def __init__(self, url: str, prefix: str) -> None:
        self.url, self.prefix = url, prefix
        # redis.asyncio connections belong to one event loop; tests run several loops.
        self._clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Any] = weakref.WeakKeyDictionary()

    def _redis(self) -> Any:
        import redis.asyncio as aioredis

        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None:
            # redis-py 8 defaults socket_timeout to 5 s; be explicit (stack.md §1).
            # and caps a pool at 100 connections, failing at once beyond: wait for one instead.
            pool = aioredis.BlockingConnectionPool.from_url(
                self.url, max_connections=200, timeout=10, socket_timeout=10, socket_connect_timeout=5)
            client = aioredis.Redis(connection_pool=pool)
            self._clients[loop] = client
        return client

    def _keys(self, room: str) -> tuple[str, str]:
        base = f"{self.prefix}:presence:{room}"
        return f"{base}:z", f"{base}:h"

    def _key_ttl(self) -> int:
        return max(2, int(ttl() * 2))

    async def join(self, room: str, conn: str, info: dict[str, Any]) -> None:
        z, h = self._keys(room)
        async with self._redis().pipeline(transaction=True) as pipe:
            pipe.zadd(z, {conn: time.time() + entry_lifetime()})
            pipe.hset(h, conn, json.dumps(info))
            pipe.expire(z, self._key_ttl())
            pipe.expire(h, self._key_ttl())
            await pipe.execute()

    async def touch(self, room: str, conn: str) -> bool:
        z, h = self._keys(room)
        async with self._redis().pipeline(transaction=True) as pipe:
            pipe.zadd(z, {conn: time.time() + entry_lifetime()}, xx=True)
            pipe.zscore(z, conn)
            pipe.hexists(h, conn)
            pipe.expire(z, self._key_ttl())
            pipe.expire(h, self._key_ttl())
            _, score, exists, *_ = await pipe.execute()
        return score is not None and bool(exists)

    async def update(self, room: str, conn: str, info: dict[str, Any]) -> None:
        await self.join(room, conn, info)

    async def leave(self, room: str, conn: str) -> None:
        z, h = self._keys(room)
        async with self._redis().pipeline(transaction=True) as pipe:
            pipe.zrem(z, conn)
            pipe.hdel(h, conn)
            await pipe.execute()

    async def prune(self, room: str) -> list[str]:
        z, h = self._keys(room)
        gone = await self._redis().eval(_PRUNE, 2, z, h, time.time())
        return [c.decode() for c in gone]

    async def snapshot(self, room: str) -> list[dict[str, Any]]:
        await self.prune(room)
        z, h = self._keys(room)
        redis = self._redis()
        alive = {c.decode() for c in await redis.zrangebyscore(z, "-inf", "+inf")}
        raw = await redis.hgetall(h)
        return [json.loads(v) for k, v in raw.items() if k.decode() in alive]


_store: PresenceStore | None = None
_store_key: tuple[str, str] | None = None


def store() -> PresenceStore:
    """The configured store (re-created when tests change MINUTES_PRESENCE_BACKEND)."""
    global _store, _store_key
    backend = getattr(settings, "MINUTES_PRESENCE_BACKEND", "") or ("redis" if settings.REDIS_URL else "memory")
    url = getattr(settings, "MINUTES_PRESENCE_REDIS_URL", "") or settings.REDIS_URL
    key = (backend, url)
    if _store is None or _store_key != key:
        if backend == "redis":
            _store = RedisPresence(url, getattr(settings, "MINUTES_PRESENCE_PREFIX", "quorum"))
        else:
            _store = MemoryPresence()
        _store_key = key
    return _store
