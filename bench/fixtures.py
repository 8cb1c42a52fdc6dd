"""Print (JSON) the credentials and ids the load scripts need, created in the bench database.

Run by bench/run.py with bench settings after bench/generate.py: a staff user and a
consumer with live sessions (and a CSRF token for the consumer's POSTs), and an API
key of the largest platform.
"""

from __future__ import annotations

import json
import os
import secrets
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")


def session_for(user) -> str:
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    # Staff must have passed two-factor authentication, as after a real login.
    from complaints.security.twofactor import mark_session_verified, second_factor_required

    if second_factor_required(user):
        mark_session_verified(session, user)
    session.set_expiry(24 * 3600)
    session.create()
    return session.session_key


def main() -> None:
    import django

    django.setup()
    from django.db.models import Max

    from api.keys import api_key_create
    from complaints.models import Complaint, Platform, User

    staff, _ = User.objects.get_or_create(username="bench-staff", defaults={"role": "staff"})
    consumer, _ = User.objects.get_or_create(
        username="bench-consumer", defaults={"role": "consumer"}
    )
    platform = Platform.objects.get(code="taobao")
    _key, raw = api_key_create(platform=platform, name="bench")
    print(
        json.dumps(
            {
                "staff_session": session_for(staff),
                "consumer_session": session_for(consumer),
                "csrf": secrets.token_hex(16),  # 32 characters: an unmasked CSRF secret
                "api_key": raw,
                "platform": platform.code,
                "max_id": Complaint.objects.aggregate(m=Max("id"))["m"] or 1,
            }
        )
    )


if __name__ == "__main__":
    main()
