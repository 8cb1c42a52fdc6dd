"""Remove a user's authenticator (a lost or replaced phone): the next login enrols anew."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from complaints.models import User
from complaints.security.twofactor import second_factor_reset


class Command(BaseCommand):
    help = "Remove USERNAME's two-factor devices; their next login asks them to enrol again."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username: str, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user {username!r}.")
        removed = second_factor_reset(user=user)
        self.stdout.write(f"Removed {removed} two-factor device(s) of {username}.")
