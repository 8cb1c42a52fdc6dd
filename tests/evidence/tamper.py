"""Ways to tamper with the evidence tables from the outside, as an attacker with SQL would."""

from __future__ import annotations

from contextlib import contextmanager

from django.db import connection

TABLES = [
    "evidence_evidencerecord",
    "evidence_logleaf",
    "evidence_checkpoint",
    "evidence_checkpointtimestamp",
]


@contextmanager
def triggers_dropped():
    """Drop the append-only triggers for the block (the test's transaction restores them)."""
    with connection.cursor() as cursor:
        for table in TABLES:
            if connection.vendor == "postgresql":
                cursor.execute(f"DROP TRIGGER {table}_append_only ON {table}")
            else:
                cursor.execute(f"DROP TRIGGER {table}_no_update")
                cursor.execute(f"DROP TRIGGER {table}_no_delete")
    yield


def sql(statement: str, params=()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
