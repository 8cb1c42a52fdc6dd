"""The RFC 9162 Merkle tree over the evidence log: roots, inclusion and consistency proofs.

Hashes follow RFC 9162 §2.1.1 (the same tree as RFC 6962, so tlog tools agree):
leaf hash = SHA-256(0x00 ‖ leaf), node hash = SHA-256(0x01 ‖ left ‖ right), and the
root of the empty tree is SHA-256 of the empty string. Everything here works on
*leaf hashes* (32 bytes each); the leaf of an evidence record is its `record_hash`,
so callers pass `leaf_hash(record_hash)` for each record in log order.

This module imports nothing from Django or the project, so the offline verifier in
an evidence package can ship it as a single file.
"""

from __future__ import annotations

import hashlib
from collections.abc import MutableMapping, Sequence

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"


class InvalidProof(ValueError):
    """A proof, root or size does not check out; `reason` says which step failed."""

    code = "invalid_proof"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def leaf_hash(leaf: bytes) -> bytes:
    """Hash one log entry as a leaf (RFC 9162 §2.1.1)."""
    return hashlib.sha256(_LEAF_PREFIX + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Hash two child hashes into their parent (RFC 9162 §2.1.1)."""
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()


def _split(n: int) -> int:
    """Return the largest power of two strictly below n (n > 1), the RFC's k."""
    return 1 << ((n - 1).bit_length() - 1)


class Tree:
    """The log's tree over a sequence of leaf hashes, at any size up to its length.

    Proofs need hashes of subtrees; a *perfect* subtree (2**level leaves starting
    at a multiple of 2**level) never changes once its leaves exist, because the log
    is append-only. The tree memoises those hashes in `cache`, keyed by
    `(level, index)`, so the cache stays valid for every tree size and as the log
    grows; pass the same mapping again (or a persistent one) to reuse the work.

    Cost, n = tree size: the first root or proof hashes every leaf once, O(n).
    Afterwards a root or proof costs O(log n) cached look-ups plus at most
    2**cache_min_level hashes per proof step below the cached levels. Levels below
    `cache_min_level` are recomputed rather than stored, which bounds the cache to
    about n / 2**(cache_min_level - 1) entries (default 6: ~32k entries for 1M
    leaves). `leaf_hashes` only needs `len()` and slicing, so it may be a lazy,
    database-backed sequence; it is read in slices of 2**cache_min_level.
    """

    def __init__(
        self,
        leaf_hashes: Sequence[bytes],
        *,
        cache: MutableMapping[tuple[int, int], bytes] | None = None,
        cache_min_level: int = 6,
    ) -> None:
        if cache_min_level < 1:
            raise ValueError("cache_min_level must be at least 1")
        self._leaves = leaf_hashes
        self._cache: MutableMapping[tuple[int, int], bytes] = {} if cache is None else cache
        self._cache_min_level = cache_min_level

    @property
    def size(self) -> int:
        """Return the number of leaves available."""
        return len(self._leaves)

    def root(self, tree_size: int | None = None) -> bytes:
        """Return the root hash of the first `tree_size` leaves (default: all)."""
        size = self._size(tree_size)
        return EMPTY_ROOT if size == 0 else self._range(0, size)

    def inclusion_proof(self, index: int, tree_size: int | None = None) -> list[bytes]:
        """Return the audit path for leaf `index` in the tree of `tree_size` (RFC 9162 §2.1.3.1).

        The first hash is the leaf's sibling, the last the root's other child.
        """
        size = self._size(tree_size)
        if not 0 <= index < size:
            raise ValueError(f"leaf index {index} is outside a tree of size {size}")
        path: list[bytes] = []
        start, end = 0, size
        while end - start > 1:
            k = _split(end - start)
            if index < start + k:
                path.append(self._range(start + k, end))
                end = start + k
            else:
                path.append(self._range(start, start + k))
                start += k
        path.reverse()
        return path

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> list[bytes]:
        """Return the proof that the tree of `old_size` is a prefix of `new_size` (§2.1.4.1).

        It is empty when old_size is 0 or equals new_size: there is nothing to prove.
        """
        size = self._size(new_size)
        if not 0 <= old_size <= size:
            raise ValueError(f"old size {old_size} is outside 0..{size}")
        if old_size in (0, size):
            return []
        # SUBPROOF(m, D[start:end], b), unrolled from the root down; `m` counts the
        # old tree's leaves inside [start, end) and `whole` is the RFC's flag b.
        proof: list[bytes] = []
        start, end, m, whole = 0, size, old_size, True
        while m != end - start:
            k = _split(end - start)
            if m <= k:
                proof.append(self._range(start + k, end))
                end = start + k
            else:
                proof.append(self._range(start, start + k))
                start, m, whole = start + k, m - k, False
        if not whole:
            proof.append(self._range(start, end))
        proof.reverse()
        return proof

    def _size(self, tree_size: int | None) -> int:
        available = len(self._leaves)
        if tree_size is None:
            return available
        if not 0 <= tree_size <= available:
            raise ValueError(f"tree size {tree_size} is outside 0..{available}")
        return tree_size

    def _range(self, start: int, end: int) -> bytes:
        """Hash a node of the RFC tree: leaves [start, end), end > start."""
        n = end - start
        if n & (n - 1) == 0:
            level = n.bit_length() - 1
            return self._perfect(level, start >> level)
        # The left child of every node in the RFC tree is perfect and aligned.
        k = _split(n)
        return node_hash(self._perfect(k.bit_length() - 1, start // k), self._range(start + k, end))

    def _perfect(self, level: int, index: int) -> bytes:
        """Hash the perfect subtree of 2**level leaves starting at index * 2**level."""
        if level < self._cache_min_level:
            start = index << level
            row = list(self._leaves[start : start + (1 << level)])
            while len(row) > 1:
                row = [node_hash(row[i], row[i + 1]) for i in range(0, len(row), 2)]
            return row[0]
        key = (level, index)
        cached = self._cache.get(key)
        if cached is None:
            cached = node_hash(
                self._perfect(level - 1, 2 * index), self._perfect(level - 1, 2 * index + 1)
            )
            self._cache[key] = cached
        return cached


def root(leaf_hashes: Sequence[bytes], tree_size: int | None = None) -> bytes:
    """Return the root hash of the first `tree_size` leaf hashes (default: all)."""
    return Tree(leaf_hashes).root(tree_size)


def inclusion_proof(
    leaf_hashes: Sequence[bytes], index: int, tree_size: int | None = None
) -> list[bytes]:
    """Return the inclusion proof of leaf `index`; use `Tree` to prove many leaves."""
    return Tree(leaf_hashes).inclusion_proof(index, tree_size)


def consistency_proof(
    leaf_hashes: Sequence[bytes], old_size: int, new_size: int | None = None
) -> list[bytes]:
    """Return the consistency proof from `old_size` to `new_size` (default: all)."""
    return Tree(leaf_hashes).consistency_proof(old_size, new_size)


def _check_hash(value: bytes, what: str) -> None:
    if not isinstance(value, bytes) or len(value) != HASH_SIZE:
        raise InvalidProof(f"{what} is not a {HASH_SIZE}-byte hash")


def root_from_inclusion_proof(
    leaf_hash: bytes, *, index: int, tree_size: int, proof: Sequence[bytes]
) -> bytes:
    """Recompute the root implied by an inclusion proof (RFC 9162 §2.1.3.2, steps 1-4)."""
    _check_hash(leaf_hash, "leaf hash")
    for position, sibling in enumerate(proof):
        _check_hash(sibling, f"proof[{position}]")
    if not 0 <= index < tree_size:
        raise InvalidProof(f"leaf index {index} is outside a tree of size {tree_size}")
    fn, sn = index, tree_size - 1
    r = leaf_hash
    for sibling in proof:
        if sn == 0:
            raise InvalidProof("proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            r = node_hash(sibling, r)
            # Skip the levels where this node is a lone right edge (no sibling).
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, sibling)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise InvalidProof("proof is shorter than the tree is deep")
    return r


def verify_inclusion(
    leaf_hash: bytes, *, index: int, tree_size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Check that `leaf_hash` is leaf `index` of the tree with `root`; raise InvalidProof."""
    _check_hash(root, "root")
    if root_from_inclusion_proof(leaf_hash, index=index, tree_size=tree_size, proof=proof) != root:
        raise InvalidProof("inclusion proof does not lead to the root")


def verify_consistency(
    *, old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """Check that the tree with `old_root` is a prefix of the one with `new_root` (§2.1.4.2).

    Raise InvalidProof otherwise. The empty tree is a prefix of every tree, but its
    root must then be SHA-256 of the empty string; equal sizes need equal roots.
    """
    _check_hash(old_root, "old root")
    _check_hash(new_root, "new root")
    for position, node in enumerate(proof):
        _check_hash(node, f"proof[{position}]")
    if not 0 <= old_size <= new_size:
        raise InvalidProof(f"sizes {old_size} -> {new_size} do not grow")
    if old_size == 0 or old_size == new_size:
        if proof:
            raise InvalidProof("proof must be empty when there is nothing to prove")
        if old_size == 0 and old_root != EMPTY_ROOT:
            raise InvalidProof("old root is not the empty tree's root")
        if old_size == new_size and old_root != new_root:
            raise InvalidProof("roots differ for the same size")
        return
    if not proof:
        raise InvalidProof("proof is empty")
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        # The old tree is a perfect subtree of the new one, so the proof omits it.
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise InvalidProof("proof is longer than the new tree is deep")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise InvalidProof("proof is shorter than the new tree is deep")
    if fr != old_root:
        raise InvalidProof("proof does not lead to the old root")
    if sr != new_root:
        raise InvalidProof("proof does not lead to the new root")
