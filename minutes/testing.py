"""Tools for driving real minutes servers: uvicorn processes and WebSocket clients that
type with pycrdt, as a browser with Yjs would. Used by tests/minutes and bench/presence.py."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import websockets
from pycrdt import Doc, Text

ROOT = Path(__file__).resolve().parent.parent


def asgi_with_static() -> Any:
    """config.asgi's application that also serves /static/ from the apps (as runserver and
    channels' live server do): the browser tests load minutes.js and the Yjs bundle from it."""
    from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

    from config.asgi import application

    return ASGIStaticFilesHandler(application)


class Server:
    """`uvicorn config.asgi:application` on an ephemeral loopback port (socket bound here).

    static=True serves /static/ too (uvicorn --factory minutes.testing:asgi_with_static)."""

    def __init__(self, env: dict[str, str], *, static: bool = False) -> None:
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1024)
        self.port = self.sock.getsockname()[1]
        fd = self.sock.fileno()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn",
             *(["--factory", "minutes.testing:asgi_with_static"] if static else ["config.asgi:application"]),
             "--fd", str(fd),
             "--lifespan", "off", "--log-level", "warning", "--no-access-log"],
            cwd=ROOT, env={**os.environ, **env}, pass_fds=(fd,),
        )
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}"

    def wait_ready(self, timeout: float = 30) -> Server:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}")
            with contextlib.suppress(OSError), urllib.request.urlopen(self.url + "/healthz", timeout=5) as r:  # noqa: S310 - loopback
                if r.status == 200:
                    return self
            time.sleep(0.05)  # polling interval while the process boots
        raise TimeoutError("server did not answer /healthz")

    def kill(self) -> None:
        """SIGKILL: no disconnect() runs, presence must expire by itself."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()
        self.sock.close()

    def rss_bytes(self) -> int:
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        return 0


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


class Replica:
    """One section as a pycrdt document."""

    def __init__(self) -> None:
        self.doc = Doc()
        self.text = self.doc.get("text", type=Text)

    def insert(self, pos: int, s: str) -> bytes:
        before = self.doc.get_state()
        self.text.insert(min(pos, len(self.text)), s)
        return self.doc.get_update(before)

    def __str__(self) -> str:
        return str(self.text)


class LiveClient:
    """A browser stand-in: session cookie, heartbeats, replicas of every section, acks."""

    def __init__(self, server: Server, occurrence_id: int, sessionid: str, *, heartbeat: bool = True,
                 lazy: bool = False) -> None:
        self.server, self.occurrence_id, self.sessionid = server, occurrence_id, sessionid
        self.messages: list[dict[str, Any]] = []
        self.replicas: dict[int, Replica] = {}
        self.presence: dict[str, dict[str, Any]] = {}
        self.acked: set[Any] = set()
        self.errors: list[dict[str, Any]] = []
        self.init: dict[str, Any] = {}
        self.heartbeat = heartbeat
        # lazy: keep relayed updates and merge them only when text() is read (the benchmark's
        # 300 clients in one process would otherwise measure their own CRDT work).
        self.lazy = lazy
        self._unapplied: dict[int, list[bytes]] = {}
        self.ws: Any = None
        self._tasks: list[asyncio.Task] = []
        self._event = asyncio.Event()
        self.on_message: Callable[[dict[str, Any], float], None] | None = None
        self.next_id = 0

    async def connect(self, server: Server | None = None) -> LiveClient:
        self.server = server or self.server
        self.ws = await websockets.connect(
            f"{self.server.ws_url}/ws/minutes/{self.occurrence_id}/",
            additional_headers={"Cookie": f"sessionid={self.sessionid}"},
            origin=self.server.url, max_size=2**24, open_timeout=30,
        )
        init = json.loads(await asyncio.wait_for(self.ws.recv(), 30))
        if init.get("type") != "init":
            raise RuntimeError(f"expected init, got {init}")
        self.init = init
        self.presence = {p["conn"]: p for p in init["presence"]}
        pending: list[tuple[int, bytes]] = []
        for s in init["sections"]:
            replica = self.replicas.setdefault(s["id"], Replica())
            server_doc = Doc()
            server_doc.get("text", type=Text)
            if s["state"]:
                server_doc.apply_update(base64.b64decode(s["state"]))
            # Edits the server lacks (typed while offline, or sent but never acknowledged).
            missing = replica.doc.get_update(server_doc.get_state())
            if s["state"]:
                replica.doc.apply_update(base64.b64decode(s["state"]))
            if len(missing) > 2:
                pending.append((s["id"], missing))
        self._tasks = [asyncio.create_task(self._reader())]
        if self.heartbeat:
            self._tasks.append(asyncio.create_task(self._beat(init["heartbeat"])))
        for section, update in pending:
            await self.send_update(section, update)
        return self

    @property
    def conn(self) -> str:
        return self.init["me"]["conn"]

    async def _reader(self) -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            async for raw in self.ws:
                now = time.perf_counter()
                msg = json.loads(raw)
                self.messages.append(msg)
                kind = msg["type"]
                if kind in ("update", "sync"):
                    if self.lazy:
                        self._unapplied.setdefault(msg["section"], []).append(msg["update"])
                    else:
                        self.replicas.setdefault(msg["section"], Replica()).doc.apply_update(
                            base64.b64decode(msg["update"]))
                elif kind == "ack":
                    self.acked.add(msg["id"])
                elif kind == "error":
                    self.errors.append(msg)
                elif kind == "presence":
                    if msg["event"] == "leave":
                        for c in msg["conns"]:
                            self.presence.pop(c, None)
                    else:
                        self.presence[msg["who"]["conn"]] = msg["who"]
                if self.on_message:
                    self.on_message(msg, now)
                self._event.set()

    async def _beat(self, interval: float) -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            while True:
                await asyncio.sleep(interval)
                await self.ws.send('{"type":"heartbeat"}')

    async def send(self, msg: dict[str, Any]) -> None:
        await self.ws.send(json.dumps(msg))

    async def send_update(self, section: int, update: bytes) -> int:
        self.next_id += 1
        await self.send({"type": "update", "id": self.next_id, "section": section, "update": b64(update)})
        return self.next_id

    async def type(self, section: int, pos: int, s: str, *, send: bool = True) -> int | None:
        update = self.replicas[section].insert(pos, s)
        return await self.send_update(section, update) if send else None

    def text(self, section: int) -> str:
        for update in self._unapplied.pop(section, []):
            self.replicas.setdefault(section, Replica()).doc.apply_update(base64.b64decode(update))
        return str(self.replicas[section])

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 20, what: str = "") -> None:
        """Poll an event with a deadline (no sleeps-as-timing)."""
        deadline = time.monotonic() + timeout
        while not predicate():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"timed out waiting for {what or predicate}")
            self._event.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._event.wait(), min(remaining, 0.5))

    async def drop(self) -> None:
        """Vanish mid-typing: the socket is cut without a closing handshake."""
        for t in self._tasks:
            t.cancel()
        self.ws.transport.abort()
        with contextlib.suppress(Exception):
            await self.ws.wait_closed()

    async def close(self) -> None:
        for t in self._tasks:
            t.cancel()
        with contextlib.suppress(Exception):
            await self.ws.close()
