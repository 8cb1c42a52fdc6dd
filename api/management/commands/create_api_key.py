"""Issue a new API key for a platform; the key is printed once, on the last line."""

from django.core.management.base import BaseCommand, CommandError

from api.keys import api_key_create
from complaints.exceptions import DomainValidationError
from complaints.models import Platform


class Command(BaseCommand):
    help = "Create an API key for platform CODE and print it once, alone on the last line."

    def add_arguments(self, parser):
        parser.add_argument("code", help="the platform's code")
        parser.add_argument("--name", default="", metavar="LABEL", help="what the key is for")

    def handle(self, *args, **options):
        code = options["code"].strip()
        platform = Platform.objects.filter(code=code).first()
        if platform is None:
            raise CommandError(f"No platform has the code '{code}'.")
        if not platform.is_active:
            raise CommandError(f"The platform '{code}' is not active.")
        try:
            key, raw = api_key_create(platform=platform, name=options["name"])
        except DomainValidationError as exc:
            raise CommandError(f"--{exc.describe()}") from None
        self.stdout.write(
            f"API key {key.prefix} for {platform.name} ({platform.code}). "
            "Store it now: it is not shown again."
        )
        # Alone on the last line, so scripts can take it with `tail -n 1`.
        self.stdout.write(raw)
