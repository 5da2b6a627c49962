"""Hand-written SELECTs on hot paths (token lookup, availability finder) that still
return model instances exactly as the ORM would build them."""

from __future__ import annotations

from typing import Any

from django.db import connection
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
