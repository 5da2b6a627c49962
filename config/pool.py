"""The connection pool's health check, run only on connections that have sat idle.

psycopg_pool's check (`ConnectionPool.check_connection`, what Django installs with
CONN_HEALTH_CHECKS) sends an empty query on every borrow: a round trip per request, 5-7 %
of a small API request's cost. A connection handed back less than a second ago was
working then, so it is lent unchecked; one that sat idle longer (the database may have
restarted meanwhile) is checked first, and a dead one is replaced by the pool as before.
If the database restarts mid-load, a request may still meet a connection returned just
before: it fails with the clean 503 of an outage (config.middleware) and the pool drops it.
"""

from __future__ import annotations

from time import monotonic
from typing import Any

from psycopg_pool import ConnectionPool

IDLE_BEFORE_CHECK = 1.0  # seconds


def returned(conn: Any) -> None:
    """The pool's `reset` callback: runs when a connection comes back."""
    conn._quorum_returned_at = monotonic()


def check(conn: Any) -> None:
    """The pool's `check` callback: raise if a connection idle for a while is broken."""
    if monotonic() - getattr(conn, "_quorum_returned_at", float("-inf")) >= IDLE_BEFORE_CHECK:
        ConnectionPool.check_connection(conn)
