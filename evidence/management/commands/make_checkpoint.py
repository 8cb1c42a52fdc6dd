"""Sequence new evidence records and sign a checkpoint over the whole log."""

from django.core.management.base import BaseCommand, CommandError

from evidence import merkle, notes
from evidence.log import checkpoint_create, log_origin, public_key


class Command(BaseCommand):
    help = "Sequence new evidence records and sign a checkpoint (C2SP signed note)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--public-key",
            action="store_true",
            help="Print the verifier key and PEM, no checkpoint.",
        )

    def handle(self, *args, **options):
        if options["public_key"]:
            key = public_key()
            self.stdout.write(notes.verifier_key(log_origin(), key))
            self.stdout.write(notes.public_key_pem(key).decode())
            return
        try:
            checkpoint = checkpoint_create()
        except merkle.InvalidProof as exc:
            raise CommandError(
                f"The log is not consistent with the last checkpoint ({exc}); "
                "nothing was signed. Run verify_evidence to find the broken record."
            ) from None
        self.stdout.write(
            f"checkpoint {checkpoint.pk}: {checkpoint.tree_size} records, "
            f"root {checkpoint.root_hash}"
        )
        self.stdout.write(checkpoint.note)
