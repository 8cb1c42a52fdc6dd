"""Re-encrypt personal data with the newest key (the first of PERSONAL_DATA_KEYS).

Rotation (docs/operations.md, key rotation): generate a key (`--generate-key`), put
it first in PERSONAL_DATA_KEYS with the old keys after it, restart, run this command,
then `--check` until it reports nothing left on an older key; only then may the old
key be removed. Values still in plain text (written before encryption) are encrypted
too. `--rehash` recomputes the phone lookup hashes after PERSONAL_DATA_HASH_KEY
changed (until it has run, finding a user by phone misses the rows not yet done).
Idempotent; rows are locked a batch at a time, so the service can keep running.
"""

from __future__ import annotations

from collections import Counter

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, models, transaction
from django.db.models import Q

from complaints import encryption
from complaints.fields import EncryptedTextField
from complaints.models import User

BATCH = 500


def encrypted_fields() -> list[tuple[type[models.Model], list[str]]]:
    """Every model with encrypted fields, and those fields' names."""
    found = []
    for model in apps.get_models():
        names = [f.name for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
        if names:
            found.append((model, names))
    return found


def stale_q(names: list[str], prefix: str) -> Q:
    """Rows with a value in any of `names` that is not sealed with the newest key."""
    q = Q()
    for name in names:
        q |= ~Q(**{name: ""}) & ~Q(**{f"{name}__startswith": prefix})
    return q


class Command(BaseCommand):
    help = "Re-encrypt personal data with the first key of PERSONAL_DATA_KEYS."

    def add_arguments(self, parser):
        parser.add_argument(
            "--check",
            action="store_true",
            help="Change nothing: count the values per key; exit 1 if any is on an older key.",
        )
        parser.add_argument(
            "--rehash",
            action="store_true",
            help="Also recompute every phone lookup hash (after PERSONAL_DATA_HASH_KEY changed).",
        )
        parser.add_argument(
            "--generate-key",
            action="store_true",
            help="Print a new random key for PERSONAL_DATA_KEYS or PERSONAL_DATA_HASH_KEY.",
        )

    def handle(self, *args, check=False, rehash=False, generate_key=False, **options):
        if generate_key:
            self.stdout.write(encryption.generate_key())
            return
        try:
            ring = encryption.keyring()
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from None
        prefix = encryption.current_key_prefix()
        if check:
            self._check(prefix, ring.current_id)
            return
        total = 0
        for model, names in encrypted_fields():
            total += self._rotate(model, names, prefix)
        hashed = self._rehash() if rehash else 0
        self.stdout.write(
            f"Re-encrypted {total} row(s) with key {ring.current_id}"
            + (f"; recomputed {hashed} phone lookup hash(es)" if rehash else "")
            + "."
        )

    def _rotate(self, model: type[models.Model], names: list[str], prefix: str) -> int:
        done = 0
        while True:
            with transaction.atomic():
                # Each batch re-selects what is still stale, so a re-run (or a second
                # copy running) only finds what is left.
                batch = list(
                    model._default_manager.select_for_update()
                    .filter(stale_q(names, prefix))
                    .order_by("pk")[:BATCH]
                )
                for obj in batch:
                    # Reading decrypted each value with whichever key sealed it; saving
                    # seals it with the newest (User.save keeps phone_hash in step).
                    obj.save(update_fields=names)
            done += len(batch)
            if len(batch) < BATCH:
                return done

    def _rehash(self) -> int:
        done = 0
        users = User.objects.exclude(phone="").order_by("pk").values_list("pk", flat=True)
        for pk in users.iterator(chunk_size=BATCH):
            with transaction.atomic():
                user = User.objects.select_for_update().only("pk", "phone", "phone_hash").get(pk=pk)
                digest = encryption.phone_lookup_hash(user.phone)
                if digest != user.phone_hash:
                    User.objects.filter(pk=pk).update(phone_hash=digest)
                    done += 1
        return done

    def _check(self, prefix: str, current: str) -> None:
        per_key: Counter[str] = Counter()
        for model, names in encrypted_fields():
            for name in names:
                # The raw column: the key id is in the stored text, no decryption needed.
                column = model._meta.get_field(name).column
                table = model._meta.db_table
                with connection.cursor() as cursor:
                    cursor.execute(
                        f"SELECT {column} FROM {table} WHERE {column} <> ''"  # noqa: S608
                    )
                    while rows := cursor.fetchmany(BATCH):
                        for (stored,) in rows:
                            per_key[encryption.encrypted_with(stored) or "plain text"] += 1
        for kid, count in sorted(per_key.items()):
            marker = " (newest)" if kid == current else ""
            self.stdout.write(f"{kid}{marker}: {count}")
        stale = sum(count for kid, count in per_key.items() if kid != current)
        if stale:
            raise CommandError(
                f"{stale} value(s) are not on the newest key {current}: "
                "run rotate_personal_data_key before removing an older key."
            )
        self.stdout.write(f"Every value is on the newest key {current}.")
