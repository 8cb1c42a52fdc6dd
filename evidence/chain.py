"""The record hash: a canonical serialisation of a record's fields, chained to the previous one.

docs/evidence.md describes these bytes for anyone recomputing them:

    record_hash = SHA-256( b"weiquan-evidence-v1\\n" || canonical JSON of the fields )

The canonical JSON is an object with exactly the keys below, sorted, no spaces,
UTF-8, non-ASCII characters as themselves (Python: `json.dumps(fields,
sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()`). Every value
is a string, an integer or null; times are UTC, `YYYY-MM-DDTHH:MM:SS.ffffffZ`.
The first record of a chain has `prev_hash` of 64 zeros.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

DOMAIN = b"weiquan-evidence-v1\n"
GENESIS = "0" * 64
FIELDS = (
    "chain",
    "complaint",
    "created_at",
    "description",
    "file_name",
    "kind",
    "media_type",
    "prev_hash",
    "seq",
    "sha256",
    "size",
    "submitter",
    "submitter_role",
)


def utc_text(moment: datetime) -> str:
    """A time as the record hash sees it: UTC with microseconds and a Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_json(value) -> bytes:
    """The one JSON spelling used for hashing (keys sorted, compact, UTF-8)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def record_fields(record) -> dict:
    """The hashed fields of an `EvidenceRecord` (saved or about to be)."""
    return {
        "chain": record.chain,
        "complaint": record.complaint.reference if record.complaint_id else None,
        "created_at": utc_text(record.created_at),
        "description": record.description,
        "file_name": record.file_name,
        "kind": record.kind,
        "media_type": record.media_type,
        "prev_hash": record.prev_hash,
        "seq": record.seq,
        "sha256": record.sha256,
        "size": record.size,
        "submitter": record.submitter_label,
        "submitter_role": record.submitter_role,
    }


def hash_fields(fields: dict) -> str:
    if tuple(sorted(fields)) != FIELDS:
        raise ValueError("the hashed field set is fixed (docs/evidence.md)")
    return hashlib.sha256(DOMAIN + canonical_json(fields)).hexdigest()


def record_hash(record) -> str:
    return hash_fields(record_fields(record))
