"""Register a platform operator (平台经营者)."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError, transaction

from complaints.exceptions import DomainValidationError
from complaints.models import Platform
from complaints.money import parse_amount


class Command(BaseCommand):
    help = (
        "Register a platform; a compensation cap also records an advance-compensation commitment."
    )

    def add_arguments(self, parser):
        parser.add_argument("code", help="short code, e.g. shop (letters, digits, - and _)")
        parser.add_argument("--name", required=True, help="the platform's name")
        parser.add_argument(
            "--advance-compensation-cap",
            metavar="YUAN",
            help="commit to advance compensation (先行赔付) up to this much per complaint",
        )
        parser.add_argument(
            "--response-days",
            type=int,
            default=10,
            metavar="N",
            help="working days the platform has to answer a complaint (1-30, default 10)",
        )
        parser.add_argument("--notice-email", default="", metavar="E", help="where notices go")

    def handle(self, *args, **options):
        code = options["code"].strip()
        if Platform.objects.filter(code=code).exists():
            raise CommandError(f"A platform with the code '{code}' already exists.")
        days = options["response_days"]
        if not 1 <= days <= 30:
            raise CommandError("--response-days must be between 1 and 30.")
        cap = None
        if options["advance_compensation_cap"] is not None:
            try:
                cap = parse_amount(options["advance_compensation_cap"], "advance_compensation_cap")
            except DomainValidationError as exc:
                raise CommandError(f"--advance-compensation-cap: {_first(exc.errors)}") from None
            if cap <= 0:
                raise CommandError("--advance-compensation-cap must be more than zero.")
        platform = Platform(
            code=code,
            name=options["name"].strip(),
            response_days=days,
            advance_compensation_committed=cap is not None,
            advance_compensation_cap=cap,
            notice_email=options["notice_email"].strip(),
        )
        try:
            platform.full_clean()
        except ValidationError as exc:
            raise CommandError(_describe(exc)) from None
        try:
            with transaction.atomic():
                platform.save()
        except IntegrityError:  # registered by someone else since the check above
            raise CommandError(f"A platform with the code '{code}' already exists.") from None
        commitment = f", advance compensation up to {cap} yuan" if cap is not None else ""
        self.stdout.write(
            self.style.SUCCESS(
                f"Created platform {platform.code} ({platform.name}): "
                f"{platform.response_days} working days to respond{commitment}."
            )
        )


def _first(errors: dict[str, list[str]]) -> str:
    return "; ".join(m for messages in errors.values() for m in messages)


def _describe(exc: ValidationError) -> str:
    return "; ".join(
        f"{field}: {' '.join(str(m) for m in messages)}"
        for field, messages in exc.message_dict.items()
    )
