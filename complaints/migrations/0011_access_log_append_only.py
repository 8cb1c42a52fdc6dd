"""The database refuses UPDATE and DELETE on the personal data access log.

Triggers on PostgreSQL and SQLite, like the evidence log's (evidence migration 0002).
PostgreSQL's TRUNCATE is not refused: whoever may truncate may also drop triggers,
and the test suite's flush truncates. On SQLite the flush deletes row by row, so the
suite's teardown drops the delete trigger around its wipe (tests/conftest.py, with
the statements below).
"""

from django.db import migrations

TABLE = "complaints_personaldataaccess"

PG_INSTALL = f"""
CREATE OR REPLACE FUNCTION complaints_access_log_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% on % refused: the personal data access log is append-only',
        TG_OP, TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
END;
$$;
CREATE TRIGGER {TABLE}_append_only BEFORE UPDATE OR DELETE ON {TABLE}
    FOR EACH ROW EXECUTE FUNCTION complaints_access_log_refuse_change();
"""
PG_REMOVE = f"""
DROP TRIGGER IF EXISTS {TABLE}_append_only ON {TABLE};
DROP FUNCTION IF EXISTS complaints_access_log_refuse_change();
"""

SQLITE_NO_UPDATE = f"""CREATE TRIGGER {TABLE}_no_update BEFORE UPDATE ON {TABLE}
BEGIN SELECT RAISE(ABORT, 'UPDATE on {TABLE} refused: the personal data access log is append-only'); END"""
SQLITE_NO_DELETE = f"""CREATE TRIGGER {TABLE}_no_delete BEFORE DELETE ON {TABLE}
BEGIN SELECT RAISE(ABORT, 'DELETE on {TABLE} refused: the personal data access log is append-only'); END"""
SQLITE_DROP_NO_DELETE = f"DROP TRIGGER IF EXISTS {TABLE}_no_delete"


def install(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        # params=None: the SQL holds literal % signs (RAISE formats), not placeholders.
        schema_editor.execute(PG_INSTALL, params=None)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_NO_UPDATE)
        schema_editor.execute(SQLITE_NO_DELETE)
    else:
        raise RuntimeError(f"no append-only triggers for {vendor}; add them before using it")


def remove(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_REMOVE, params=None)
    else:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {TABLE}_no_update")
        schema_editor.execute(SQLITE_DROP_NO_DELETE)


class Migration(migrations.Migration):
    dependencies = [("complaints", "0010_access_log_login_failures_erasure")]

    operations = [migrations.RunPython(install, remove)]
