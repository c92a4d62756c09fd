"""Fast inserts for imports.

The ORM's bulk_create builds a model instance and compiles every value, which
was most of an import's time at 100,000 rows (bench/README.md). These write
plain tuples: on PostgreSQL through COPY into a temporary table and one
INSERT … SELECT (conflicts skipped there), elsewhere (SQLite) as multi-row
INSERTs.
"""

from __future__ import annotations

import csv
import functools
import io
import json
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from itertools import islice
from typing import Any

from django.db import connections, models, router

# Field types whose Python values the drivers take as they are.
_PLAIN = (
    models.CharField,
    models.TextField,
    models.IntegerField,
    models.BooleanField,
    models.ForeignKey,
)


def insert_rows(
    model: type[models.Model],
    columns: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    ignore_conflicts: bool = False,
    returning: str | None = None,
) -> list[Any]:
    """Insert `rows` (tuples in the order of `columns`, field names) and return
    the `returning` column of each inserted row; rows that would break a
    unique constraint are skipped when `ignore_conflicts`."""
    connection = connections[router.db_for_write(model)]
    fields: list[Any] = [model._meta.get_field(name) for name in columns]
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    names = ", ".join(quote(field.column) for field in fields)
    tail = (" ON CONFLICT DO NOTHING" if ignore_conflicts else "") + (
        f" RETURNING {quote(returning)}" if returning else ""
    )
    if connection.vendor == "postgresql":
        return _copy_insert(connection, table, names, fields, rows, tail, bool(returning))
    return _values_insert(connection, table, names, fields, rows, tail, bool(returning))


def _copy_insert(
    connection: Any,
    table: str,
    names: str,
    fields: list[Any],
    rows: Iterable[Sequence[object]],
    tail: str,
    returning: bool,
) -> list[Any]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerows(
        [value if type(value) is str else _copy_text(value) for value in row] for row in rows
    )
    if not buffer.tell():
        return []
    buffer.seek(0)
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS _baton_rows")
        cursor.execute(
            f"CREATE TEMPORARY TABLE _baton_rows AS SELECT {names} FROM {table} WITH NO DATA"
        )
        # csv writes None and "" alike: text columns that cannot be NULL read it as "".
        not_null = [
            connection.ops.quote_name(f.column)
            for f in fields
            if isinstance(f, models.CharField | models.TextField) and not f.null
        ]
        options = f", FORCE_NOT_NULL ({', '.join(not_null)})" if not_null else ""
        cursor.cursor.copy_expert(
            f"COPY _baton_rows ({names}) FROM STDIN WITH (FORMAT csv{options})", buffer
        )
        cursor.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM _baton_rows{tail}")
        result = [row[0] for row in cursor.fetchall()] if returning else []
        cursor.execute("DROP TABLE _baton_rows")
    return result


def _copy_text(value: object) -> object:
    """A value as COPY's CSV reads it (strings are passed through by the caller)."""
    if value is None:
        return ""  # COPY's NULL; text columns that cannot be NULL are FORCE_NOT_NULL
    if isinstance(value, datetime):
        return _isoformat(value)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "t" if value else "f"
    return value


@functools.lru_cache(maxsize=4096)  # an import stamps thousands of rows with one time
def _isoformat(value: datetime) -> str:
    return value.isoformat()


def _values_insert(
    connection: Any,
    table: str,
    names: str,
    fields: list[Any],
    rows: Iterable[Sequence[object]],
    tail: str,
    returning: bool,
    batch_size: int = 500,
) -> list[Any]:
    adapters = [_adapter(field, connection) for field in fields]
    one_row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    results: list[Any] = []
    iterator = iter(rows)
    with connection.cursor() as cursor:
        while batch := list(islice(iterator, batch_size)):  # nothing at all for no rows
            params: list[Any] = [
                adapt(value) for row in batch for adapt, value in zip(adapters, row, strict=True)
            ]
            cursor.execute(
                f"INSERT INTO {table} ({names}) VALUES " + ", ".join([one_row] * len(batch)) + tail,
                params,
            )
            if returning:
                results.extend(row[0] for row in cursor.fetchall())
    return results


def _adapter(field: Any, connection: Any) -> Callable[[object], object]:
    if isinstance(field, _PLAIN):
        return lambda value: value
    return lambda value: field.get_db_prep_save(value, connection)
