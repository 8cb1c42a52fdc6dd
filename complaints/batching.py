"""Receivers' writes for many complaint changes at once, still in their transaction.

`complaint_transitioned` stays the core's one signal, sent once per event. A receiver
that writes rows hands each event to `defer(flush, item)`: outside a batch its
`flush` runs at once with that one item; inside `collect()` (the deadline sweep's
batch of a thousand complaints) the items wait and each `flush` runs once with all
of them when the batch closes, before its transaction commits. So a receiver has one
code path, and a batch costs a few statements per receiver instead of a few per
complaint: nothing is lost or reordered, since the flushes run inside the same
transaction as the events.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db import connection
from django.db.models import Model

Flush = Callable[[list[Any]], None]

_pending: ContextVar[dict[Flush, list[Any]] | None] = ContextVar("batch_pending", default=None)


def defer(flush: Flush, item: Any) -> None:
    """Give `item` to `flush`: now, or with the rest of the open batch."""
    pending = _pending.get()
    if pending is None:
        flush([item])
    else:
        pending.setdefault(flush, []).append(item)


@contextmanager
def collect() -> Iterator[None]:
    """Hold what receivers defer inside the block; flush each receiver's items once at
    its end, in the order the receivers first deferred (nothing is flushed when the
    block raises: the transaction rolls back anyway)."""
    pending: dict[Flush, list[Any]] = {}
    token = _pending.set(pending)
    try:
        yield
    finally:
        _pending.reset(token)
    for flush, items in pending.items():
        flush(items)


def bulk_set(objs: list[Model], fields: list[str], *, chunk: int = 1000) -> None:
    """UPDATE many rows of one model, each to its own values, in one statement a chunk.

    On PostgreSQL `UPDATE ... FROM (VALUES ...)`; Django's `bulk_update` builds a CASE
    per field and row instead, which took 14 s of a 19 s sweep of 2,000 complaints in
    Python alone (docs/performance.md). Elsewhere (SQLite: development and tests) it is
    `bulk_update`. Values go through each field's `get_db_prep_save`, as `save()` does.
    """
    if not objs:
        return
    model = type(objs[0])
    if connection.vendor != "postgresql":
        model.objects.bulk_update(objs, fields)
        return
    meta = model._meta
    columns = [meta.pk, *(meta.get_field(name) for name in fields)]
    q = connection.ops.quote_name
    table = q(meta.db_table)
    row = "(" + ", ".join(f"%s::{f.db_type(connection)}" for f in columns) + ")"
    assignments = ", ".join(f"{q(f.column)} = v.{q(f.column)}" for f in columns[1:])
    names = ", ".join(q(f.column) for f in columns)
    key = q(meta.pk.column)
    for start in range(0, len(objs), chunk):
        part = objs[start : start + chunk]
        params = [
            f.get_db_prep_save(getattr(obj, f.attname), connection) for obj in part for f in columns
        ]
        sql = (
            f"UPDATE {table} SET {assignments} "  # noqa: S608 - names quoted, values bound
            f"FROM (VALUES {', '.join([row] * len(part))}) AS v ({names}) "
            f"WHERE {table}.{key} = v.{key}"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
