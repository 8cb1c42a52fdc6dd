"""`backup` and `restore`: the restore drill, a refused damaged backup, and the guards.

The restore side runs as its own process on production settings with DATABASE_URL
pointing at a database created for the test (PostgreSQL) or a new file (SQLite),
exactly as an operator would run it on a fresh machine.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from complaints.actors import Actor
from evidence.services import evidence_upload
from tests.helpers import PNG
from tests.states import complaint_in

ROOT = Path(__file__).resolve().parents[2]
RECEIPT = "订单 SO-2026-0001 实付 1299.00 元\n".encode()

# Committed data: pg_dump is another session, and SQLite's backup API waits for the lock
# of an open transaction. serialized_rollback brings the seeded tables (regions,
# calendar) back after each flush.
transactional = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def complaints_with_evidence(consumer, platform):
    """Two cases with uploaded files, their transitions preserved, and a signed checkpoint."""
    settled = complaint_in("settled", consumer=consumer, platform_code=platform.code)
    evidence_upload(
        complaint_id=settled.pk,
        actor=Actor.of_user(consumer),
        data=PNG,
        file_name="耳机照片.png",
        kind="photo",
    )
    evidence_upload(
        complaint_id=settled.pk,
        actor=Actor.of_platform(platform),
        data=RECEIPT,
        file_name="order.txt",
        kind="transaction_record",
    )
    mediating = complaint_in("mediating", consumer=consumer, platform_code=platform.code)
    evidence_upload(
        complaint_id=mediating.pk,
        actor=Actor.of_user(consumer),
        data=PNG + b"second photo",
        file_name="包装.png",
        kind="photo",
    )
    call_command("make_checkpoint", stdout=StringIO())
    return [settled, mediating]


@pytest.fixture
def fresh_database(tmp_path):
    """The URL of an empty database for the restore; PostgreSQL's is dropped afterwards."""
    settings_dict = connection.settings_dict
    if connection.vendor != "postgresql":
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        return
    import psycopg

    name = f"wq_restore_{uuid.uuid4().hex[:12]}"
    params = {
        "host": settings_dict["HOST"] or None,
        "port": settings_dict["PORT"] or None,
        "user": settings_dict["USER"] or None,
        "password": settings_dict["PASSWORD"] or None,
    }
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    auth = settings_dict["USER"] + (
        f":{settings_dict['PASSWORD']}" if settings_dict["PASSWORD"] else ""
    )
    host = f"{settings_dict['HOST'] or 'localhost'}:{settings_dict['PORT'] or 5432}"
    yield f"postgres://{auth}@{host}/{name}"
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def manage(
    *args: str, database_url: str, evidence_root: Path, settings
) -> subprocess.CompletedProcess:
    """Run manage.py in a new process on production settings against `database_url`."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "EVIDENCE_S3_BUCKET", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="0",
        SECRET_KEY="restore-drill-" + "k" * 50,
        DATABASE_URL=database_url,
        EVIDENCE_ROOT=str(evidence_root),
        # The same checkpoint key, so verify_evidence checks the restored signatures.
        EVIDENCE_SIGNING_KEY=str(settings.EVIDENCE_SIGNING_KEY),
        EVIDENCE_LOG_ORIGIN=settings.EVIDENCE_LOG_ORIGIN,
        WEIQUAN_VAR_DIR=str(evidence_root.parent / "var"),
        LOG_LEVEL="WARNING",
    )
    return subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, "manage.py", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )


@transactional
def test_restore_drill_into_a_fresh_database_verifies_the_evidence(
    complaints_with_evidence, fresh_database, tmp_path, settings
):
    # given a backup of the live database and evidence files
    backup = tmp_path / "backup"
    out = StringIO()
    call_command("backup", output=str(backup), stdout=out)
    manifest = json.loads((backup / "manifest.json").read_text())
    assert len(manifest["files"]) == 3
    assert manifest["migrations"]["evidence"]
    source_summary = StringIO()
    call_command("verify_evidence", stdout=source_summary)

    # when it is restored on a fresh machine: a new database, an empty evidence store
    restored_files = tmp_path / "restored-evidence"
    run = {"database_url": fresh_database, "evidence_root": restored_files, "settings": settings}
    restore = manage("restore", "--input", str(backup), **run)
    assert restore.returncode == 0, restore.stderr
    assert "3 evidence files" in restore.stdout

    # then the evidence log verifies there, record for record, checkpoint for checkpoint
    verify = manage("verify_evidence", **run)
    assert verify.returncode == 0, verify.stderr
    assert verify.stdout.strip() == source_summary.getvalue().strip()
    assert "1 checkpoints" in verify.stdout
    one = manage("verify_evidence", "--complaint", complaints_with_evidence[1].reference, **run)
    assert one.returncode == 0, one.stderr
    # and nothing is left for migrate to do
    plan = manage("migrate", "--check", "--plan", **run)
    assert plan.returncode == 0, plan.stdout + plan.stderr


@transactional
def test_restore_refuses_a_tampered_backup_and_changes_nothing(
    complaints_with_evidence, fresh_database, tmp_path, settings
):
    backup = tmp_path / "backup"
    call_command("backup", output=str(backup), stdout=StringIO())
    # given one evidence file altered inside the backup
    entry = json.loads((backup / "manifest.json").read_text())["files"][1]
    damaged = backup / entry["path"]
    damaged.write_bytes(damaged.read_bytes()[:-1] + b"X")

    restored_files = tmp_path / "restored-evidence"
    run = {"database_url": fresh_database, "evidence_root": restored_files, "settings": settings}
    restore = manage("restore", "--input", str(backup), **run)

    # then restore exits non-zero naming the file, and restored nothing at all
    assert restore.returncode != 0
    assert entry["path"] in restore.stderr
    assert "damaged" in restore.stderr and "Nothing was changed" in restore.stderr
    assert not restored_files.exists() or not any(restored_files.rglob("*"))
    tables = manage(
        "shell",
        "--no-imports",
        "-c",
        "from django.db import connection; print(len(connection.introspection.table_names()))",
        **run,
    )
    assert tables.stdout.strip() == "0", tables.stderr


@transactional
def test_restore_refuses_a_damaged_database_dump(tmp_path):
    backup = tmp_path / "backup"
    call_command("backup", output=str(backup), stdout=StringIO())
    dump = backup / json.loads((backup / "manifest.json").read_text())["database"]["file"]
    with dump.open("ab") as handle:
        handle.write(b"\0")
    with pytest.raises(CommandError, match=dump.name):
        call_command("restore", input=str(backup), stdout=StringIO())


@transactional
def test_restore_refuses_a_database_that_is_not_empty(tmp_path):
    backup = tmp_path / "backup"
    call_command("backup", output=str(backup), stdout=StringIO())
    # when restoring over the live database without --force
    with pytest.raises(CommandError, match="not empty"):
        call_command("restore", input=str(backup), stdout=StringIO())


@transactional
def test_restore_refuses_a_manifest_pointing_outside_the_backup(tmp_path):
    backup = tmp_path / "backup"
    call_command("backup", output=str(backup), stdout=StringIO())
    manifest = json.loads((backup / "manifest.json").read_text())
    manifest["files"].append(
        {"path": "../../etc/passwd", "name": "evidence/x", "sha256": "0" * 64, "size": 1}
    )
    (backup / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(CommandError, match="outside the backup"):
        call_command("restore", input=str(backup), stdout=StringIO())


@pytest.mark.django_db
def test_backup_refuses_a_directory_that_is_not_empty(tmp_path):
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "something").write_text("x")
    with pytest.raises(CommandError, match="not empty"):
        call_command("backup", output=str(tmp_path / "old"), stdout=StringIO())
