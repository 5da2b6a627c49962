"""Hand-written SELECTs on hot paths (token lookup, availability finder, the booking's
unit and rooms, the personal feed address) that still return model instances exactly as
the ORM would build them."""

from __future__ import annotations

from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import Model


class ModelColumns:
    """A model's concrete columns under a table alias, in field order, and the backend's
    converters, so that a row of a hand-written query becomes an instance as the ORM's
    iterator would make it (compiling the same query through the ORM costs milliseconds)."""

    def __init__(self, model: type[Model], alias: str) -> None:
        self.model = model
        self.fields = list(model._meta.concrete_fields)
        self.size = len(self.fields)
        self.sql = ", ".join(f"{alias}.{connection.ops.quote_name(f.column)}" for f in self.fields)
        self.converters = []
        for i, f in enumerate(self.fields):
            col = f.get_col(alias)
            found = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
            if found:
                self.converters.append((i, col, found))

    def make(self, values: list[Any], conn: Any) -> Model:
        for i, col, found in self.converters:
            for convert in found:
                values[i] = convert(values[i], col, conn)
        return self.model.from_db(conn.alias, None, values)


_by_ids_sql: dict[tuple[str, str], tuple[str, ModelColumns, ModelColumns | None]] = {}


def rows_by(model: type[Model], column: str, values: list[Any], *, related: str | None = None,
            where: str = "") -> list[Model]:
    """model.objects.filter(<column>__in=values[, extra where]).select_related(<related FK>),
    hand-written: rows of one table (and one foreign key's row) by a column, on hot paths
    where compiling the ORM query cost more than PostgreSQL's work. `where` is constant SQL
    on alias `a`, never user input."""
    if not values:
        return []
    conn = connections[DEFAULT_DB_ALIAS]  # the thread's connection, not the proxy
    key = (conn.vendor, f"{model._meta.label}.{column}.{related}.{where}")
    if key not in _by_ids_sql:
        q = conn.ops.quote_name
        main = ModelColumns(model, "a")
        sql = f"SELECT {main.sql}"
        joined, other = "", None
        if related:
            fk = model._meta.get_field(related)
            other = ModelColumns(fk.related_model, "b")
            sql += f", {other.sql}"
            joined = f"JOIN {q(fk.related_model._meta.db_table)} b ON b.{q(fk.related_model._meta.pk.column)} = a.{q(fk.column)} "
        sql += (f" FROM {q(model._meta.db_table)} a {joined}"
                f"WHERE a.{q(column)} IN ({{}}){' AND ' + where if where else ''}")
        _by_ids_sql[key] = (sql, main, other)
    sql, main, other = _by_ids_sql[key]
    with conn.cursor() as cursor:
        cursor.execute(sql.format(", ".join(["%s"] * len(values))), list(values))
        rows = cursor.fetchall()
    found = []
    for row in rows:
        obj = main.make(list(row[: main.size]), conn)
        if other is not None:
            setattr(obj, related, other.make(list(row[main.size:]), conn))
        found.append(obj)
    return found
