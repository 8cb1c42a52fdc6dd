"""Where uploaded evidence files live: Django storage, addressed by content hash.

The storage is `STORAGES["evidence"]` (local disk under var/evidence by default; an
S3-compatible bucket through django-storages in production). Names are derived
from the SHA-256, so the same bytes are stored once and a file is never
overwritten; the storage has no public URL: files are only served through the
API, after the access check.
"""

from __future__ import annotations

import hashlib

from django.core.files.base import ContentFile
from django.core.files.storage import storages


def evidence_storage():
    return storages["evidence"]


def name_for(sha256: str) -> str:
    return f"evidence/{sha256[:2]}/{sha256[2:4]}/{sha256}"


def store_bytes(data: bytes, sha256: str) -> str:
    """Save `data` under its hash unless already there; return the storage name."""
    storage = evidence_storage()
    name = name_for(sha256)
    if storage.exists(name):
        if file_sha256(sha256) == sha256:
            return name
        # A process killed while writing leaves a short file under the final name (the
        # file system backend writes in place): replace it rather than trust it.
        storage.delete(name)
    saved = storage.save(name, ContentFile(data))
    if saved != name:
        # Renamed because the name was taken meanwhile: the same bytes, uploaded to
        # another case at the same moment. Keep theirs, drop our copy.
        storage.delete(saved)
        if not storage.exists(name):
            raise RuntimeError(f"evidence storage refused the name {name}")
    return name


def read_bytes(sha256: str) -> bytes | None:
    """The stored bytes for `sha256`, or None when they are gone (purged or lost)."""
    storage = evidence_storage()
    name = name_for(sha256)
    if not storage.exists(name):
        return None
    with storage.open(name, "rb") as handle:
        return handle.read()


def file_sha256(sha256: str, chunk_size: int = 1024 * 1024) -> str | None:
    """Recompute the hash of the stored file in bounded memory; None when it is missing."""
    storage = evidence_storage()
    name = name_for(sha256)
    if not storage.exists(name):
        return None
    digest = hashlib.sha256()
    with storage.open(name, "rb") as handle:
        for chunk in iter(lambda: handle.read(chunk_size), b""):
            digest.update(chunk)
    return digest.hexdigest()


def delete_file(sha256: str) -> None:
    evidence_storage().delete(name_for(sha256))
