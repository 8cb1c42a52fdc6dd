"""Lift the login lock-out of a user name (after checking who asks, e.g. by phone)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from complaints.security.lockout import login_unlock


class Command(BaseCommand):
    help = "Lift the login lock of USERNAME: its failed logins stop counting."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username: str, **options):
        lifted = login_unlock(username=username)
        self.stdout.write(f"Unlocked {username}: {lifted} failed login(s) no longer count.")
