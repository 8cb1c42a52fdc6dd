"""Signed checkpoints: C2SP tlog-checkpoint bodies in C2SP signed notes, with Ed25519 keys.

A checkpoint body is three lines, "<origin>\\n<tree size>\\n<base64 root hash>\\n"
(c2sp.org/tlog-checkpoint). A signed note is that text, a blank line, and signature
lines "— <key name> <base64(4-byte key ID ‖ signature)>" (c2sp.org/signed-note),
where the Ed25519 key ID is SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key)[:4]. This is
the format of golang.org/x/mod/sumdb/note, so Go and transparency-dev tools read
our checkpoints. No Django or project imports: the offline verifier ships this file.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from typing import NamedTuple

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ED25519 = 0x01  # signature type byte of c2sp.org/signed-note
MAX_SIGNATURES = 100  # the spec asks verifiers to accept at least 16; Go stops at 100
_SIGNATURE_PREFIX = "— "  # U+2014 EM DASH and a space
_DECIMAL = re.compile(r"0|[1-9][0-9]*")


class NoteError(ValueError):
    """A note, checkpoint or key is malformed, or no trusted signature verifies."""

    code = "invalid_note"


class Checkpoint(NamedTuple):
    """The tree head a checkpoint states."""

    origin: str
    tree_size: int
    root_hash: bytes


def format_checkpoint(origin: str, tree_size: int, root_hash: bytes) -> str:
    """Return the checkpoint note text for a tree head (no extension lines)."""
    if not origin or not _is_note_text(origin) or "\n" in origin:
        raise NoteError("origin must be one non-empty line of printable text")
    if isinstance(tree_size, bool) or not isinstance(tree_size, int) or tree_size < 0:
        raise NoteError("tree size must be a non-negative integer")
    if len(root_hash) != 32:
        raise NoteError("root hash must be 32 bytes")
    return f"{origin}\n{tree_size}\n{base64.b64encode(root_hash).decode('ascii')}\n"


def parse_checkpoint(body: str) -> Checkpoint:
    """Read the origin, tree size and root hash from checkpoint note text.

    Extension lines after the third are allowed by the spec and ignored here.
    """
    if not body.endswith("\n"):
        raise NoteError("checkpoint must end with a newline")
    lines = body[:-1].split("\n")
    if len(lines) < 3 or any(not line for line in lines):
        raise NoteError("checkpoint needs at least three non-empty lines")
    origin, size_line, root_line = lines[:3]
    if not _DECIMAL.fullmatch(size_line):
        raise NoteError("tree size must be decimal without leading zeros")
    root_hash = _b64decode(root_line)
    if len(root_hash) != 32 or base64.b64encode(root_hash).decode("ascii") != root_line:
        raise NoteError("root hash must be the canonical base64 of 32 bytes")
    return Checkpoint(origin=origin, tree_size=int(size_line), root_hash=root_hash)


def key_id(name: str, public_key: Ed25519PublicKey) -> bytes:
    """Return the 4-byte ID of an Ed25519 note key: SHA-256(name ‖ 0x0A ‖ 0x01 ‖ key)[:4]."""
    return hashlib.sha256(
        name.encode("utf-8") + b"\n" + bytes([ED25519]) + _raw(public_key)
    ).digest()[:4]


def verifier_key(name: str, public_key: Ed25519PublicKey) -> str:
    """Return the verifier key string "<name>+<hex key ID>+<base64(0x01 ‖ key)>"."""
    _check_name(name)
    encoded = base64.b64encode(bytes([ED25519]) + _raw(public_key)).decode("ascii")
    return f"{name}+{key_id(name, public_key).hex()}+{encoded}"


def parse_verifier_key(vkey: str) -> tuple[str, Ed25519PublicKey]:
    """Return the name and Ed25519 public key of a verifier key string, checking its ID."""
    name, _, rest = vkey.partition("+")
    id_hex, _, key_b64 = rest.partition("+")
    _check_name(name)
    if not re.fullmatch(r"[0-9a-f]{8}", id_hex):
        raise NoteError("verifier key ID must be 8 lowercase hex digits")
    raw = _b64decode(key_b64)
    if len(raw) != 33 or raw[0] != ED25519:
        raise NoteError("verifier key is not an Ed25519 key")
    public_key = Ed25519PublicKey.from_public_bytes(raw[1:])
    if key_id(name, public_key).hex() != id_hex:
        raise NoteError("verifier key ID does not match its name and key")
    return name, public_key


def sign_note(body: str, key_name: str, private_key: Ed25519PrivateKey) -> str:
    """Return `body` signed as a note by `key_name` with `private_key`."""
    _check_name(key_name)
    if not body.endswith("\n") or not _is_note_text(body):
        raise NoteError("note text must be printable UTF-8 ending in a newline")
    signature = private_key.sign(body.encode("utf-8"))
    blob = key_id(key_name, private_key.public_key()) + signature
    return f"{body}\n{_SIGNATURE_PREFIX}{key_name} {base64.b64encode(blob).decode('ascii')}\n"


def verify_note(note: str, key_name: str, public_key: Ed25519PublicKey) -> str:
    """Return the text of a note signed by the given key; raise NoteError otherwise.

    Signatures by other keys (another name or key ID) are ignored, as the spec
    requires, so witnesses may cosign; a failing signature by our key rejects the note.
    """
    if not _is_note_text(note):
        raise NoteError("note must be UTF-8 without control characters other than newline")
    split = note.rfind("\n\n")
    if split < 0:
        raise NoteError("note has no blank line before its signatures")
    text, signatures = note[: split + 1], note[split + 2 :]
    if not signatures.endswith("\n"):
        raise NoteError("note must end with a signature line")
    lines = signatures[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise NoteError("note has too many signatures")
    wanted = key_id(key_name, public_key)
    verified = False
    for line in lines:
        name, blob = _parse_signature_line(line)
        if name != key_name or blob[:4] != wanted:
            continue
        try:
            public_key.verify(blob[4:], text.encode("utf-8"))
        except InvalidSignature:
            raise NoteError(f"signature by {key_name} does not verify") from None
        verified = True
    if not verified:
        raise NoteError(f"note is not signed by {key_name}+{wanted.hex()}")
    return text


def generate_private_key() -> Ed25519PrivateKey:
    """Return a new random Ed25519 signing key."""
    return Ed25519PrivateKey.generate()


def load_private_key(pem: bytes, password: bytes | None = None) -> Ed25519PrivateKey:
    """Load an Ed25519 private key from PEM (PKCS #8)."""
    key = serialization.load_pem_private_key(pem, password=password)
    if not isinstance(key, Ed25519PrivateKey):
        raise NoteError("private key is not an Ed25519 key")
    return key


def load_public_key(pem: bytes) -> Ed25519PublicKey:
    """Load an Ed25519 public key from PEM (SubjectPublicKeyInfo)."""
    key = serialization.load_pem_public_key(pem)
    if not isinstance(key, Ed25519PublicKey):
        raise NoteError("public key is not an Ed25519 key")
    return key


def private_key_pem(private_key: Ed25519PrivateKey, password: bytes | None = None) -> bytes:
    """Return the private key as PKCS #8 PEM, encrypted when a password is given."""
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password)
        if password
        else serialization.NoEncryption()
    )
    return private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )


def public_key_pem(public_key: Ed25519PublicKey) -> bytes:
    """Return the public key as SubjectPublicKeyInfo PEM (as `manifest.json` carries it)."""
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _parse_signature_line(line: str) -> tuple[str, bytes]:
    if not line.startswith(_SIGNATURE_PREFIX):
        raise NoteError("signature line must start with an em dash and a space")
    name, _, encoded = line[len(_SIGNATURE_PREFIX) :].partition(" ")
    _check_name(name)
    blob = _b64decode(encoded)
    if len(blob) < 5:
        raise NoteError("signature is too short")
    return name, blob


def _check_name(name: str) -> None:
    # c2sp.org/signed-note: non-empty, no Unicode spaces, no plus.
    if not name or "+" in name or any(c.isspace() for c in name) or not _is_note_text(name):
        raise NoteError(f"invalid key name {name!r}")


def _is_note_text(text: str) -> bool:
    """Whether text is valid UTF-8 with no ASCII control character other than newline."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates
        return False
    return not any(c < " " and c != "\n" for c in text)


def _b64decode(value: str) -> bytes:
    if not value:
        raise NoteError("empty base64")
    try:
        return base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise NoteError("invalid base64") from None


def _raw(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
