"""Create an account for a consumer, staff member, mediator, regulator or platform user."""

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError, transaction

from complaints.choices import Category, Role
from complaints.models import Platform, Region, User
from complaints.validators import validate_region_prefix

ROLES = [r for r in Role.values if r != Role.SYSTEM]


class Command(BaseCommand):
    help = "Create a user with a role; the password must pass the configured validators."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=ROLES)
        parser.add_argument("--password", required=True, metavar="PW")
        parser.add_argument(
            "--region",
            default="",
            metavar="PREFIX",
            help="regulators: the GB/T 2260 code prefix (2, 4 or 6 digits) of their remit",
        )
        parser.add_argument(
            "--platform",
            default="",
            metavar="CODE",
            help="platform users: the platform they act for",
        )
        parser.add_argument("--email", default="", metavar="E")
        parser.add_argument("--name", default="", metavar="DISPLAY", help="display name")
        parser.add_argument(
            "--categories",
            default="",
            metavar="C1,C2",
            help=f"mediators: categories handled (default all): {', '.join(Category.values)}",
        )

    def handle(self, *args, **options):
        username = options["username"].strip()
        role = options["role"]
        region = options["region"].strip()
        platform_code = options["platform"].strip()
        categories = [c.strip() for c in options["categories"].split(",") if c.strip()]

        if User.objects.filter(username=username).exists():
            raise CommandError(f"A user named '{username}' already exists.")
        user = User(
            username=username,
            role=role,
            email=options["email"].strip(),
            display_name=options["name"].strip(),
            # Staff work in the admin; none of these accounts is a superuser.
            is_staff=role == Role.STAFF,
        )

        if role == Role.REGULATOR:
            if not region:
                raise CommandError("A regulator needs --region (a 2, 4 or 6 digit code prefix).")
            try:
                validate_region_prefix(region)
            except ValidationError:
                raise CommandError("--region must be 2, 4 or 6 digits, e.g. 31 or 3101.") from None
            if not Region.objects.filter(code=region).exists():
                raise CommandError(f"--region: no GB/T 2260 division has the code {region}.")
            user.region_prefix = region
        elif region:
            raise CommandError("--region applies only to regulators.")

        if role == Role.PLATFORM:
            if not platform_code:
                raise CommandError("A platform user needs --platform CODE.")
            platform = Platform.objects.filter(code=platform_code).first()
            if platform is None:
                raise CommandError(f"--platform: no platform has the code '{platform_code}'.")
            user.platform = platform
        elif platform_code:
            raise CommandError("--platform applies only to platform users.")

        if categories:
            if role != Role.MEDIATOR:
                raise CommandError("--categories applies only to mediators.")
            unknown = sorted(set(categories) - set(Category.values))
            if unknown:
                raise CommandError(
                    f"--categories: unknown {', '.join(unknown)}; "
                    f"choose from {', '.join(Category.values)}."
                )
            user.mediator_categories = list(dict.fromkeys(categories))

        try:
            # With the user's own attributes, so a password like the username is refused.
            validate_password(options["password"], user=user)
        except ValidationError as exc:
            raise CommandError("Password refused: " + " ".join(exc.messages)) from None
        user.set_password(options["password"])
        try:
            user.full_clean()
        except ValidationError as exc:
            raise CommandError(
                "; ".join(f"{f}: {' '.join(m)}" for f, m in exc.message_dict.items())
            ) from None
        try:
            with transaction.atomic():
                user.save()
        except IntegrityError:  # created by someone else since the check above
            raise CommandError(f"A user named '{username}' already exists.") from None
        scope = {
            Role.REGULATOR: f", region {region}",
            Role.PLATFORM: f", platform {platform_code}",
            Role.MEDIATOR: f", categories {', '.join(categories) or 'all'}",
        }.get(role, "")
        self.stdout.write(self.style.SUCCESS(f"Created {role} user {username}{scope}."))
