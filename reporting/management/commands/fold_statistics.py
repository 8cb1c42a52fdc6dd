"""`fold_statistics`: add the pending statistics journal to the counters now.

Celery beat does this every STATISTICS_FOLD_SECONDS; the command is for a deployment
that runs it as its own process (`--every`), and for an operator who wants the
figures folded at once (after a restore, say).
"""

import time

from django.core.management.base import BaseCommand, CommandError

from reporting.counters import statistics_fold_all


class Command(BaseCommand):
    help = "Add the pending statistics journal rows to the statistics tables."

    def add_arguments(self, parser):
        parser.add_argument(
            "--every",
            type=float,
            metavar="SECONDS",
            help="keep folding, this many seconds apart, until interrupted",
        )

    def handle(self, *args, every: float | None = None, **options):
        if every is not None and every <= 0:
            raise CommandError("--every must be a positive number of seconds.")
        while True:
            folded = statistics_fold_all()
            self.stdout.write(f"Folded {folded} statistics journal rows.")
            if every is None:
                return
            time.sleep(every)
