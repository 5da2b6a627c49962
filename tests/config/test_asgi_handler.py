"""config/asgi_handler.py: one thread per request for all its synchronous work, threads lent
from a process-wide stack instead of started and joined for every request."""

from __future__ import annotations

import asyncio
import threading

from config.asgi_handler import QuorumASGIHandler, RequestThreads
from tests.asyncrun import run_in_own_loop


def _scope(path: str) -> dict:
    return {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
            "path": path, "raw_path": path.encode(), "root_path": "", "query_string": b"",
            "headers": [(b"host", b"localhost")], "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 80)}


async def _get(handler: QuorumASGIHandler, path: str) -> int:
    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        sent.append(message)

    await handler(_scope(path), receive, send)
    return next(m["status"] for m in sent if m["type"] == "http.response.start")


def test_sequential_requests_reuse_one_thread_and_concurrent_ones_get_their_own(db):
    handler = QuorumASGIHandler()
    threads: list[int] = []
    release = threading.Event()
    real = handler._respond

    def respond(scope, body_file):
        threads.append(threading.get_ident())
        if scope["path"] == "/healthz" and len(threads) == 3:
            release.wait(10)  # the first of two concurrent requests holds its thread
        return real(scope, body_file)

    handler._respond = respond

    async def started(n: int) -> None:
        while len(threads) < n:  # yields to the loop until the nth request is in its thread
            await asyncio.sleep(0)

    async def run() -> list[int]:
        statuses = [await _get(handler, "/healthz"), await _get(handler, "/healthz")]
        first = asyncio.create_task(_get(handler, "/healthz"))
        await asyncio.wait_for(started(3), 10)  # a bound, so that a broken handler fails, not hangs
        second = asyncio.create_task(_get(handler, "/healthz"))
        await asyncio.wait_for(started(4), 10)
        release.set()
        return [*statuses, await first, await second]

    assert run_in_own_loop(run()) == [200, 200, 200, 200]
    assert threads[0] == threads[1]  # given back, then lent again: no thread started per request
    assert threads[2] != threads[3]  # one request at a time per thread
    assert threading.get_ident() not in threads


def test_idle_threads_are_capped():
    pool = RequestThreads(keep=2)
    lent = [pool.take() for _ in range(4)]
    for executor in lent:
        pool.give(executor)
    assert len(pool._idle) == 2
    assert pool.take() is lent[1] and pool.take() is lent[0]
    assert lent[3]._shutdown
