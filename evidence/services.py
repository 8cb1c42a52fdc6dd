"""Writing evidence: append a record to its chain, preserve events, accept uploads.

Every append happens inside the caller's transaction (the transition that produced
the event, or the upload), so a change and its evidence commit together or not at
all. The chain head row is locked for the append; a complaint's chain is only ever
appended to while its complaint row is locked too, always in that order.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone

from complaints import batching
from complaints.actors import Actor
from complaints.choices import Role
from complaints.exceptions import (
    DomainValidationError,
    NotFound,
    TransitionConflict,
    TransitionForbidden,
)
from complaints.models import Complaint, ComplaintEvent, ComplaintMessage
from complaints.services import message_post
from complaints.validators import clean_text
from evidence import storage
from evidence.chain import GENESIS, canonical_json, record_hash, utc_text
from evidence.exceptions import (
    EvidenceMissing,
    QuotaExceeded,
    UnsupportedEvidenceType,
    UploadTooLarge,
)
from evidence.models import (
    UPLOAD_KINDS,
    EvidenceBlob,
    EvidenceChain,
    EvidenceRecord,
    EvidenceRetention,
    Kind,
    Store,
)
from evidence.sniffing import Refused, sniff

logger = logging.getLogger(__name__)
JSON = "application/json"

# The event names whose record is more than a timeline entry.
EVENT_KINDS = {
    "filed": Kind.COMPLAINT_FILED,
    "respond": Kind.PLATFORM_RESPONSE,
    "message_posted": Kind.MESSAGE,
    "sign_agreement": Kind.AGREEMENT,
    "pay_compensation": Kind.PAYMENT,
}


def chain_key(complaint: Complaint) -> str:
    return f"complaint:{complaint.reference}"


def _actor_fields(actor: Actor) -> dict:
    fields = actor.as_event_fields()
    return {
        "submitted_by": fields["actor"],
        "submitter_role": fields["actor_role"],
        "submitter_label": fields["actor_label"],
    }


def evidence_append(
    *,
    chain: str,
    kind: str,
    content: bytes,
    media_type: str,
    actor: Actor,
    complaint: Complaint | None = None,
    event: ComplaintEvent | None = None,
    description: str = "",
    file_name: str = "",
    store: str = Store.BLOB,
    at: datetime | None = None,
) -> EvidenceRecord:
    """Preserve `content` as the next record of `chain`; must run inside a transaction."""
    record = EvidenceRecord(
        chain=chain,
        complaint=complaint,
        event=event,
        kind=kind,
        description=description,
        file_name=file_name,
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
        media_type=media_type,
        store=store,
        created_at=at or timezone.now(),
        **_actor_fields(actor),
    )
    (saved,) = _append_many([(record, content)])
    return saved


def _lock_heads(keys: list[str]) -> dict[str, EvidenceChain]:
    """Lock the chains' head rows (in key order), creating the missing ones."""
    heads = {
        h.key: h
        for h in EvidenceChain.objects.select_for_update().filter(key__in=keys).order_by("key")
    }
    missing = [key for key in keys if key not in heads]
    if missing:
        EvidenceChain.objects.bulk_create(
            [EvidenceChain(key=key, head_hash=GENESIS) for key in missing], ignore_conflicts=True
        )
        heads.update(
            (h.key, h)
            for h in EvidenceChain.objects.select_for_update()
            .filter(key__in=missing)
            .order_by("key")
        )
    return heads


def _append_many(entries: list[tuple[EvidenceRecord, bytes]]) -> list[EvidenceRecord]:
    """Append unsaved records (with their content) to their chains, in list order: one
    INSERT for the blobs, one for the records, one UPDATE of the chain heads, whatever
    the number of records. Must run inside the change's transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("evidence_append must run inside the change's transaction")
    blobs = {r.sha256: content for r, content in entries if r.store == Store.BLOB}
    if blobs:
        # INSERT ... ON CONFLICT DO NOTHING: the same bytes are stored once (an event's
        # document is nearly always new, so a SELECT first would be wasted).
        EvidenceBlob.objects.bulk_create(
            [EvidenceBlob(sha256=h, data=data) for h, data in sorted(blobs.items())],
            ignore_conflicts=True,
        )
    for record, content in entries:
        if record.store != Store.BLOB:
            storage.store_bytes(content, record.sha256)
            # Again after commit: a purge of another case holding the same bytes may
            # have deleted the file since (it could not see this uncommitted record).
            transaction.on_commit(partial(storage.store_bytes, content, record.sha256), robust=True)
    heads = _lock_heads(sorted({record.chain for record, _ in entries}))
    records = []
    for record, _ in entries:
        head = heads[record.chain]
        record.seq = head.length + 1
        record.prev_hash = head.head_hash
        record.record_hash = record_hash(record)
        head.length, head.head_hash = record.seq, record.record_hash
        records.append(record)
    EvidenceRecord.objects.bulk_create(records)
    batching.bulk_set(list(heads.values()), ["length", "head_hash"])
    return records


def event_document(event: ComplaintEvent, complaint: Complaint) -> bytes:
    """The preserved form of a timeline event: what happened, by whom, and its payload."""
    return canonical_json(
        {
            "complaint": complaint.reference,
            "event": event.name,
            "from_status": event.from_status,
            "to_status": event.to_status,
            "actor_role": event.actor_role,
            "actor": event.actor_label,
            "at": utc_text(event.created_at),
            "payload": event.payload,
        }
    )


def evidence_preserve_events(items: list[tuple[Complaint, ComplaintEvent, Actor]]) -> None:
    """Each event becomes a record in the same commit; a batch's at once
    (complaints.batching: the sweep's)."""
    entries = []
    for complaint, event, actor in items:
        content = event_document(event, complaint)
        record = EvidenceRecord(
            chain=chain_key(complaint),
            complaint=complaint,
            event=event,
            kind=EVENT_KINDS.get(event.name, Kind.EVENT),
            description=event.name,
            sha256=hashlib.sha256(content).hexdigest(),
            size=len(content),
            media_type=JSON,
            store=Store.BLOB,
            created_at=event.created_at,
            **_actor_fields(actor),
        )
        entries.append((record, content))
    _append_many(entries)


def _may_upload(complaint: Complaint, actor: Actor) -> bool:
    return (
        actor.is_consumer_of(complaint)
        or actor.is_platform_of(complaint)
        or actor.is_mediator_of(complaint)
        or actor.is_staff_member
    )


def _check_quota(complaint: Complaint, size: int) -> None:
    limits = settings.WEIQUAN
    used = EvidenceRecord.objects.filter(complaint=complaint, store=Store.FILE).aggregate(
        files=Count("id"), bytes=Sum("size")
    )
    files, used_bytes = used["files"], used["bytes"] or 0
    if files + 1 > limits["EVIDENCE_QUOTA_FILES"]:
        raise QuotaExceeded(
            detail=f"This complaint already holds {files} files, the most it may hold.",
            max_files=limits["EVIDENCE_QUOTA_FILES"],
        )
    if used_bytes + size > limits["EVIDENCE_QUOTA_BYTES"]:
        raise QuotaExceeded(
            detail=f"This file would take the complaint's evidence past "
            f"{limits['EVIDENCE_QUOTA_BYTES']} bytes ({used_bytes} used).",
            max_bytes=limits["EVIDENCE_QUOTA_BYTES"],
            used_bytes=used_bytes,
        )


MAX_NAME = 255


def _clean_name(name: str) -> str:
    """Keep the uploader's file name as a label only: no path, no control characters;
    a name too long is cut before its extension, which stays."""
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    if len(name) > MAX_NAME:
        stem, dot, extension = name.rpartition(".")
        if dot and 0 < len(extension) <= 10:
            name = stem[: MAX_NAME - len(extension) - 1] + "." + extension
        else:
            name = name[:MAX_NAME]
    return name


@transaction.atomic
def evidence_upload(
    *,
    complaint_id: int,
    actor: Actor,
    data: bytes,
    file_name: str,
    kind: str,
    description: str = "",
    at: datetime | None = None,
) -> EvidenceRecord:
    """A party adds a file to the case; its type is read from the bytes, never the name."""
    complaint = Complaint.objects.select_for_update().filter(pk=complaint_id).first()
    if complaint is None:
        raise NotFound("No such complaint.")
    if not _may_upload(complaint, actor):
        raise TransitionForbidden(action="upload_evidence", role=actor.role)
    if complaint.is_terminal and actor.role != Role.STAFF:
        raise TransitionConflict(action="upload_evidence", status=complaint.status, allowed=[])
    if EvidenceRetention.objects.filter(complaint=complaint, purged_at__isnull=False).exists():
        raise TransitionConflict(action="upload_evidence", status="purged", allowed=[])
    if kind not in UPLOAD_KINDS:
        raise UnsupportedEvidenceType(reason="kind", detail=f"Unknown evidence kind '{kind}'.")
    description = clean_text(description, "description", required=False, max_length=2000)
    limit = settings.WEIQUAN["EVIDENCE_MAX_UPLOAD_BYTES"]
    if len(data) > limit:
        raise UploadTooLarge(size=len(data), limit=limit)
    try:
        media_type = sniff(data)
    except Refused as refused:
        raise UnsupportedEvidenceType(reason=refused.reason, detail=refused.detail) from None
    _check_quota(complaint, len(data))
    return evidence_append(
        chain=chain_key(complaint),
        complaint=complaint,
        kind=kind,
        content=data,
        media_type=media_type,
        description=description,
        file_name=_clean_name(file_name),
        store=Store.FILE,
        actor=actor,
        at=at,
    )


MAX_ATTACHMENTS = 10


def evidence_attachments_check(
    *, complaint: Complaint, actor: Actor, record_ids: list[int]
) -> list[int]:
    """The ids, if each is a file this caller's side uploaded to this case; else 422."""
    ids = list(dict.fromkeys(record_ids))
    if len(ids) > MAX_ATTACHMENTS:
        raise DomainValidationError({"attachments": f"At most {MAX_ATTACHMENTS} files."})
    records = EvidenceRecord.objects.filter(pk__in=ids, complaint=complaint, store=Store.FILE)
    fields = actor.as_event_fields()
    own = {
        r.pk
        for r in records
        # A user's own uploads; for a platform, any of its keys' uploads to its case.
        if r.submitter_role == fields["actor_role"]
        and (actor.user is None or r.submitted_by_id == actor.user.pk)
    }
    missing = [pk for pk in ids if pk not in own]
    if missing:
        raise DomainValidationError(
            {"attachments": f"Not files you uploaded to this complaint: {missing}."}
        )
    return ids


@transaction.atomic
def message_post_with_attachments(
    *, complaint: Complaint, actor: Actor, body: str, attachments: list[int]
) -> ComplaintMessage:
    """A negotiation message naming files its author's side uploaded, in one transaction."""
    ids = evidence_attachments_check(complaint=complaint, actor=actor, record_ids=attachments)
    return message_post(complaint_id=complaint.pk, actor=actor, body=body, attachments=ids)


def stored_content(record: EvidenceRecord) -> bytes | None:
    """The bytes stored for `record`'s hash, or None when there are none."""
    if record.store == Store.BLOB:
        blob = EvidenceBlob.objects.filter(sha256=record.sha256).only("data").first()
        return bytes(blob.data) if blob else None
    return storage.read_bytes(record.sha256)


def evidence_content(record: EvidenceRecord) -> bytes | None:
    """The preserved bytes of `record`; None when purged, an error when lost.

    Bytes shared with another case that is still retained stay stored, so the purge
    list of this record's chain decides, not only whether the bytes exist.
    """
    from evidence.retention import evidence_purged  # retention builds on this module

    if evidence_purged(record):
        return None
    data = stored_content(record)
    if data is None:
        # Not purged, yet gone: an integrity failure to look into, not a normal answer.
        logger.error("evidence record %s: content %s is missing", record.pk, record.sha256)
        raise EvidenceMissing(record_id=record.pk)
    return data
