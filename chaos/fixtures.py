"""Print (JSON) the accounts the load needs, made with the project's own commands.

Run by chaos/run.py under chaos.settings against the private database: one
platform (`create_platform`) with an API key, a staff member, two mediators (the
least loaded takes each declined proposal) and `--consumers` consumers
(`create_user`), each user with a live session; the sessions come from bench's
helper, as the benchmarks make theirs.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
from io import StringIO
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chaos.settings")

PLATFORM = "chaos-shop"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--consumers", type=int, default=4)
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command

    from api.keys import api_key_create
    from bench.fixtures import session_for
    from complaints.models import Platform, User

    def user(username: str, role: str) -> User:
        password = secrets.token_urlsafe(18)
        call_command("create_user", username, role=role, password=password, stdout=StringIO())
        return User.objects.get(username=username)

    call_command("create_platform", PLATFORM, name="混沌测试商城", stdout=StringIO())
    platform = Platform.objects.get(code=PLATFORM)
    _key, raw_key = api_key_create(platform=platform, name="chaos harness")
    staff = user("chaos-staff", "staff")
    staff_session = session_for(staff)
    try:
        from complaints.security.twofactor import mark_session_verified
    except ImportError:
        pass  # no second factor to pass
    else:
        # Staff owe a second factor (TOTP): their session is one that passed it.
        from django.contrib.sessions.backends.db import SessionStore

        store = SessionStore(session_key=staff_session)
        mark_session_verified(store, staff)
        store.save()
    for n in (1, 2):
        user(f"chaos-mediator-{n}", "mediator")
    consumers = [user(f"chaos-consumer-{n}", "consumer") for n in range(1, args.consumers + 1)]
    print(
        json.dumps(
            {
                "platform": PLATFORM,
                "api_key": raw_key,
                "staff_session": staff_session,
                "consumer_sessions": [session_for(c) for c in consumers],
                "csrf": secrets.token_hex(16),  # 32 characters: an unmasked CSRF secret
            }
        )
    )


if __name__ == "__main__":
    main()
