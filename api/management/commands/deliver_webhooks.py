"""Deliver the webhook messages that are due now (the Celery task runs the same code)."""

import time

from django.core.management.base import BaseCommand

from api.webhooks.delivery import BATCH, deliver_due


class Command(BaseCommand):
    help = "Deliver due webhook messages: one pass with --once, else every few seconds."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="one pass, then exit")
        parser.add_argument(
            "--interval",
            type=float,
            default=5.0,
            metavar="SECONDS",
            help="pause between passes when looping (default 5)",
        )

    def handle(self, *args, **options):
        self._once = options["once"]
        if self._once:
            self._pass()
            return
        try:
            while True:
                # A full batch means more may be waiting: go again without pausing.
                if self._pass().attempted < BATCH:
                    time.sleep(options["interval"])
        except KeyboardInterrupt:
            self.stdout.write("Stopped.")

    def _pass(self):
        outcome = deliver_due()
        if outcome.attempted or self.verbosity > 1 or self._once:
            self.stdout.write(f"Attempted {outcome.attempted}, delivered {outcome.delivered}.")
        return outcome
