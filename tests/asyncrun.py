"""Running a coroutine from a synchronous test, whatever the main thread is doing."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any


def run_in_own_loop[T](coro: Coroutine[Any, Any, T]) -> T:
    """asyncio.run() in a thread of its own: the main thread may already run an event loop
    (Playwright's sync API keeps one for the session's browser), and asyncio.run() refuses
    to start a second one there."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()
