"""Model instances from rows of plain SQL, for the few hot paths that read several models in one hand-written query.

`columns(alias, Model)` lists a model's columns for the SELECT; `from_row(Model, values)` makes the instance from
those values as the ORM would: each value through the database's and the field's converters (SQLite returns
datetimes and UUIDs as text, booleans as integers; PostgreSQL needs almost none), then `Model.from_db`.
"""

from __future__ import annotations

from functools import cache

from django.db import connection


def columns(alias: str, model) -> str:
    """`alias."col", …` for every concrete field of `model`, in `from_row`'s order."""
    return ", ".join(f"{alias}.{connection.ops.quote_name(field.column)}" for field in model._meta.concrete_fields)


def width(model) -> int:
    """How many values `columns` selects."""
    return len(model._meta.concrete_fields)


@cache
def _converters(model, vendor: str) -> tuple:
    fields = model._meta.concrete_fields
    converters = []
    for field in fields:
        expression = field.get_col(model._meta.db_table)
        found = connection.ops.get_db_converters(expression) + field.get_db_converters(connection)
        converters.append((tuple(found), expression))
    return tuple(field.attname for field in fields), tuple(converters)


def from_row(model, values):
    """The instance of `model` whose `columns` are `values` (a sequence of `width(model)` values)."""
    names, converters = _converters(model, connection.vendor)
    converted = []
    for value, (found, expression) in zip(values, converters, strict=True):
        for converter in found:
            value = converter(value, expression, connection)
        converted.append(value)
    return model.from_db(connection.alias, names, converted)
