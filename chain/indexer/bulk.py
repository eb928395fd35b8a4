"""Many rows in one prepared statement, for the indexer's batches (and apps' handlers).

Django's bulk_create assembles SQL text for every row and sends every value through its field,
which is most of a batch's time when it holds thousands of logs. Here the statement is built
once and sent with executemany (one prepared statement in SQLite, a pipeline in psycopg), and
only the values that need converting go through their field (amounts, JSON, datetimes)."""

from collections.abc import Iterable, Sequence
from functools import partial

from django.db import connections, models, router

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
        except TypeError:  # unhashable (JSON): convert each time
            return self.to_db(value)


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
    handler idempotent). Returns how many rows were sent."""
    connection = connections[router.db_for_write(model)]
    columns = [model._meta.get_field(name) for name in fields]
    convert = [
        (i, _Converter(f, connection))
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
    if not params:
        return 0
    quote = connection.ops.quote_name
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} "
        f"({', '.join(quote(field.column) for field in columns)}) "
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )
    if ignore_conflicts:
        sql += " ON CONFLICT DO NOTHING"  # SQLite >= 3.24 and PostgreSQL alike
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)
    return len(params)
