"""`rebuild_statistics`: recompute the summary tables from every complaint event."""

from django.core.management.base import BaseCommand

from reporting.rebuild import statistics_rebuild


class Command(BaseCommand):
    help = "Recompute the statistics tables from the complaints and their events, from scratch."

    def handle(self, *args, **options):
        cells = statistics_rebuild()
        self.stdout.write(f"Rebuilt {cells} statistics cells.")
