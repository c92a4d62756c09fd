"""Fast inserts for imports.

The ORM's bulk_create builds a model instance and compiles every value, which
was most of an import's time at 100,000 rows (bench/README.md). These write
plain tuples: on PostgreSQL through COPY (into a temporary table and one
INSERT … SELECT when conflicts are skipped or ids returned), elsewhere (SQLite)
as multi-row INSERTs.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Sequence
from itertools import islice
from typing import Any

from django.db import connections, models, router

from web.pg_copy import copy_in

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
    returning: str | Sequence[str] | None = None,
) -> list[Any]:
    """Insert `rows` (tuples in the order of `columns`, field names) and return
    the `returning` column of each inserted row (a tuple of them when given
    several); rows that would break a unique constraint are skipped when
    `ignore_conflicts`."""
    connection = connections[router.db_for_write(model)]
    fields: list[Any] = [model._meta.get_field(name) for name in columns]
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    names = ", ".join(quote(field.column) for field in fields)
    wanted: list[Any] = [
        model._meta.get_field(name)
        for name in ([returning] if isinstance(returning, str) else returning or ())
    ]
    tail = (" ON CONFLICT DO NOTHING" if ignore_conflicts else "") + (
        " RETURNING " + ", ".join(quote(field.column) for field in wanted) if wanted else ""
    )
    insert = _copy_insert if connection.vendor == "postgresql" else _values_insert
    result = insert(connection, table, names, fields, rows, tail, bool(wanted))
    return [row[0] for row in result] if isinstance(returning, str) else result


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
    # csv writes None as an empty field (COPY's NULL) and anything else but JSON
    # through str(), which PostgreSQL reads back (datetimes with their offset).
    json_columns = [i for i, field in enumerate(fields) if isinstance(field, models.JSONField)]
    if json_columns:
        rows = (_json_dumped(row, json_columns) for row in rows)
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    if not buffer.tell():
        return []
    buffer.seek(0)
    # csv writes None and "" alike: text columns that cannot be NULL read it as "".
    not_null = [
        connection.ops.quote_name(f.column)
        for f in fields
        if isinstance(f, models.CharField | models.TextField) and not f.null
    ]
    options = f", FORCE_NOT_NULL ({', '.join(not_null)})" if not_null else ""
    with connection.cursor() as cursor:
        if not tail:  # nothing to skip or return: straight into the table
            copy_in(cursor, f"COPY {table} ({names}) FROM STDIN WITH (FORMAT csv{options})", buffer)
            return []
        cursor.execute("DROP TABLE IF EXISTS _baton_rows")
        cursor.execute(
            f"CREATE TEMPORARY TABLE _baton_rows AS SELECT {names} FROM {table} WITH NO DATA"  # nosec B608  # table and column names come from model metadata; values go through COPY
        )
        copy_in(cursor, f"COPY _baton_rows ({names}) FROM STDIN WITH (FORMAT csv{options})", buffer)
        cursor.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM _baton_rows{tail}")  # nosec B608  # table and column names come from model metadata
        result = cursor.fetchall() if returning else []
        cursor.execute("DROP TABLE _baton_rows")
    return result


def _json_dumped(row: Sequence[object], columns: list[int]) -> list[object]:
    values = list(row)
    for i in columns:
        if values[i] is not None:
            values[i] = json.dumps(values[i], ensure_ascii=False)
    return values


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
                f"INSERT INTO {table} ({names}) VALUES " + ", ".join([one_row] * len(batch)) + tail,  # nosec B608  # names from model metadata; every value is a %s parameter
                params,
            )
            if returning:
                results.extend(cursor.fetchall())
    return results


def _adapter(field: Any, connection: Any) -> Callable[[object], object]:
    if isinstance(field, _PLAIN):
        return lambda value: value
    return lambda value: field.get_db_prep_save(value, connection)
