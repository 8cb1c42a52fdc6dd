"""Personal data at rest (PIPL art. 51): field-level encryption and keyed lookup hashes.

Consumers' phone numbers, ID numbers and addresses are stored as AES-256-GCM
ciphertext, never as text a database dump, a backup or a replica would show:

    wq1:<key id>:<base64url(nonce ‖ ciphertext ‖ tag)>

- Keys come from `settings.PERSONAL_DATA_KEYS` (a list of base64 32-byte keys): the
  first encrypts, every one decrypts, so a new key is put first and the old ones
  stay until `manage.py rotate_personal_data_key` has re-encrypted every value
  (docs/operations.md, key rotation). The key id in each value (a hash of the key,
  not the key) names the key that decrypts it, so rotation can select exactly the
  values still on an older key, in SQL.
- The field's name is bound to the ciphertext as associated data: a value copied
  into another column (say a phone number into the address) does not decrypt.
- Equality lookups (sign-up or login by phone, the same phone on many complaints)
  use a keyed hash: HMAC-SHA256 with its own key, `settings.PERSONAL_DATA_HASH_KEY`,
  over the normalised value. A plain SHA-256 of an 11-digit phone number is
  reversed by trying the 10^11 numbers; without the key the HMAC is not.

Why not Fernet: its tokens carry no key id (rotation must try every key on every
row) and no associated data. AES-GCM is the same `cryptography` package.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
from dataclasses import dataclass
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

PREFIX = "wq1"
NONCE_BYTES = 12
KEY_BYTES = 32
_TOKEN = re.compile(r"^wq1:(?P<kid>[0-9a-f]{8}):(?P<data>[A-Za-z0-9_-]+={0,2})$")


class DecryptionError(Exception):
    """A stored value cannot be decrypted: its key is not configured, or it was altered."""


@dataclass(frozen=True)
class Keyring:
    """The configured keys, parsed: the first encrypts, all decrypt."""

    keys: tuple[tuple[str, bytes], ...]  # (key id, key), newest first
    hash_key: bytes

    @property
    def current_id(self) -> str:
        return self.keys[0][0]

    def key(self, kid: str) -> bytes | None:
        return next((key for key_id, key in self.keys if key_id == kid), None)


def key_id(key: bytes) -> str:
    """Eight hex digits naming a key without revealing it."""
    return hashlib.sha256(b"weiquan personal data key id\x00" + key).hexdigest()[:8]


def generate_key() -> str:
    """A new random key in the form PERSONAL_DATA_KEYS and PERSONAL_DATA_HASH_KEY take."""
    return base64.urlsafe_b64encode(os.urandom(KEY_BYTES)).decode()


def _decode_key(text: str, setting: str) -> bytes:
    try:
        key = base64.urlsafe_b64decode(text.strip().encode() + b"=" * (-len(text.strip()) % 4))
    except (binascii.Error, ValueError):
        raise ImproperlyConfigured(f"{setting}: a key is not valid base64.") from None
    if len(key) != KEY_BYTES:
        raise ImproperlyConfigured(
            f"{setting}: each key must be {KEY_BYTES} random bytes in base64 "
            f"(python manage.py rotate_personal_data_key --generate-key), not {len(key)} bytes."
        )
    return key


@lru_cache(maxsize=8)
def _parse(keys: tuple[str, ...], hash_key: str) -> Keyring:
    if not keys:
        raise ImproperlyConfigured(
            "PERSONAL_DATA_KEYS is not set: personal data cannot be encrypted or read "
            "(docs/operations.md, configuration)."
        )
    if not hash_key:
        raise ImproperlyConfigured(
            "PERSONAL_DATA_HASH_KEY is not set: personal data cannot be looked up "
            "(docs/operations.md, configuration)."
        )
    parsed = tuple((key_id(k), k) for k in (_decode_key(t, "PERSONAL_DATA_KEYS") for t in keys))
    if len({kid for kid, _ in parsed}) != len(parsed):
        raise ImproperlyConfigured("PERSONAL_DATA_KEYS lists the same key twice.")
    return Keyring(keys=parsed, hash_key=_decode_key(hash_key, "PERSONAL_DATA_HASH_KEY"))


def keyring() -> Keyring:
    """The keys from settings, read at call time (tests override them)."""
    keys = getattr(settings, "PERSONAL_DATA_KEYS", None) or ()
    if isinstance(keys, str):
        keys = [k for k in keys.split(",") if k.strip()]
    return _parse(tuple(keys), getattr(settings, "PERSONAL_DATA_HASH_KEY", "") or "")


def is_encrypted(value: str) -> bool:
    return bool(_TOKEN.match(value or ""))


def encrypt(plaintext: str, *, context: str) -> str:
    """Encrypt `plaintext` with the newest key; "" stays "" (nothing to hide)."""
    if plaintext == "":
        return ""
    ring = keyring()
    kid, key = ring.keys[0]
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(key).encrypt(nonce, plaintext.encode(), context.encode())
    return f"{PREFIX}:{kid}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"


def decrypt(token: str, *, context: str) -> str:
    """The plaintext of a value `encrypt` made for the same `context`."""
    if token == "":
        return ""
    match = _TOKEN.match(token)
    if match is None:
        raise DecryptionError(f"{context}: the stored value is not an encrypted value.")
    key = keyring().key(match["kid"])
    if key is None:
        raise DecryptionError(
            f"{context}: encrypted with key {match['kid']}, which is not in "
            "PERSONAL_DATA_KEYS (a key removed before rotation finished?)."
        )
    raw = base64.urlsafe_b64decode(match["data"])
    try:
        return AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], context.encode()).decode()
    except InvalidTag:
        raise DecryptionError(f"{context}: the stored value was altered or moved.") from None


def encrypted_with(token: str) -> str | None:
    """The id of the key that encrypted `token`, None for an empty or plain value."""
    match = _TOKEN.match(token or "")
    return match["kid"] if match else None


def current_key_prefix() -> str:
    """The start of every value encrypted with the newest key (for SQL `startswith`)."""
    return f"{PREFIX}:{keyring().current_id}:"


def lookup_hash(normalised: str, *, context: str) -> str:
    """HMAC-SHA256 of an already normalised value, hex; "" for "" (no value, no hash)."""
    if normalised == "":
        return ""
    message = context.encode() + b"\x00" + normalised.encode()
    return hmac.new(keyring().hash_key, message, hashlib.sha256).hexdigest()


def normalise_phone(phone: str) -> str:
    """Digits only, without China's country code: "+86 138-0013-8000" → "13800138000"."""
    digits = re.sub(r"\D", "", phone or "")
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    elif len(digits) == 15 and digits.startswith("0086"):
        digits = digits[4:]
    return digits


def phone_lookup_hash(phone: str) -> str:
    """The keyed hash stored beside an encrypted phone number, for equality lookups."""
    return lookup_hash(normalise_phone(phone), context="phone")


def configuration_problems() -> list[str]:
    """What is wrong with the key settings, for the system check (empty: nothing)."""
    try:
        keyring()
    except ImproperlyConfigured as exc:
        return [str(exc)]
    return []
