"""One channel-layer subscriber per server process and room, fanning out in memory.

With a channel per socket, an edit on a page with 300 people means 300 messages through
Redis, which each process then pops one at a time (channels-redis BZPOPMIN): ~1 ms each,
so the 150th socket of a process hears of it 150 ms late. Instead each process joins the
room's group once, with its own channel, and hands every event to its local sockets
directly: two Redis messages per edit whatever the audience.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from typing import Any, Protocol

from channels.layers import get_channel_layer

log = logging.getLogger(__name__)


class Listener(Protocol):
    async def minutes_event(self, message: dict[str, Any]) -> None: ...


class Hub:
    def __init__(self) -> None:
        self.layer = get_channel_layer()
        self.channel: str | None = None
        self.rooms: dict[str, set[Listener]] = {}
        self.reader: asyncio.Task | None = None
        self.lock = asyncio.Lock()

    async def join(self, room: str, listener: Listener) -> None:
        async with self.lock:
            if self.channel is None:
                self.channel = await self.layer.new_channel()
                self.reader = asyncio.create_task(self._read(self.channel))
            # group_add on every join, not only the room's first: it is idempotent, and after a
            # Redis restart (groups lost) the sockets that reconnect put this process back.
            await self.layer.group_add(room, self.channel)
            self.rooms.setdefault(room, set()).add(listener)

    async def leave(self, room: str, listener: Listener) -> None:
        async with self.lock:
            listeners = self.rooms.get(room)
            if listeners is None:
                return
            listeners.discard(listener)
            if not listeners:
                del self.rooms[room]
                with contextlib.suppress(Exception):  # Redis away: the group expires by itself
                    await self.layer.group_discard(room, self.channel)
            if not self.rooms and self.reader is not None:
                # Nobody left in this process: stop reading (and let test event loops close cleanly).
                self.reader.cancel()
                self.reader, self.channel = None, None

    async def _read(self, channel: str) -> None:
        while True:
            try:
                message = await self.layer.receive(channel)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("minutes hub: receive failed, retrying", exc_info=True)
                await asyncio.sleep(1)
                continue
            room = message.get("room")
            for listener in list(self.rooms.get(room, ())):
                with contextlib.suppress(Exception):  # one closed socket must not stop the rest
                    await listener.minutes_event(message)


_hubs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Hub] = weakref.WeakKeyDictionary()


def hub() -> Hub:
    """This process's hub (one per event loop: tests run several loops)."""
    loop = asyncio.get_running_loop()
    found = _hubs.get(loop)
    if found is None or found.layer is not get_channel_layer():
        found = _hubs[loop] = Hub()
    return found
