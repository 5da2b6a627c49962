"""Django's ASGI handler, reshaped for a project whose views and middleware are all
synchronous.

1. **One thread hop per request.** Stock Django runs an async middleware chain: with sync
   middleware that is a hop into a worker thread, a hop back to the event loop for the
   inner handler, another hop for the view, more for the `request_started` and
   `request_finished` signals and for closing the response. Each hop costs a context switch
   and a round of GIL hand-offs, which on the API's hot paths cost more than the SQL. Here
   the sync chain (`load_middleware(is_async=False)`) runs, with both signals, in a single
   call to the request's thread; only reading the body and sending bytes stay on the loop.
   Everything that touches the database still happens in that one thread (thread-sensitive,
   as in stock Django), so connections are taken and given back in the same thread.
2. **Request threads are reused.** Stock Django gives every request a thread of its own
   (a ThreadSensitiveContext, whose executor starts a thread and joins it at the end): a
   tenth of an API request's CPU under load (py-spy). Here a request borrows a
   single-thread executor from a process-wide stack and gives it back when its response
   is sent; everything the request does synchronously, including closing a streaming
   response, still runs in that one thread. Per-request state lives in context variables
   (translation, audit actor, request id), which each call gets a fresh copy of.
3. **A client hanging up does not cancel its request.** Django cancels the request's task
   when the client disconnects, but the synchronous part in its thread cannot be cancelled:
   it may finish after `request_finished` was sent, so the database connection it took is
   never given back (with the pool: one connection lost per dropped request), and its
   thread-sensitive calls fail with "CurrentThreadExecutor already quit or is broken". Here
   nothing listens for the disconnect: a dropped request runs to its end like any other
   (Quorum's responses are short and bounded) and the server discards the response.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from typing import Any

from asgiref.sync import sync_to_async
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers import base
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.http import FileResponse, HttpResponseBase
from django.urls import set_script_prefix


class RequestThreads:
    """Single-thread executors lent to one request at a time. At most `keep` idle ones are
    kept; more concurrent requests get new ones, shut down when given back."""

    def __init__(self, keep: int = 64) -> None:
        self.keep = keep
        self._idle: list[ThreadPoolExecutor] = []
        self._lock = threading.Lock()

    def take(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._idle:
                return self._idle.pop()
        return ThreadPoolExecutor(max_workers=1, thread_name_prefix="quorum-request")

    def give(self, executor: ThreadPoolExecutor) -> None:
        with self._lock:
            if len(self._idle) < self.keep:
                self._idle.append(executor)
                return
        executor.shutdown(wait=False)


class QuorumASGIHandler(ASGIHandler):
    def __init__(self) -> None:
        base.BaseHandler.__init__(self)
        self.load_middleware(is_async=False)
        self.threads = RequestThreads()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        await self.handle(scope, receive, send)

    async def handle(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        executor = self.threads.take()
        try:
            with closing(body_file):
                response = await sync_to_async(self._respond, thread_sensitive=False, executor=executor)(scope, body_file)
                await self.send_response(response, send)
                if response.streaming:  # its iterator ran in the request's thread; close there too
                    await sync_to_async(response.close, thread_sensitive=False, executor=executor)()
        finally:
            self.threads.give(executor)

    def _respond(self, scope: dict[str, Any], body_file: Any) -> HttpResponseBase:
        """The whole request in its thread: signals, middleware, view. A complete response is
        closed here, before its bytes go out (`request_finished` gives the database
        connection back at once); a streaming one is closed after it has been sent."""
        set_script_prefix(get_script_prefix(scope))
        signals.request_started.send(sender=self.__class__, scope=scope)
        request, error_response = self.create_request(scope, body_file)
        response = error_response if request is None else self.get_response(request)
        response._handler_class = self.__class__
        if isinstance(response, FileResponse):
            response.block_size = self.chunk_size
        if not response.streaming:
            response.close()
        return response
