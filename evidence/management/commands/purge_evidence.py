"""Purge the evidence contents of cases past retention and not on hold; hashes stay."""

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from complaints.exceptions import WeiquanError
from complaints.management.commands.sweep_deadlines import parse_as_of
from evidence.retention import evidence_purge_due


class Command(BaseCommand):
    help = (
        "Remove the evidence contents of closed cases whose retention has passed and that "
        "no legal hold keeps; records and hashes stay (tombstones). Idempotent."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="list what would be purged, change nothing"
        )
        parser.add_argument(
            "--as-of",
            metavar="ISO_DATETIME",
            help="purge what is due by this time instead of now; only a dry run may look "
            "ahead (without an offset it is read in TIME_ZONE, Asia/Shanghai)",
        )

    def handle(self, *args, **options):
        as_of = options["as_of"]
        now = parse_as_of(as_of) if as_of is not None else timezone.now()
        dry_run = options["dry_run"]
        try:
            summary = evidence_purge_due(now=now, dry_run=dry_run)
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from None
        except WeiquanError as exc:
            if getattr(exc, "errors", None) and "now" in exc.errors:
                raise CommandError(
                    f"--as-of {as_of} is in the future: only --dry-run may look ahead."
                ) from None
            raise CommandError(exc.message) from None
        verb = "would purge" if dry_run else "purged"
        when = timezone.localtime(now).isoformat()
        self.stdout.write(f"Evidence due for purging by {when}{' (dry run)' if dry_run else ''}:")
        for case in summary.purged:
            self.stdout.write(
                f"  {verb} {case.reference}: {case.records} records, "
                f"{case.contents_removed} contents removed, "
                f"{case.contents_shared} kept (shared with a retained case)"
            )
        for reference in summary.held:
            self.stdout.write(f"  kept {reference}: under legal hold")
        self.stdout.write(
            f"Total: {len(summary.purged)} {verb}, {len(summary.held)} under legal hold"
        )
        if summary.failed:
            raise CommandError(
                f"{len(summary.failed)} failed and were left as they were (see the log): "
                + ", ".join(summary.failed)
            )
