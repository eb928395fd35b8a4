"""Many rows at once, for the indexer's batches, apps' chain handlers and notifications.

Django's bulk_create assembles SQL text for every row and sends every value through its field,
which is most of a batch's time when it holds thousands of logs. Here only the values that need
converting go through their field (amounts, JSON, datetimes), and the rows go to the database
the cheapest way it has: PostgreSQL's COPY (rows formatted by psycopg's C code, one stream),
SQLite's executemany (one prepared statement). psycopg's executemany, a pipeline of one
statement per row with each value dumped in Python, took ~60 % of a 2,400-log batch."""

import zlib
from collections.abc import Iterable, Sequence
from functools import partial

from django.db import IntegrityError, connections, models, router, transaction

# Values of these fields go to the driver as they are.
PLAIN_FIELDS = (models.CharField, models.IntegerField, models.BooleanField, models.ForeignKey)


class _Converter:
    """A field's conversion to its database value, remembered per value: a batch repeats the
    same block times, listing ids and split amounts many times over."""

    def __init__(self, field: models.Field, connection):
        self.to_db = partial(field.get_db_prep_save, connection=connection)
        self.seen: dict = {}

    def __call__(self, value):
        try:
            return self.seen[value]
        except KeyError:
            self.seen[value] = converted = self.to_db(value)
            return converted
        except TypeError:  # unhashable: convert each time
            return self.to_db(value)


class _JsonConverter:
    """A JSON document as the database takes it: what JSONField.get_db_prep_save ends in, without
    the layers before it (a batch converts one document per log)."""

    def __init__(self, field: models.JSONField, connection):
        self.to_db = partial(connection.ops.adapt_json_value, encoder=field.encoder)

    def __call__(self, value):
        return self.to_db(value)


def _converter(field: models.Field, connection):
    cls = _JsonConverter if isinstance(field, models.JSONField) else _Converter
    return cls(field, connection)


def _database_values(connection, columns: list[models.Field], rows: Iterable[Sequence]) -> list:
    """Each row's values as the database takes them (only non-plain fields converted)."""
    convert = [
        (i, _converter(f, connection))
        for i, f in enumerate(columns)
        if not isinstance(f, PLAIN_FIELDS)
    ]
    params = []
    for row in rows:
        if len(row) != len(columns):
            raise ValueError(f"{len(row)} values for {len(columns)} fields: {row!r}")
        values = list(row)
        for i, to_db in convert:
            values[i] = to_db(values[i])
        params.append(values)
    return params


def select_in(
    model: type[models.Model], columns: Sequence[str], field: str, values: Iterable, **equal
) -> list[tuple]:
    """`columns` (field names) of `model`'s rows whose `field` is one of `values` (and whose
    fields in `equal` have those values), as plain tuples, a query per 500 values. The ORM
    prepares each value of an `__in` through its field: for a batch's thousand ids or hashes
    that cost more than the query."""
    connection = connections[router.db_for_read(model)]
    quote = connection.ops.quote_name
    column = model._meta.get_field
    wanted = ", ".join(quote(column(name).column) for name in columns)
    where = "".join(f" AND {quote(column(name).column)} = %s" for name in equal)
    values, found = sorted(set(values)), []
    with connection.cursor() as cursor:
        for start in range(0, len(values), 500):
            some = values[start : start + 500]
            cursor.execute(
                f"SELECT {wanted} FROM {quote(model._meta.db_table)} "
                f"WHERE {quote(column(field).column)} IN ({', '.join(['%s'] * len(some))}){where}",
                [*some, *equal.values()],
            )
            found += cursor.fetchall()
    return found


def update_rows(model: type[models.Model], fields: Sequence[str], rows: Iterable[Sequence]) -> int:
    """UPDATE `fields` of the rows given as (primary key, *values in `fields` order), one
    prepared statement for them all. Django's bulk_update builds a CASE over every row for
    each field, which cost more than the recompute around it. No save() or signals, no
    auto_now: give every field to set. Returns how many rows were sent."""
    connection = connections[router.db_for_write(model)]
    columns = [model._meta.get_field(name) for name in fields]
    converted = _database_values(connection, [model._meta.pk, *columns], rows)
    params = [[*values, pk] for pk, *values in converted]  # the key goes last, in WHERE
    if not params:
        return 0
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in columns)
    sql = (
        f"UPDATE {quote(model._meta.db_table)} SET {assignments} "
        f"WHERE {quote(model._meta.pk.column)} = %s"
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)
    return len(params)


def insert_rows(
    model: type[models.Model],
    fields: Sequence[str],
    rows: Iterable[Sequence],
    *,
    ignore_conflicts: bool = False,
) -> int:
    """INSERT `rows` (tuples of values in `fields` order; a ForeignKey takes the related id)
    into `model`'s table. No save() or signals, no defaults filled in: give every column that
    needs a value. `ignore_conflicts` skips rows that break a unique constraint (what makes a
    handler idempotent). Returns how many rows were inserted (fewer than sent: some were
    there already)."""
    connection = connections[router.db_for_write(model)]
    columns = [model._meta.get_field(name) for name in fields]
    params = _database_values(connection, columns, rows)
    if not params:
        return 0
    table, names = model._meta.db_table, [field.column for field in columns]
    if connection.vendor == "postgresql":
        return _copy(connection, table, names, params, ignore_conflicts=ignore_conflicts)
    quote = connection.ops.quote_name
    sql = (
        f"INSERT INTO {quote(table)} ({', '.join(map(quote, names))}) "
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )
    if ignore_conflicts:
        sql += " ON CONFLICT DO NOTHING"  # SQLite >= 3.24 and PostgreSQL alike
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)
        return cursor.rowcount  # SQLite's changes: the rows a conflict skipped are not counted


def _copy(connection, table: str, names: list[str], params: list, *, ignore_conflicts: bool) -> int:
    """COPY the rows in. COPY cannot skip a row that breaks a unique constraint, so with
    `ignore_conflicts`, when a row is there already, the rows go to a staging table first and
    on with one INSERT ... SELECT ... ON CONFLICT DO NOTHING, in their order (ids follow the
    rows, as with single INSERTs)."""
    quote = connection.ops.quote_name
    columns = ", ".join(map(quote, names))
    # All or nothing whatever the caller's transaction (in autocommit, COPY and INSERT apart).
    with transaction.atomic(using=connection.alias, savepoint=False), connection.cursor() as cur:
        if not ignore_conflicts:
            _copy_into(cur, f"{quote(table)} ({columns})", params)
            return len(params)
        # Usually every row is new (a batch indexed for the first time): straight in, in a
        # savepoint. Only when one is there already (a replay) through the staging table,
        # which writes every row twice.
        try:
            with transaction.atomic(using=connection.alias):
                _copy_into(cur, f"{quote(table)} ({columns})", params)
            return len(params)
        except IntegrityError:
            pass
        # Created once per connection (a temporary table lives as long as its session), emptied
        # after each use: creating one per batch costs more than the COPY itself.
        staging = quote(f"bulk_{table}_{zlib.crc32(columns.encode()):08x}")
        cur.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {staging} AS "
            f"SELECT {columns}, 0 AS bulk_position FROM {quote(table)} WITH NO DATA"
        )
        _copy_into(cur, staging, [[*row, i] for i, row in enumerate(params)])
        cur.execute(
            f"INSERT INTO {quote(table)} ({columns}) SELECT {columns} FROM {staging} "
            "ORDER BY bulk_position ON CONFLICT DO NOTHING"
        )
        inserted = cur.rowcount
        cur.execute(f"DELETE FROM {staging}")
        return inserted


def _copy_into(cursor, target: str, rows: list) -> None:
    # Django's cursor wrapper does not see COPY: its errors become Django's here (IntegrityError).
    with cursor.db.wrap_database_errors, cursor.copy(f"COPY {target} FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
