"""Statements planned for their values, not prepared with a generic plan.

With prepared statements on (settings: `server_side_binding`, `prepare_threshold=5`),
psycopg prepares a statement after its fifth run on a connection, and PostgreSQL may then
switch to a generic plan, made without the parameters' values. That suits the booking's
short statements. It does not suit the read lists, whose best plan depends on the values:
a week of sittings for a unit's few hundred meetings is an index walk per meeting with the
values, but the generic plan of the same text hashes every sitting and booking (a week's
calendar: 6 ms planned for its values, 300-400 ms with the generic plan at 208,000
sittings). Inside `custom_plans()`, statements run unprepared (still server-side bound:
PostgreSQL plans the unnamed statement with the values it is given).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connections


@contextmanager
def custom_plans(using: str = "default") -> Iterator[None]:
    connection = connections[using]
    if connection.vendor != "postgresql":
        yield
        return
    connection.ensure_connection()
    raw = connection.connection
    before = raw.prepare_threshold
    raw.prepare_threshold = None
    try:
        yield
    finally:
        if connection.connection is raw:  # not closed and replaced meanwhile
            raw.prepare_threshold = before


def with_custom_plans[F: Callable[..., Any]](func: F) -> F:
    """A view (function or method) whose queries run inside custom_plans()."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with custom_plans():
            return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
