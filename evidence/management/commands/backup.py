"""Back up the database and the evidence files into a directory, with a manifest of hashes.

The directory holds `database.dump` (PostgreSQL, `pg_dump --format=custom`) or
`database.sqlite3` (SQLite's online backup API), `files/<storage name>` for every
file of the evidence storage, and `manifest.json` last: the SHA-256 and size of each
of them, the applied migrations and the time. A directory without `manifest.json` is
an unfinished backup. `restore` checks every hash before it changes anything.

The database is dumped first, then the files: evidence files are written before the
records that name them commit and are never overwritten, so every record in the dump
finds its file in the copy (a purge running in between can remove one; the restored
`verify_evidence` then names it).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from django.core.files.storage import storages
from django.core.management.base import BaseCommand, CommandError
from django.db import connections
from django.db.migrations.recorder import MigrationRecorder

FORMAT = "weiquan-backup"
VERSION = 1
MANIFEST = "manifest.json"
FILES_DIR = "files"
# Evidence files live under this prefix (evidence/storage.py); /readyz probes do not.
EVIDENCE_PREFIX = "evidence"
CHUNK = 1024 * 1024


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def postgres_env(settings_dict: dict) -> dict[str, str]:
    """libpq's environment for the database Django is configured with (DATABASE_URL)."""
    env = dict(os.environ)
    for key, variable in (
        ("HOST", "PGHOST"),
        ("PORT", "PGPORT"),
        ("USER", "PGUSER"),
        ("PASSWORD", "PGPASSWORD"),
        ("NAME", "PGDATABASE"),
    ):
        if settings_dict.get(key):
            env[variable] = str(settings_dict[key])
    options = settings_dict.get("OPTIONS") or {}
    for option, variable in (
        ("sslmode", "PGSSLMODE"),
        ("sslrootcert", "PGSSLROOTCERT"),
        ("connect_timeout", "PGCONNECT_TIMEOUT"),
    ):
        if options.get(option):
            env[variable] = str(options[option])
    return env


def pg_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise CommandError(
            f"{name} is not installed. Debian: apt-get install postgresql-client "
            "(its major version must be at least the server's)."
        )
    return path


def walk(storage, directory: str):
    """Every file name under `directory` of a Django storage (local disk or S3)."""
    try:
        directories, files = storage.listdir(directory)
    except FileNotFoundError:
        return
    for name in sorted(files):
        yield f"{directory}/{name}"
    for name in sorted(directories):
        yield from walk(storage, f"{directory}/{name}")


class Command(BaseCommand):
    help = (
        "Back up the database and the evidence files into a new directory with a "
        "manifest.json of SHA-256 hashes (restore checks them before changing anything)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--output", required=True, metavar="DIR", help="A new or empty directory."
        )
        parser.add_argument("--database", default="default", help="Database alias (default).")

    def handle(self, *args, **options):
        output = Path(options["output"])
        if output.exists() and any(output.iterdir()):
            raise CommandError(f"{output} is not empty: back up into a new directory.")
        output.mkdir(parents=True, exist_ok=True)
        connection = connections[options["database"]]
        started = datetime.now(UTC)

        database = self._dump(connection, output)
        files = self._copy_files(output)
        recorder = MigrationRecorder(connection)
        migrations: dict[str, list[str]] = {}
        for app, name in sorted(recorder.applied_migrations()):
            migrations.setdefault(app, []).append(name)

        manifest = {
            "format": FORMAT,
            "version": VERSION,
            "created_at": started.isoformat().replace("+00:00", "Z"),
            "finished_at": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            "database": database,
            "migrations": migrations,
            "files": files,
        }
        # Written last, through a temporary name: its presence means the backup is whole.
        partial = output / (MANIFEST + ".partial")
        partial.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
        partial.replace(output / MANIFEST)
        total = database["size"] + sum(entry["size"] for entry in files)
        self.stdout.write(
            f"Backed up the {database['vendor']} database ({database['size']} bytes) and "
            f"{len(files)} evidence files ({total} bytes in all) to {output}"
        )

    def _dump(self, connection, output: Path) -> dict:
        if connection.vendor == "postgresql":
            target = output / "database.dump"
            # The server's major version must not be newer than pg_dump's; pg_dump says so.
            result = subprocess.run(  # noqa: S603 - fixed arguments, our own paths
                [
                    pg_tool("pg_dump"),
                    "--format=custom",
                    "--no-password",
                    f"--file={target}",
                ],
                env=postgres_env(connection.settings_dict),
                capture_output=True,
                text=True,
            )
            if result.returncode != 0:
                raise CommandError(f"pg_dump failed: {result.stderr.strip()}")
        elif connection.vendor == "sqlite":
            target = output / "database.sqlite3"
            connection.ensure_connection()
            # The online backup API: a consistent copy while others keep writing.
            with sqlite3.connect(target) as copy:
                connection.connection.backup(copy)
            copy.close()
        else:
            raise CommandError(f"Cannot back up a {connection.vendor} database.")
        return {
            "vendor": connection.vendor,
            "file": target.name,
            "sha256": sha256_of(target),
            "size": target.stat().st_size,
        }

    def _copy_files(self, output: Path) -> list[dict]:
        storage = storages["evidence"]
        entries = []
        for name in walk(storage, EVIDENCE_PREFIX):
            target = output / FILES_DIR / name
            target.parent.mkdir(parents=True, exist_ok=True)
            digest = hashlib.sha256()
            size = 0
            with storage.open(name, "rb") as source, target.open("wb") as copy:
                for chunk in iter(lambda source=source: source.read(CHUNK), b""):
                    digest.update(chunk)
                    copy.write(chunk)
                    size += len(chunk)
            sha256 = digest.hexdigest()
            if sha256 != name.rsplit("/", 1)[-1]:
                # Stored by hash: a file whose bytes differ from its name is damaged.
                # Copied as it is (the backup keeps what there is), and said loudly.
                self.stderr.write(f"WARNING: {name} does not match its hash (sha256 {sha256})")
            entries.append(
                {
                    "path": f"{FILES_DIR}/{name}",
                    "name": name,
                    "sha256": sha256,
                    "size": size,
                }
            )
        return entries
