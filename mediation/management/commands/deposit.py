"""Record a guarantee deposit (保证金缴存) for a platform and print the new balance."""

import re

from django.core.management.base import BaseCommand, CommandError

from complaints.exceptions import DomainValidationError
from complaints.models import Platform
from mediation.models import GuaranteeDepositEntry, deposit_balance
from mediation.services import guarantee_deposit_record

# Plain yuan to the fen: no exponent, sign, separators or float spellings.
AMOUNT_RE = re.compile(r"\d{1,10}(\.\d{1,2})?")


class Command(BaseCommand):
    help = "Record a guarantee deposit of AMOUNT yuan (e.g. 50000.00) for platform CODE."

    def add_arguments(self, parser):
        parser.add_argument("code", help="the platform's code")
        parser.add_argument("amount", help="yuan, a positive decimal with at most 2 places")
        parser.add_argument("--reference", default="", metavar="REF", help="bank voucher number")
        parser.add_argument("--reason", default="", metavar="TEXT", help="a note on the entry")

    def handle(self, *args, **options):
        code = options["code"].strip()
        platform = Platform.objects.filter(code=code).first()
        if platform is None:
            raise CommandError(f"No platform has the code '{code}'.")
        amount = options["amount"].strip()
        # Parsed from the text as a Decimal, never through a float.
        if not AMOUNT_RE.fullmatch(amount):
            raise CommandError(
                f"AMOUNT must be a positive decimal with at most 2 places, e.g. 50000.00 "
                f"(got {options['amount']!r})."
            )
        try:
            entry = guarantee_deposit_record(
                platform=platform,
                amount=amount,
                kind=GuaranteeDepositEntry.Kind.DEPOSIT,
                reason=options["reason"],
                reference=options["reference"],
                actor_user=None,
            )
        except DomainValidationError as exc:
            raise CommandError(exc.describe()) from None
        self.stdout.write(
            self.style.SUCCESS(f"Deposited {entry.amount} yuan for {platform.name} ({code}).")
        )
        self.stdout.write(f"Balance: {deposit_balance(platform)} yuan")
