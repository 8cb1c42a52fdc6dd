"""Restore a `backup` directory: check every hash first, then the database, then the files.

Nothing is changed unless every file named in `manifest.json` is there with its
size and SHA-256. The database of DATABASE_URL must be empty (a new database)
unless `--force`; PostgreSQL is restored with `pg_restore --no-owner
--exit-on-error --single-transaction`, so a failed restore leaves nothing half
done. Then run `migrate` (if this release is newer) and `verify_evidence`.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import subprocess
from pathlib import Path, PurePosixPath

from django.core.files import File
from django.core.files.storage import storages
from django.core.management.base import BaseCommand, CommandError
from django.db import connections
from django.db.migrations.loader import MigrationLoader

from evidence.management.commands.backup import (
    FORMAT,
    MANIFEST,
    VERSION,
    pg_tool,
    postgres_env,
    sha256_of,
)


def _inside(root: Path, relative: str) -> Path:
    """`relative` under `root`; a manifest must not point outside its backup."""
    pure = PurePosixPath(relative)
    if pure.is_absolute() or ".." in pure.parts or not pure.parts:
        raise CommandError(f"The manifest names a path outside the backup: {relative!r}")
    return root.joinpath(*pure.parts)


class Command(BaseCommand):
    help = (
        "Restore a backup made by `backup`: verify every SHA-256 in its manifest, then "
        "restore the database (which must be empty unless --force) and the evidence files."
    )

    def add_arguments(self, parser):
        parser.add_argument("--input", required=True, metavar="DIR", help="A backup directory.")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Restore into a database that already has tables (PostgreSQL: "
            "pg_restore --clean drops the objects the dump recreates).",
        )
        parser.add_argument("--database", default="default", help="Database alias (default).")

    def handle(self, *args, **options):
        root = Path(options["input"])
        manifest = self._manifest(root)
        connection = connections[options["database"]]

        self._verify(root, manifest)
        self._check_compatible(manifest, connection, force=options["force"])
        self._restore_database(root, manifest, connection, force=options["force"])
        restored, present = self._restore_files(root, manifest)
        self.stdout.write(
            f"Restored the database from {manifest['created_at']} and "
            f"{restored} evidence files ({present} were already there). "
            "Next: python manage.py migrate && python manage.py verify_evidence"
        )

    def _manifest(self, root: Path) -> dict:
        path = root / MANIFEST
        if not path.is_file():
            raise CommandError(f"{path} is missing: not a backup, or an unfinished one.")
        try:
            manifest = json.loads(path.read_text())
        except ValueError as exc:
            raise CommandError(f"{path} is not valid JSON: {exc}") from None
        if manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
            raise CommandError(f"{path} is not a {FORMAT} version {VERSION} manifest.")
        return manifest

    def _verify(self, root: Path, manifest: dict) -> None:
        """Every file of the manifest, with its size and hash, before anything changes."""
        entries = [{"path": manifest["database"]["file"], **manifest["database"]}]
        entries += manifest["files"]
        problems = []
        for entry in entries:
            path = _inside(root, entry["path"])
            if not path.is_file():
                problems.append(f"{entry['path']} is missing")
                continue
            actual = sha256_of(path)
            if actual != entry["sha256"] or path.stat().st_size != entry["size"]:
                problems.append(
                    f"{entry['path']} has sha256 {actual}, the manifest says {entry['sha256']}"
                )
        if problems:
            shown = "; ".join(problems[:10])
            more = f" (and {len(problems) - 10} more)" if len(problems) > 10 else ""
            raise CommandError(
                f"Refusing to restore: the backup in {root} is damaged: {shown}{more}. "
                "Nothing was changed."
            )

    def _check_compatible(self, manifest: dict, connection, *, force: bool) -> None:
        vendor = manifest["database"]["vendor"]
        if vendor != connection.vendor:
            raise CommandError(
                f"The backup holds a {vendor} database; DATABASE_URL is {connection.vendor}."
            )
        known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
        applied = {(app, name) for app, names in manifest["migrations"].items() for name in names}
        unknown = sorted(applied - known)
        if unknown and not force:
            listed = ", ".join(f"{app}.{name}" for app, name in unknown[:5])
            raise CommandError(
                f"The backup was made by a newer release (migrations unknown here: {listed}). "
                "Restore with that release, or pass --force."
            )
        if connection.introspection.table_names() and not force:
            raise CommandError(
                f"The database '{connection.settings_dict['NAME']}' is not empty. Restore "
                "into a new database, or pass --force to replace what the backup contains."
            )

    def _restore_database(self, root: Path, manifest: dict, connection, *, force: bool) -> None:
        dump = root / manifest["database"]["file"]
        if connection.vendor == "postgresql":
            connection.close()
            command = [
                pg_tool("pg_restore"),
                "--no-owner",
                "--exit-on-error",
                "--single-transaction",
                "--no-password",
                f"--dbname={connection.settings_dict['NAME']}",
            ]
            if force:
                command += ["--clean", "--if-exists"]
            result = subprocess.run(  # noqa: S603 - fixed arguments, our own paths
                [*command, str(dump)],
                env=postgres_env(connection.settings_dict),
                capture_output=True,
                text=True,
            )
            if result.returncode != 0:
                raise CommandError(
                    f"pg_restore failed (nothing was restored): {result.stderr.strip()}"
                )
        else:
            connection.ensure_connection()
            with sqlite3.connect(dump) as source:
                source.backup(connection.connection)
            source.close()

    def _restore_files(self, root: Path, manifest: dict) -> tuple[int, int]:
        storage = storages["evidence"]
        restored = present = 0
        for entry in manifest["files"]:
            name = entry["name"]
            _inside(root, name)  # the storage name must be as tame as the path
            if storage.exists(name):
                if self._stored_sha256(storage, name) == entry["sha256"]:
                    present += 1
                    continue
                storage.delete(name)  # damaged in place: the backup's copy is verified
            with _inside(root, entry["path"]).open("rb") as handle:
                saved = storage.save(name, File(handle))
            if saved != name:
                raise CommandError(f"The evidence storage stored {name} as {saved}.")
            restored += 1
        return restored, present

    @staticmethod
    def _stored_sha256(storage, name: str) -> str:
        digest = hashlib.sha256()
        with storage.open(name, "rb") as handle:
            for chunk in iter(lambda: handle.read(1024 * 1024), b""):
                digest.update(chunk)
        return digest.hexdigest()
