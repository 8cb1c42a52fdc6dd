"""Verification: recompute contents, record hashes, chains, leaves and checkpoints.

Nothing stored is trusted: each record's hash is recomputed from its fields, each
content hash from the bytes, each chain link from the previous record, the tree
from the leaves, and each checkpoint's signature and root from the recomputed
tree. The first failure is named (record id, chain and position, or checkpoint).
The whole-log pass streams rows in order and keeps O(log n) hashes of the tree
plus one chain at a time, so memory stays bounded over millions of records.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field

from evidence import merkle, notes, storage
from evidence.chain import GENESIS, record_hash
from evidence.log import log_origin, public_key
from evidence.models import (
    Checkpoint,
    EvidenceBlob,
    EvidenceChain,
    EvidenceRecord,
    LogLeaf,
    Store,
)
from evidence.retention import purged_hashes_in

CHUNK = 2000


@dataclass
class Problem:
    """One broken thing: what, where, and a sentence for a human."""

    check: str
    detail: str
    record_id: int | None = None
    chain: str | None = None
    seq: int | None = None
    checkpoint_id: int | None = None

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass
class Report:
    records: int = 0
    chains: int = 0
    leaves: int = 0
    checkpoints: int = 0
    purged: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first_problem(self) -> Problem | None:
        return self.problems[0] if self.problems else None


def content_problem(record: EvidenceRecord, blobs: dict[str, bytes] | None = None) -> str | None:
    """Why the stored content does not match the record, or None when it does.

    `blobs`, when given, holds the chain's database contents read in one query.
    """
    if record.store == Store.BLOB:
        if blobs is None:
            blobs = _blobs([record])
        data = blobs.get(record.sha256)
        actual = None if data is None else hashlib.sha256(data).hexdigest()
    else:
        actual = storage.file_sha256(record.sha256)
    if actual is None:
        return "content missing"
    if actual != record.sha256:
        return f"content hash is {actual}, the record says {record.sha256}"
    return None


def _blobs(records: list[EvidenceRecord]) -> dict[str, bytes]:
    hashes = [r.sha256 for r in records if r.store == Store.BLOB]
    rows = EvidenceBlob.objects.filter(sha256__in=hashes).values_list("sha256", "data")
    return {sha256: bytes(data) for sha256, data in rows}


def _chain_records(complaint_id: int | None = None) -> Iterator[EvidenceRecord]:
    qs = EvidenceRecord.objects.select_related("complaint").order_by("chain", "seq", "id")
    if complaint_id is not None:
        qs = qs.filter(complaint_id=complaint_id)
    return qs.iterator(chunk_size=CHUNK)


def _check_chain(records: list[EvidenceRecord], report: Report, *, contents: bool) -> None:
    """One chain, in seq order: numbering, links, hashes, contents, and the chain head."""
    chain = records[0].chain
    prev = GENESIS
    for expected_seq, record in enumerate(records, start=1):
        where = {"record_id": record.pk, "chain": chain, "seq": record.seq}
        if record.seq != expected_seq:
            report.problems.append(
                Problem("chain", f"record #{expected_seq} of the chain is missing", **where)
            )
            return
        if record.prev_hash != prev:
            report.problems.append(
                Problem("chain", "prev_hash does not match the previous record", **where)
            )
            return
        if record_hash(record) != record.record_hash:
            report.problems.append(
                Problem("record_hash", "the record's fields do not match its hash", **where)
            )
            return
        prev = record.record_hash
    head = EvidenceChain.objects.filter(key=chain).values_list("length", "head_hash").first()
    if head != (len(records), prev):
        last = records[-1]
        if head is None:
            detail = "the chain's head is gone"
        elif head[0] != len(records):
            detail = f"the chain head says {head[0]} records, {len(records)} are present"
        else:
            detail = "the chain head holds another hash than its last record"
        report.problems.append(
            Problem("chain", detail, record_id=last.pk, chain=chain, seq=last.seq)
        )
        return
    if contents:
        purged = purged_hashes_in(records)
        blobs = _blobs(records)
        for record in records:
            if record.sha256 in purged:
                report.purged += 1
                continue
            problem = content_problem(record, blobs)
            if problem:
                report.problems.append(
                    Problem("content", problem, record_id=record.pk, chain=chain, seq=record.seq)
                )
                return


def verify_chains(report: Report, *, complaint_id: int | None = None, contents: bool = True):
    current: list[EvidenceRecord] = []
    for record in _chain_records(complaint_id):
        if current and record.chain != current[0].chain:
            _check_chain(current, report, contents=contents)
            report.chains += 1
            current = []
        current.append(record)
        report.records += 1
    if current:
        _check_chain(current, report, contents=contents)
        report.chains += 1
    if complaint_id is None:
        # A chain whose records were all deleted still has its head.
        present = EvidenceRecord.objects.values("chain").distinct()
        for key in (
            EvidenceChain.objects.exclude(key__startswith="evidence:")
            .exclude(key__in=present)
            .filter(length__gt=0)
            .values_list("key", flat=True)[:1]
        ):
            report.problems.append(Problem("chain", "every record of the chain is gone", chain=key))


class _StreamingRoot:
    """Roots of growing prefixes of the log from a stream of leaf hashes, O(log n) memory."""

    def __init__(self) -> None:
        self.size = 0
        self._stack: list[tuple[int, bytes]] = []  # (number of leaves, hash), largest first

    def push(self, leaf_hash: bytes) -> None:
        self.size += 1
        node = (1, leaf_hash)
        while self._stack and self._stack[-1][0] == node[0]:
            left = self._stack.pop()
            node = (left[0] * 2, merkle.node_hash(left[1], node[1]))
        self._stack.append(node)

    def root(self) -> bytes:
        if not self._stack:
            return merkle.EMPTY_ROOT
        result = self._stack[-1][1]
        for _count, left in reversed(self._stack[:-1]):
            result = merkle.node_hash(left, result)
        return result


def _check_checkpoint(
    checkpoint: Checkpoint, root: bytes, previous: Checkpoint | None, report: Report
) -> bool:
    where = {"checkpoint_id": checkpoint.pk}
    try:
        body = notes.verify_note(checkpoint.note, log_origin(), public_key())
        stated = notes.parse_checkpoint(body)
    except notes.NoteError as exc:
        report.problems.append(Problem("checkpoint", f"signature does not verify: {exc}", **where))
        return False
    if (stated.tree_size, stated.root_hash.hex()) != (checkpoint.tree_size, checkpoint.root_hash):
        report.problems.append(
            Problem("checkpoint", "the row differs from its signed note", **where)
        )
        return False
    if stated.root_hash != root:
        report.problems.append(
            Problem("checkpoint", "the log's leaves no longer give the signed root", **where)
        )
        return False
    if previous is not None:
        try:
            merkle.verify_consistency(
                old_size=previous.tree_size,
                new_size=checkpoint.tree_size,
                old_root=bytes.fromhex(previous.root_hash),
                new_root=root,
                proof=[bytes.fromhex(h) for h in checkpoint.consistency_proof],
            )
        except (merkle.InvalidProof, ValueError) as exc:
            report.problems.append(
                Problem(
                    "consistency", f"not consistent with checkpoint {previous.pk}: {exc}", **where
                )
            )
            return False
    return True


def verify_log(report: Report) -> None:
    """Leaves dense and matching their records; every checkpoint signed, rooted, consistent."""
    checkpoints = list(Checkpoint.objects.order_by("tree_size", "id"))
    pending = iter(checkpoints)
    upcoming = next(pending, None)
    previous = None
    stream = _StreamingRoot()

    def settle_checkpoints_at(size: int) -> bool:
        nonlocal upcoming, previous
        while upcoming is not None and upcoming.tree_size == size:
            report.checkpoints += 1
            if not _check_checkpoint(upcoming, stream.root(), previous, report):
                return False
            previous, upcoming = upcoming, next(pending, None)
        return True

    if not settle_checkpoints_at(0):
        return
    leaves = LogLeaf.objects.select_related("record").order_by("leaf_index")
    for leaf in leaves.iterator(chunk_size=CHUNK):
        if leaf.leaf_index != stream.size:
            report.problems.append(
                Problem("log", f"leaf {stream.size} is missing", record_id=leaf.record_id)
            )
            return
        if leaf.record_hash != leaf.record.record_hash:
            report.problems.append(
                Problem(
                    "log",
                    f"leaf {leaf.leaf_index} holds another hash than its record",
                    record_id=leaf.record_id,
                    chain=leaf.record.chain,
                    seq=leaf.record.seq,
                )
            )
            return
        stream.push(merkle.leaf_hash(bytes.fromhex(leaf.record_hash)))
        report.leaves += 1
        if not settle_checkpoints_at(stream.size):
            return
    if upcoming is not None:
        report.problems.append(
            Problem(
                "checkpoint",
                f"signed over {upcoming.tree_size} leaves, the log has {stream.size}",
                checkpoint_id=upcoming.pk,
            )
        )


def verify_all(*, complaint_id: int | None = None, contents: bool = True) -> Report:
    """Everything (or one complaint's chain); the report names the first broken thing."""
    report = Report()
    verify_chains(report, complaint_id=complaint_id, contents=contents)
    if complaint_id is None and report.ok:
        verify_log(report)
    return report


def verify_record(record: EvidenceRecord) -> dict:
    """One record: its content, its hash, its links in the chain, and its place in the log.

    The inclusion proof is against the latest checkpoint that covers the record;
    a record not yet sequenced or checkpointed says so (`pending`).
    """
    from evidence.log import covering_checkpoint, inclusion_proof

    chain = list(
        EvidenceRecord.objects.select_related("complaint")
        .filter(chain=record.chain)
        .order_by("seq", "id")
    )
    report = Report()
    _check_chain(chain, report, contents=False)
    purged = record.sha256 in purged_hashes_in(chain)
    checks = {
        "record_hash": record_hash(record) == record.record_hash,
        "chain": report.ok,
        "content": "purged" if purged else content_problem(record) is None,
    }
    result = {
        "record": record.pk,
        "ok": all(v is True or v == "purged" for v in checks.values()),
        "checks": checks,
        "problem": report.first_problem.as_dict() if report.first_problem else None,
        "inclusion": "pending",
    }
    leaf = LogLeaf.objects.filter(record=record).first()
    checkpoint = covering_checkpoint(leaf.leaf_index) if leaf else None
    if leaf and checkpoint:
        proof = inclusion_proof(leaf.leaf_index, checkpoint)
        try:
            merkle.verify_inclusion(
                merkle.leaf_hash(bytes.fromhex(leaf.record_hash)),
                index=leaf.leaf_index,
                tree_size=checkpoint.tree_size,
                proof=[bytes.fromhex(h) for h in proof],
                root=bytes.fromhex(checkpoint.root_hash),
            )
            notes.verify_note(checkpoint.note, log_origin(), public_key())
            included = leaf.record_hash == record.record_hash
        except (merkle.InvalidProof, notes.NoteError):
            included = False
        result["checks"]["inclusion"] = included
        result["ok"] = result["ok"] and included
        result["inclusion"] = {
            "leaf_index": leaf.leaf_index,
            "tree_size": checkpoint.tree_size,
            "root_hash": checkpoint.root_hash,
            "checkpoint": checkpoint.pk,
            "proof": proof,
        }
    return result
