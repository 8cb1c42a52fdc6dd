"""The global log: sequencing records into leaves, signed checkpoints and proofs over them.

Records get their leaf index from the sequencer, not at insert: concurrent
transactions commit in any order, so numbering them at insert would leave gaps or
let a late commit slip under an already signed tree. `log_integrate` takes every
committed, unsequenced record in id order and appends it under a lock, so the
leaves are dense and never reordered.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator, MutableMapping
from datetime import datetime
from functools import cache
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone

from evidence import merkle, notes, timestamping
from evidence.chain import utc_text
from evidence.models import (
    Checkpoint,
    CheckpointTimestamp,
    EvidenceChain,
    EvidenceRecord,
    LogLeaf,
    TreeNode,
)

logger = logging.getLogger("evidence.log")
LOG_LOCK = "evidence:log"  # the EvidenceChain row the sequencer locks
SEQUENCE_BATCH = 5000
LEAF_BLOCK = 4096


# Keys.


@cache
def _signing_key_from(path: str) -> notes.Ed25519PrivateKey:
    key_path = Path(path)
    if not key_path.exists():
        if not settings.DEBUG and not getattr(settings, "EVIDENCE_GENERATE_KEY", False):
            raise ImproperlyConfigured(
                f"EVIDENCE_SIGNING_KEY {key_path} does not exist: mount the production "
                "key there, or make one with `openssl genpkey -algorithm ed25519 -out "
                f"{key_path}` (and keep it safe: it signs every checkpoint)."
            )
        key_path.parent.mkdir(parents=True, exist_ok=True)
        key_path.write_bytes(notes.private_key_pem(notes.generate_private_key()))
        key_path.chmod(0o600)
        logger.warning("generated a development evidence signing key at %s", key_path)
    return notes.load_private_key(key_path.read_bytes())


def signing_key() -> notes.Ed25519PrivateKey:
    """The service's Ed25519 key that signs checkpoints (EVIDENCE_SIGNING_KEY, a PEM file)."""
    return _signing_key_from(str(settings.EVIDENCE_SIGNING_KEY))


def public_key() -> notes.Ed25519PublicKey:
    return signing_key().public_key()


def log_origin() -> str:
    """The checkpoint origin line and signer name, e.g. `weiquan.example/evidence`."""
    return settings.EVIDENCE_LOG_ORIGIN


# The tree over the database.


class Leaves:
    """The leaf hashes of the log as a lazy sequence, read from LogLeaf in blocks."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._block_start = -1
        self._block: list[bytes] = []

    def __len__(self) -> int:
        return self._size

    def _load(self, block_start: int) -> None:
        hashes = LogLeaf.objects.filter(
            leaf_index__gte=block_start, leaf_index__lt=min(block_start + LEAF_BLOCK, self._size)
        ).order_by("leaf_index")
        self._block = [
            merkle.leaf_hash(bytes.fromhex(h)) for h in hashes.values_list("record_hash", flat=True)
        ]
        self._block_start = block_start

    def __getitem__(self, item):
        if isinstance(item, slice):
            start, stop, step = item.indices(self._size)
            if step != 1:
                raise ValueError("leaves are read in contiguous slices")
            return [self[i] for i in range(start, stop)]
        if not 0 <= item < self._size:
            raise IndexError(item)
        block_start = item - item % LEAF_BLOCK
        if block_start != self._block_start:
            self._load(block_start)
        return self._block[item - block_start]


class NodeCache(MutableMapping):
    """Perfect-subtree hashes kept in TreeNode; new ones are written by `flush()`."""

    def __init__(self) -> None:
        self._known: dict[tuple[int, int], bytes] = {}
        self._new: dict[tuple[int, int], bytes] = {}

    def __getitem__(self, key):
        if key not in self._known:
            row = TreeNode.objects.filter(level=key[0], index=key[1]).values_list("hash", flat=True)
            found = row.first()
            if found is None:
                raise KeyError(key)
            self._known[key] = bytes(found)
        return self._known[key]

    def __setitem__(self, key, value) -> None:
        self._known[key] = value
        self._new[key] = value

    def __delitem__(self, key) -> None:
        raise TypeError("tree nodes are never removed")

    def __iter__(self) -> Iterator:
        return iter(self._known)

    def __len__(self) -> int:
        return len(self._known)

    def flush(self) -> None:
        TreeNode.objects.bulk_create(
            [TreeNode(level=k[0], index=k[1], hash=v) for k, v in self._new.items()],
            ignore_conflicts=True,
            batch_size=1000,
        )
        self._new.clear()


def tree_size() -> int:
    last = LogLeaf.objects.order_by("-leaf_index").values_list("leaf_index", flat=True).first()
    return 0 if last is None else last + 1


def tree(size: int | None = None) -> tuple[merkle.Tree, NodeCache]:
    cache_ = NodeCache()
    return merkle.Tree(Leaves(tree_size() if size is None else size), cache=cache_), cache_


# Sequencing and checkpoints.


def _lock_log() -> None:
    """Serialise sequencers: lock one well-known row (made on first use)."""
    EvidenceChain.objects.get_or_create(key=LOG_LOCK, defaults={"head_hash": ""})
    EvidenceChain.objects.select_for_update().get(key=LOG_LOCK)


@transaction.atomic
def log_integrate() -> int:
    """Append every committed, unsequenced record to the log; return the new tree size."""
    _lock_log()
    size = tree_size()
    while True:
        batch = list(
            EvidenceRecord.objects.filter(leaf__isnull=True)
            .order_by("id")
            .values_list("id", "record_hash")[:SEQUENCE_BATCH]
        )
        if not batch:
            return size
        now = timezone.now()
        LogLeaf.objects.bulk_create(
            [
                LogLeaf(leaf_index=size + i, record_id=pk, record_hash=h, sequenced_at=now)
                for i, (pk, h) in enumerate(batch)
            ]
        )
        size += len(batch)


def checkpoint_body(size: int, root: bytes, at: datetime) -> str:
    """The C2SP checkpoint text, with the signing time as an extension line."""
    return notes.format_checkpoint(log_origin(), size, root) + f"time {utc_text(at)}\n"


def checkpoint_time(note: str) -> str | None:
    """The signing time stated in a checkpoint (its body or the whole signed note)."""
    # The body's lines are never empty; the blank line starts the signatures.
    for line in note.split("\n")[3:]:
        if not line:
            break
        if line.startswith("time "):
            return line[5:]
    return None


def checkpoint_create(*, at: datetime | None = None) -> Checkpoint:
    """Sequence what is committed, then sign a tree head over the whole log.

    The consistency proof from the previous checkpoint is stored with it and
    checked before signing: a log that was rewritten since is refused, loudly.
    """
    at = at or timezone.now()
    log_integrate()
    with transaction.atomic():
        _lock_log()
        # Read under the lock: another sequencer may have run since ours.
        size = tree_size()
        previous = Checkpoint.objects.order_by("-id").first()
        log_tree, nodes = tree(size)
        root = log_tree.root(size)
        proof: list[bytes] = []
        if previous is not None:
            proof = log_tree.consistency_proof(previous.tree_size, size)
            merkle.verify_consistency(
                old_size=previous.tree_size,
                new_size=size,
                old_root=bytes.fromhex(previous.root_hash),
                new_root=root,
                proof=proof,
            )
        note = notes.sign_note(checkpoint_body(size, root, at), log_origin(), signing_key())
        checkpoint = Checkpoint.objects.create(
            tree_size=size,
            root_hash=root.hex(),
            created_at=at,
            note=note,
            previous=previous,
            consistency_proof=[h.hex() for h in proof],
        )
        nodes.flush()
    _timestamp(checkpoint)
    return checkpoint


def checkpoint_current() -> Checkpoint:
    """The latest checkpoint when it covers every committed record, else a new one."""
    latest = Checkpoint.objects.order_by("-id").first()
    if (
        latest is not None
        and not EvidenceRecord.objects.filter(leaf__isnull=True).exists()
        and latest.tree_size == tree_size()
    ):
        return latest
    return checkpoint_create()


def _timestamp(checkpoint: Checkpoint) -> None:
    """Have the configured RFC 3161 authority time-stamp the signed note (optional)."""
    url = getattr(settings, "EVIDENCE_TSA_URL", "")
    if not url:
        return
    try:
        stamp = timestamping.request_timestamp(
            hashlib.sha256(checkpoint.note.encode()).digest(), url=url
        )
    # The checkpoint is committed and stands; a stamp that fails in any way is logged.
    except Exception:  # noqa: BLE001
        logger.exception("checkpoint %s: the time-stamping authority failed", checkpoint.pk)
        return
    CheckpointTimestamp.objects.create(
        checkpoint=checkpoint, token=stamp.token, gen_time=stamp.gen_time, authority=url
    )


def covering_checkpoint(leaf_index: int) -> Checkpoint | None:
    """The latest checkpoint whose tree includes `leaf_index`."""
    return Checkpoint.objects.filter(tree_size__gt=leaf_index).order_by("-id").first()


def inclusion_proof(leaf_index: int, checkpoint: Checkpoint) -> list[str]:
    log_tree, nodes = tree(checkpoint.tree_size)
    proof = log_tree.inclusion_proof(leaf_index, checkpoint.tree_size)
    nodes.flush()
    return [h.hex() for h in proof]
