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
2. **A client hanging up does not cancel its request.** Django cancels the request's task
   when the client disconnects, but the synchronous part in its thread cannot be cancelled:
   it may finish after `request_finished` was sent, so the database connection it took is
   never given back (with the pool: one connection lost per dropped request), and its
   thread-sensitive calls fail with "CurrentThreadExecutor already quit or is broken". Here
   nothing listens for the disconnect: a dropped request runs to its end like any other
   (Quorum's responses are short and bounded) and the server discards the response.
"""

from __future__ import annotations

from contextlib import closing
from typing import Any

from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers import base
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.http import FileResponse, HttpResponseBase
from django.urls import set_script_prefix


class QuorumASGIHandler(ASGIHandler):
    def __init__(self) -> None:
        base.BaseHandler.__init__(self)
        self.load_middleware(is_async=False)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        async with ThreadSensitiveContext():
            await self.handle(scope, receive, send)

    async def handle(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        with closing(body_file):
            response = await sync_to_async(self._respond, thread_sensitive=True)(scope, body_file)
            await self.send_response(response, send)
            if response.streaming:  # its iterator ran in the request's thread; close there too
                await sync_to_async(response.close, thread_sensitive=True)()

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
