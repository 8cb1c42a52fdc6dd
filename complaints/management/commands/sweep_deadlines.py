"""Apply every deadline passed by now, or by --as-of; running it again changes nothing."""

import re
from datetime import datetime, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from complaints.sweep import RULES, sweep_deadlines

# Date and time are both required: a bare date would silently mean midnight.
ISO_DATETIME_RE = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})?"
)


# Clocks of the machine that asks and the one that runs may differ a little.
FUTURE_TOLERANCE = timedelta(minutes=5)


def parse_as_of(value: str) -> datetime:
    """Parse an ISO 8601 date and time; a naive one is in the centre's time zone."""
    text = value.strip()
    if not ISO_DATETIME_RE.fullmatch(text):
        raise CommandError(
            f"--as-of must be an ISO 8601 date and time, e.g. 2026-11-26T09:30 or "
            f"2026-11-26T01:30:00Z (got {value!r})."
        )
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(f"--as-of: {exc}.") from None
    # Years near 1 and 9999 overflow once converted to UTC; none is meaningful here.
    if not 2000 <= moment.year <= 2999:
        raise CommandError(f"--as-of must be between the years 2000 and 2999 (got {value!r}).")
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, timezone.get_default_timezone())
    return moment


class Command(BaseCommand):
    help = "Apply every deadline passed by now (or by --as-of); idempotent."

    def add_arguments(self, parser):
        parser.add_argument(
            "--as-of",
            metavar="ISO_DATETIME",
            help="apply deadlines passed by this time instead of now "
            "(without an offset it is read in TIME_ZONE, Asia/Shanghai)",
        )

    def handle(self, *args, **options):
        as_of = options["as_of"]
        now = parse_as_of(as_of) if as_of is not None else timezone.now()
        if now > timezone.now() + FUTURE_TOLERANCE:
            # Applying a deadline before it passes would close live cases early.
            raise CommandError(
                f"--as-of {as_of} is in the future: deadlines are applied once they pass."
            )
        # No transaction around the sweep: it commits batch by batch, so that several
        # sweeps can share the work through SKIP LOCKED and a crash loses one batch only.
        done = sweep_deadlines(now=now)
        self.stdout.write(f"Deadlines passed by {timezone.localtime(now).isoformat()}:")
        for rule in RULES:
            self.stdout.write(f"  {rule.name}: {done[rule.name]}")
        if done["failed"]:
            self.stdout.write(self.style.WARNING(f"  failed: {done['failed']} (see the log)"))
        total = sum(done[rule.name] for rule in RULES)
        self.stdout.write(f"Total: {total}")
