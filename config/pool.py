"""The connection pool's health check, run only on connections that have sat idle.

psycopg_pool's check (`ConnectionPool.check_connection`, what Django installs with
CONN_HEALTH_CHECKS) sends an empty query on every borrow: a round trip per request, 5-7 %
of a small API request's cost. A connection lent less than a second ago was working
then, so it is lent again unchecked; one that sat idle longer (the database may have
restarted meanwhile) is checked first, and a dead one is replaced by the pool as before.
If the database restarts mid-load, a request may still meet a connection lent just before:
it fails with the clean 503 of an outage (config.middleware) and the pool drops it.

The time is taken when the connection is lent, not when it comes back: the pool's `reset`
callback would have told the return, but with one set, psycopg_pool hands every returned
connection to a worker thread, a thread wake-up per request that cost about a fifth of a
small API request's CPU under load.
"""

from __future__ import annotations

from time import monotonic
from typing import Any

from psycopg_pool import ConnectionPool

IDLE_BEFORE_CHECK = 1.0  # seconds


def check(conn: Any) -> None:
    """The pool's `check` callback, run as a connection is lent: raise if one not lent for
    a while is broken."""
    now = monotonic()
    if now - getattr(conn, "_quorum_lent_at", float("-inf")) >= IDLE_BEFORE_CHECK:
        ConnectionPool.check_connection(conn)
    conn._quorum_lent_at = now
