"""Recompute every content hash, record hash, chain link, leaf and checkpoint."""

from django.core.management.base import BaseCommand, CommandError

from complaints.models import Complaint
from evidence.verification import verify_all


class Command(BaseCommand):
    help = (
        "Verify the evidence log (or one complaint's chain); exits non-zero and names the "
        "first broken record or checkpoint."
    )

    def add_arguments(self, parser):
        parser.add_argument("--complaint", metavar="REFERENCE", help="Only this complaint's chain.")
        parser.add_argument(
            "--skip-contents", action="store_true", help="Do not re-hash stored contents."
        )

    def handle(self, *args, **options):
        complaint_id = None
        if options["complaint"] is not None:
            complaint_id = (
                Complaint.objects.filter(reference=options["complaint"])
                .values_list("pk", flat=True)
                .first()
            )
            if complaint_id is None:
                raise CommandError(f"No complaint {options['complaint']}.")
        report = verify_all(complaint_id=complaint_id, contents=not options["skip_contents"])
        summary = (
            f"{report.records} records in {report.chains} chains, {report.leaves} leaves, "
            f"{report.checkpoints} checkpoints, {report.purged} purged contents"
        )
        if not report.ok:
            problem = report.first_problem
            where = ", ".join(f"{k}={v}" for k, v in problem.as_dict().items() if k != "detail")
            raise CommandError(f"BROKEN ({problem.check}): {problem.detail} [{where}]; {summary}")
        self.stdout.write(f"OK: {summary}")
