"""The database refuses UPDATE and DELETE on evidence records, log leaves and checkpoints.

Triggers on PostgreSQL and SQLite. A DELETE passes only while a row exists in
evidence_guardoverride (wiping a test or development database); an UPDATE never
does. On PostgreSQL TRUNCATE is refused too unless the table is already empty.
"""

from django.db import migrations

TABLES = [
    "evidence_evidencerecord",
    "evidence_logleaf",
    "evidence_checkpoint",
    "evidence_checkpointtimestamp",
]

PG_FUNCTIONS = """
CREATE OR REPLACE FUNCTION evidence_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND EXISTS (SELECT 1 FROM evidence_guardoverride) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION '% on % refused: evidence is append-only', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END;
$$;
CREATE OR REPLACE FUNCTION evidence_refuse_truncate() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    has_rows boolean;
BEGIN
    EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I)', TG_TABLE_NAME) INTO has_rows;
    IF has_rows THEN
        RAISE EXCEPTION 'TRUNCATE on % refused: evidence is append-only', TG_TABLE_NAME
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NULL;
END;
$$;
"""


def pg_sql(table: str) -> str:
    return f"""
CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION evidence_refuse_change();
CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION evidence_refuse_truncate();
"""


def sqlite_sql(table: str) -> list[str]:
    # Table names come from TABLES above, never from input.
    return [
        f"""CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table}
BEGIN SELECT RAISE(ABORT, 'UPDATE on {table} refused: evidence is append-only'); END""",
        f"""CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table}
WHEN NOT EXISTS (SELECT 1 FROM evidence_guardoverride)
BEGIN SELECT RAISE(ABORT, 'DELETE on {table} refused: evidence is append-only'); END""",
    ]


def install(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        # params=None: the SQL holds literal % signs (RAISE formats), not placeholders.
        schema_editor.execute(PG_FUNCTIONS, params=None)
        for table in TABLES:
            schema_editor.execute(pg_sql(table), params=None)
    elif vendor == "sqlite":
        for table in TABLES:
            for statement in sqlite_sql(table):
                schema_editor.execute(statement)
    else:
        raise RuntimeError(f"no append-only triggers for {vendor}; add them before using it")


def remove(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table in TABLES:
        if vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        else:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
    if vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS evidence_refuse_change()")
        schema_editor.execute("DROP FUNCTION IF EXISTS evidence_refuse_truncate()")


class Migration(migrations.Migration):
    dependencies = [("evidence", "0001_evidence_log")]

    operations = [migrations.RunPython(install, remove)]
