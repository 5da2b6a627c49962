"""Which statements PostgreSQL may run as prepared statements.

With server-side parameters (settings: `server_side_binding`), psycopg can also prepare a
statement after its fifth run on a connection. PostgreSQL may then switch to a generic plan,
made without the parameters' values. That suits the booking's and the finder's short
statements: parsed and planned once per connection, a third of a booking's database CPU.
It does not suit the reads whose best plan depends on the values: a week of sittings for a
unit's few hundred meetings is an index walk per meeting with the values, but the generic
plan of the same text hashes every sitting and booking (a week's calendar: 6 ms planned for
its values, 300-400 ms with the generic plan at 208,000 sittings; an archive search of 90
days, 4 ms against 50; the secretaries' meeting list, about half its database time).

So statements run unprepared by default (`prepare_threshold=None` on every connection, still
server-side bound: PostgreSQL plans the unnamed statement with the values it is given), and
the hot write and finder views opt in with `@with_prepared_plans`
(settings.QUORUM_PREPARE_THRESHOLD; None behind PgBouncer, which cannot keep them).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from django.conf import settings
from django.db import connections


@contextmanager
def _threshold(value: int | None, using: str = "default") -> Iterator[None]:
    connection = connections[using]
    if connection.vendor != "postgresql":
        yield
        return
    connection.ensure_connection()
    raw = connection.connection
    before = raw.prepare_threshold
    raw.prepare_threshold = value
    try:
        yield
    finally:
        if connection.connection is raw:  # not closed and replaced meanwhile
            raw.prepare_threshold = before


def custom_plans(using: str = "default") -> AbstractContextManager[None]:
    """Statements run unprepared, each planned for its values (the default outside
    prepared_plans(); for scripts that set up connections of their own)."""
    return _threshold(None, using)


def prepared_plans(using: str = "default") -> AbstractContextManager[None]:
    """Statements run often here are prepared (after QUORUM_PREPARE_THRESHOLD runs)."""
    return _threshold(getattr(settings, "QUORUM_PREPARE_THRESHOLD", None), using)


def with_prepared_plans[F: Callable[..., Any]](func: F) -> F:
    """A view (function or method) whose queries run inside prepared_plans()."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with prepared_plans():
            return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
