"""Django's ASGI handler, except that a client hanging up does not cancel its request.

Django cancels the request's task when the client disconnects. The view's synchronous
part, running in a worker thread, cannot be cancelled: it may still start or finish after
`request_finished` has been sent, so the database connection it took is never given back
(with the pool: one connection lost from the pool per dropped request, until requests
wait for a connection that never comes; without it: a PostgreSQL session left open until
garbage collection), and the cancelled task's thread-sensitive calls fail with
"CurrentThreadExecutor already quit or is broken". Here a dropped request runs to its
end like any other (Quorum's responses are short and bounded), its response is
discarded by the server, and `request_finished` closes its connection in order.
"""

from __future__ import annotations

from typing import Any

from django.core.handlers.asgi import ASGIHandler


class QuorumASGIHandler(ASGIHandler):
    async def listen_for_disconnect(self, receive: Any) -> None:
        message = await receive()
        if message["type"] != "http.disconnect":
            raise AssertionError(f"Invalid ASGI message after request body: {message['type']}")
        # Disconnected: return without raising, so the request is not cancelled midway.
