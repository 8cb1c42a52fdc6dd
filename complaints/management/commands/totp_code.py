"""Print the current TOTP code of a user's authenticator: development only (DEBUG).

`make run`'s demo staff, mediators, regulator and admin must pass two-factor
authentication like everyone; without a phone at hand, this prints the code the
authenticator app would show (for the device being enrolled, or the enrolled one).
Refused with DEBUG off: in production only the person's own phone shows the code.
"""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from complaints.models import User


class Command(BaseCommand):
    help = "Development only: print the current two-factor code of USERNAME's authenticator."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username: str, **options):
        if not settings.DEBUG:
            raise CommandError("totp_code is for development (DEBUG on) only.")
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user {username!r}.")
        device = TOTPDevice.objects.filter(user=user).order_by("-confirmed", "pk").first()
        if device is None:
            raise CommandError(
                f"{username} has no authenticator yet: log in first, the enrolment page makes one."
            )
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        self.stdout.write(f"{totp.token():0{device.digits}d}")
