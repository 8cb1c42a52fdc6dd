"""API keys of platforms: create (shown once), authenticate, revoke.

A key is `wq_<prefix>_<secret>`: the prefix (12 hex characters) is public and finds
the row by its unique index; the secret (`secrets.token_urlsafe(32)`, 256 bits) is
never stored, only the SHA-256 of the whole key. Why SHA-256 and not PBKDF2: the
key is random, not chosen by a person, so a brute-force search is hopeless whatever
the hash costs, and a deliberately slow hash would tax every API request instead.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from api.models import ApiKey
from complaints.exceptions import NotFound
from complaints.models import Platform, User
from complaints.validators import clean_text

KEY_SCHEME = "wq"
PREFIX_BYTES = 6  # 12 hex characters: enough that collisions are rare, and retried
SECRET_BYTES = 32
# last_used_at is for people ("is this key still in use?"), not an audit log:
# writing it on every request would turn each read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)
_KEY_RE = re.compile(r"wq_(?P<prefix>[0-9a-f]{12})_(?P<secret>[A-Za-z0-9_-]{20,100})")


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def api_key_create(
    *, platform: Platform, name: str = "", created_by: User | None = None
) -> tuple[ApiKey, str]:
    """Create a key for `platform`; return the row and the plain key, which is not kept."""
    name = clean_text(name, "name", required=False, max_length=100)
    for _attempt in range(5):
        prefix = secrets.token_hex(PREFIX_BYTES)
        raw = f"{KEY_SCHEME}_{prefix}_{secrets.token_urlsafe(SECRET_BYTES)}"
        try:
            with transaction.atomic():
                key = ApiKey.objects.create(
                    platform=platform,
                    name=name,
                    prefix=prefix,
                    key_hash=_digest(raw),
                    created_by=created_by,
                )
        except IntegrityError:
            if ApiKey.objects.filter(prefix=prefix).exists():
                continue  # a prefix collision: draw again
            raise
        return key, raw
    raise RuntimeError("Could not draw an unused API key prefix.")


def api_key_authenticate(raw: str) -> ApiKey | None:
    """The active key `raw` stands for, or None; notes the use at most once a minute."""
    match = _KEY_RE.fullmatch(raw or "")
    if match is None:
        return None
    key = (
        ApiKey.objects.select_related("platform")
        .filter(prefix=match["prefix"], revoked_at__isnull=True, platform__is_active=True)
        .first()
    )
    # The prefix is public, so only the hash comparison needs to be constant-time.
    if key is None or not hmac.compare_digest(key.key_hash, _digest(raw)):
        return None
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at >= LAST_USED_RESOLUTION:
        # Conditional update: concurrent requests in the same minute write once.
        ApiKey.objects.filter(pk=key.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - LAST_USED_RESOLUTION)
        ).update(last_used_at=now)
        key.last_used_at = now
    return key


@transaction.atomic
def api_key_revoke(*, key_id: int) -> ApiKey:
    """Revoke a key from now on; revoking twice keeps the first revocation time."""
    key = ApiKey.objects.select_for_update().filter(pk=key_id).first()
    if key is None:
        raise NotFound("No such API key.")
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
    return key
