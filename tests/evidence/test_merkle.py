"""The evidence log's Merkle tree agrees with RFC 9162 and the CT reference vectors."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evidence import merkle
from evidence.merkle import (
    EMPTY_ROOT,
    InvalidProof,
    Tree,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root,
    verify_consistency,
    verify_inclusion,
)

# Reference vectors of transparency-dev/merkle, proof/verify_test.go (Apache-2.0),
# which carries over the Certificate Transparency test suite: eight leaves, the
# root of every prefix, and known inclusion and consistency proofs.
LEAVES = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    b"\x50\x51\x52\x53\x54\x55\x56\x57",
    b"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f",
]
ROOTS = [  # ROOTS[i] is the root of the first i + 1 leaves
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
# (0-based leaf index, tree size, proof); the Go file numbers leaves from 1.
INCLUSION_VECTORS = [
    (0, 1, []),
    (
        0,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (
        1,
        5,
        [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]
# (old size, new size, proof)
CONSISTENCY_VECTORS = [
    (1, 1, []),
    (
        1,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        [
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (
        6,
        7,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
]
LEAF_HASHES = [leaf_hash(leaf) for leaf in LEAVES]
SOME_HASH = bytes.fromhex("abacaba000000000000000000000000000000000000000000060061e00123456")


def h(hexes: list[str]) -> list[bytes]:
    return [bytes.fromhex(x) for x in hexes]


# An independent oracle: the RFC 9162 §2.1 definitions, transcribed literally.
def _k(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def spec_mth(d: list[bytes]) -> bytes:
    if not d:
        return hashlib.sha256(b"").digest()
    if len(d) == 1:
        return hashlib.sha256(b"\x00" + d[0]).digest()
    k = _k(len(d))
    return hashlib.sha256(b"\x01" + spec_mth(d[:k]) + spec_mth(d[k:])).digest()


def spec_path(m: int, d: list[bytes]) -> list[bytes]:
    if len(d) == 1:
        return []
    k = _k(len(d))
    if m < k:
        return spec_path(m, d[:k]) + [spec_mth(d[k:])]
    return spec_path(m - k, d[k:]) + [spec_mth(d[:k])]


def spec_subproof(m: int, d: list[bytes], b: bool) -> list[bytes]:
    if m == len(d):
        return [] if b else [spec_mth(d)]
    k = _k(len(d))
    if m <= k:
        return spec_subproof(m, d[:k], b) + [spec_mth(d[k:])]
    return spec_subproof(m - k, d[k:], False) + [spec_mth(d[:k])]


def flip_bit(value: bytes, bit: int) -> bytes:
    return bytes([value[0] ^ (1 << bit)]) + value[1:]


# -- hashing ----------------------------------------------------------------------


def test_empty_tree_root_is_sha256_of_the_empty_string():
    assert (
        root([])
        == EMPTY_ROOT
        == bytes.fromhex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    )


def test_leaf_and_node_hashes_are_domain_separated():
    assert leaf_hash(b"") == bytes.fromhex(ROOTS[0])
    assert node_hash(LEAF_HASHES[0], LEAF_HASHES[1]) == bytes.fromhex(ROOTS[1])
    assert leaf_hash(b"a" * 64) != node_hash(b"a" * 32, b"a" * 32)


@pytest.mark.parametrize("size", range(1, 9))
def test_root_of_every_prefix_matches_the_reference_vectors(size):
    assert root(LEAF_HASHES, size).hex() == ROOTS[size - 1]
    assert root(LEAF_HASHES[:size]).hex() == ROOTS[size - 1]


# -- inclusion --------------------------------------------------------------------


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION_VECTORS)
def test_inclusion_proof_matches_and_verifies_against_the_reference_vectors(index, size, proof):
    assert inclusion_proof(LEAF_HASHES, index, size) == h(proof)
    verify_inclusion(
        LEAF_HASHES[index],
        index=index,
        tree_size=size,
        proof=h(proof),
        root=bytes.fromhex(ROOTS[size - 1]),
    )


def _corrupt_inclusion(index, size, proof, tree_root, leaf):
    """The same probes as transparency-dev's corruptInclusionProof."""
    probes = [
        (index - 1, size, tree_root, leaf, proof),
        (index + 1, size, tree_root, leaf, proof),
        (index ^ 2, size, tree_root, leaf, proof),
        (index, size * 2, tree_root, leaf, proof),
        (index, size // 2, tree_root, leaf, proof),
        (index, size, tree_root, b"WrongLeaf", proof),
        (index, size, tree_root, SOME_HASH, proof),
        (index, size, EMPTY_ROOT, leaf, proof),
        (index, size, SOME_HASH, leaf, proof),
        (index, size, tree_root, leaf, [*proof, b""]),
        (index, size, tree_root, leaf, [*proof, tree_root]),
        (index, size, tree_root, leaf, [b"", *proof]),
        (index, size, tree_root, leaf, [tree_root, *proof]),
    ]
    for i in range(len(proof)):
        wrong = list(proof)
        wrong[i] = flip_bit(wrong[i], 3)
        probes.append((index, size, tree_root, leaf, wrong))
    if proof:
        probes.append((index, size, tree_root, leaf, proof[:-1]))
    if len(proof) > 1:
        probes.append((index, size, tree_root, leaf, [proof[0], SOME_HASH, *proof[1:]]))
    return probes


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION_VECTORS)
def test_corrupted_reference_inclusion_proofs_fail(index, size, proof):
    probes = _corrupt_inclusion(
        index, size, h(proof), bytes.fromhex(ROOTS[size - 1]), LEAF_HASHES[index]
    )
    for p_index, p_size, p_root, p_leaf, p_proof in probes:
        with pytest.raises(InvalidProof):
            verify_inclusion(p_leaf, index=p_index, tree_size=p_size, proof=p_proof, root=p_root)


@pytest.mark.parametrize(("index", "size"), [(0, 0), (0, 1), (1, 0), (2, 1)])
def test_inclusion_in_an_empty_or_too_small_tree_fails(index, size):
    # given a proof-less claim with mismatched or empty hashes (as transparency-dev probes)
    for leaf, tree_root in [(SOME_HASH, b""), (b"", EMPTY_ROOT), (SOME_HASH, EMPTY_ROOT)]:
        with pytest.raises(InvalidProof):
            verify_inclusion(leaf, index=index, tree_size=size, proof=[], root=tree_root)


def test_a_single_leaf_tree_has_the_leaf_hash_as_root_and_an_empty_proof():
    only = leaf_hash(b"data")
    assert root([only]) == only
    assert inclusion_proof([only], 0) == []
    verify_inclusion(only, index=0, tree_size=1, proof=[], root=only)
    with pytest.raises(InvalidProof):
        verify_inclusion(only, index=0, tree_size=1, proof=[], root=b"")


def test_proof_generation_refuses_impossible_positions():
    with pytest.raises(ValueError):
        inclusion_proof(LEAF_HASHES, 8)
    with pytest.raises(ValueError):
        inclusion_proof(LEAF_HASHES, 0, 9)
    with pytest.raises(ValueError):
        inclusion_proof(LEAF_HASHES, -1)
    with pytest.raises(ValueError):
        consistency_proof(LEAF_HASHES, 5, 4)


# -- consistency ------------------------------------------------------------------


@pytest.mark.parametrize(("old", "new", "proof"), CONSISTENCY_VECTORS)
def test_consistency_proof_matches_and_verifies_against_the_reference_vectors(old, new, proof):
    assert consistency_proof(LEAF_HASHES, old, new) == h(proof)
    verify_consistency(
        old_size=old,
        new_size=new,
        old_root=bytes.fromhex(ROOTS[old - 1]),
        new_root=bytes.fromhex(ROOTS[new - 1]),
        proof=h(proof),
    )


def _corrupt_consistency(old, new, old_root, new_root, proof):
    """The same probes as transparency-dev's corruptConsistencyProof."""
    probes = [
        (old - 1, new, old_root, new_root, proof),
        (old + 1, new, old_root, new_root, proof),
        (old ^ 2, new, old_root, new_root, proof),
        (old, new * 2, old_root, new_root, proof),
        (old, new // 2, old_root, new_root, proof),
        (old, new, b"WrongRoot", new_root, proof),
        (old, new, old_root, b"WrongRoot", proof),
        (old, new, SOME_HASH, new_root, proof),
        (old, new, old_root, SOME_HASH, proof),
        (old, new, new_root, old_root, proof),
        (old, new, old_root, new_root, []),
        (old, new, old_root, new_root, [*proof, b""]),
        (old, new, old_root, new_root, [*proof, old_root]),
        (old, new, old_root, new_root, [*proof, new_root]),
        (old, new, old_root, new_root, [b"", *proof]),
        (old, new, old_root, new_root, [old_root, *proof]),
        (old, new, old_root, new_root, [new_root, *proof]),
        (old, new, old_root, new_root, [proof[0], *proof]),
        (old, new, old_root, new_root, proof[:-1]),
    ]
    for i in range(len(proof)):
        wrong = list(proof)
        wrong[i] = flip_bit(wrong[i], 4)
        probes.append((old, new, old_root, new_root, wrong))
    return probes


@pytest.mark.parametrize(("old", "new", "proof"), [v for v in CONSISTENCY_VECTORS if v[2]])
def test_corrupted_reference_consistency_proofs_fail(old, new, proof):
    probes = _corrupt_consistency(
        old, new, bytes.fromhex(ROOTS[old - 1]), bytes.fromhex(ROOTS[new - 1]), h(proof)
    )
    for p_old, p_new, p_old_root, p_new_root, p_proof in probes:
        with pytest.raises(InvalidProof):
            verify_consistency(
                old_size=p_old,
                new_size=p_new,
                old_root=p_old_root,
                new_root=p_new_root,
                proof=p_proof,
            )


def test_the_empty_tree_is_consistent_with_any_tree_but_only_by_its_own_root():
    new_root = bytes.fromhex(ROOTS[4])
    assert consistency_proof(LEAF_HASHES, 0, 5) == []
    verify_consistency(old_size=0, new_size=5, old_root=EMPTY_ROOT, new_root=new_root, proof=[])
    verify_consistency(old_size=0, new_size=0, old_root=EMPTY_ROOT, new_root=EMPTY_ROOT, proof=[])
    with pytest.raises(InvalidProof):
        verify_consistency(old_size=0, new_size=5, old_root=SOME_HASH, new_root=new_root, proof=[])
    with pytest.raises(InvalidProof):
        verify_consistency(
            old_size=0, new_size=5, old_root=EMPTY_ROOT, new_root=new_root, proof=[EMPTY_ROOT]
        )


def test_equal_sizes_need_equal_roots_and_no_proof():
    same = bytes.fromhex(ROOTS[3])
    verify_consistency(old_size=4, new_size=4, old_root=same, new_root=same, proof=[])
    with pytest.raises(InvalidProof):
        verify_consistency(old_size=4, new_size=4, old_root=same, new_root=SOME_HASH, proof=[])
    with pytest.raises(InvalidProof):
        verify_consistency(old_size=4, new_size=4, old_root=same, new_root=same, proof=[same])


def test_a_tree_cannot_shrink():
    with pytest.raises(InvalidProof):
        verify_consistency(
            old_size=2,
            new_size=1,
            old_root=bytes.fromhex(ROOTS[1]),
            new_root=bytes.fromhex(ROOTS[0]),
            proof=[],
        )


# -- every size up to 40, against the literal RFC definitions ---------------------

BIG_ENTRIES = [i.to_bytes(4, "big") for i in range(40)]
BIG = [leaf_hash(entry) for entry in BIG_ENTRIES]


def test_every_inclusion_proof_up_to_40_leaves_matches_the_rfc_and_verifies():
    tree = Tree(BIG, cache_min_level=1)  # one tree, one cache, every size
    for size in range(1, len(BIG) + 1):
        size_root = tree.root(size)
        assert size_root == spec_mth(BIG_ENTRIES[:size])
        for index in range(size):
            proof = tree.inclusion_proof(index, size)
            assert proof == spec_path(index, BIG_ENTRIES[:size])
            verify_inclusion(BIG[index], index=index, tree_size=size, proof=proof, root=size_root)


def test_every_consistency_proof_up_to_40_leaves_matches_the_rfc_and_verifies():
    tree = Tree(BIG, cache_min_level=2)
    roots = [tree.root(size) for size in range(len(BIG) + 1)]
    for new in range(1, len(BIG) + 1):
        for old in range(1, new + 1):
            proof = tree.consistency_proof(old, new)
            assert proof == spec_subproof(old, BIG_ENTRIES[:new], True)
            verify_consistency(
                old_size=old, new_size=new, old_root=roots[old], new_root=roots[new], proof=proof
            )


# -- properties -------------------------------------------------------------------

# Distinct entries: with two equal leaves one proof rightly serves both positions.
leaf_lists = st.lists(st.binary(min_size=32, max_size=32), min_size=1, max_size=40, unique=True)


@settings(max_examples=60, deadline=None)
@given(leaves=leaf_lists, data=st.data())
def test_inclusion_proofs_verify_and_any_tampering_fails(leaves, data):
    hashes = [leaf_hash(x) for x in leaves]
    size = data.draw(st.integers(1, len(hashes)), label="size")
    index = data.draw(st.integers(0, size - 1), label="index")
    tree_root = root(hashes, size)
    proof = inclusion_proof(hashes, index, size)
    verify_inclusion(hashes[index], index=index, tree_size=size, proof=proof, root=tree_root)

    # a different position with the same proof
    if size > 1:
        other = data.draw(st.integers(0, size - 1).filter(lambda i: i != index), label="other")
        with pytest.raises(InvalidProof):
            verify_inclusion(
                hashes[index], index=other, tree_size=size, proof=proof, root=tree_root
            )
    # a flipped bit in the leaf, the root or one proof element
    bit = data.draw(st.integers(0, 255), label="bit")
    flipped = bytearray(hashes[index])
    flipped[bit // 8] ^= 1 << (bit % 8)
    with pytest.raises(InvalidProof):
        verify_inclusion(bytes(flipped), index=index, tree_size=size, proof=proof, root=tree_root)
    bad_root = bytearray(tree_root)
    bad_root[bit // 8] ^= 1 << (bit % 8)
    with pytest.raises(InvalidProof):
        verify_inclusion(
            hashes[index], index=index, tree_size=size, proof=proof, root=bytes(bad_root)
        )
    if proof:
        at = data.draw(st.integers(0, len(proof) - 1), label="at")
        bad = bytearray(proof[at])
        bad[bit // 8] ^= 1 << (bit % 8)
        tampered = [*proof[:at], bytes(bad), *proof[at + 1 :]]
        with pytest.raises(InvalidProof):
            verify_inclusion(
                hashes[index], index=index, tree_size=size, proof=tampered, root=tree_root
            )
        with pytest.raises(InvalidProof):
            verify_inclusion(
                hashes[index], index=index, tree_size=size, proof=proof[:-1], root=tree_root
            )


@settings(max_examples=60, deadline=None)
@given(leaves=leaf_lists, data=st.data())
def test_consistency_proofs_verify_and_a_rewritten_history_fails(leaves, data):
    hashes = [leaf_hash(x) for x in leaves]
    new = data.draw(st.integers(1, len(hashes)), label="new")
    old = data.draw(st.integers(1, new), label="old")
    old_root, new_root = root(hashes, old), root(hashes, new)
    proof = consistency_proof(hashes, old, new)
    verify_consistency(
        old_size=old, new_size=new, old_root=old_root, new_root=new_root, proof=proof
    )

    # when one old leaf is rewritten and the log re-signed, the old checkpoint no longer fits
    at = data.draw(st.integers(0, old - 1), label="rewritten")
    rewritten = [*hashes[:at], leaf_hash(b"forged" + hashes[at]), *hashes[at + 1 :]]
    forged_root = root(rewritten, new)
    forged_proof = consistency_proof(rewritten, old, new)
    with pytest.raises(InvalidProof):
        verify_consistency(
            old_size=old, new_size=new, old_root=old_root, new_root=forged_root, proof=forged_proof
        )
    if proof:
        bit = data.draw(st.integers(0, 255), label="bit")
        pos = data.draw(st.integers(0, len(proof) - 1), label="pos")
        bad = bytearray(proof[pos])
        bad[bit // 8] ^= 1 << (bit % 8)
        tampered = [*proof[:pos], bytes(bad), *proof[pos + 1 :]]
        with pytest.raises(InvalidProof):
            verify_consistency(
                old_size=old, new_size=new, old_root=old_root, new_root=new_root, proof=tampered
            )


# -- cost -------------------------------------------------------------------------


class CountingLeaves(list):
    """A leaf-hash list that counts how many leaves were read (as a database would)."""

    reads = 0

    def __getitem__(self, key):
        got = super().__getitem__(key)
        self.reads += len(got) if isinstance(key, slice) else 1
        return got


def test_a_warm_tree_proves_without_rereading_the_log():
    # given a 1,000-leaf log whose root was computed once
    leaves = CountingLeaves(leaf_hash(i.to_bytes(4, "big")) for i in range(1000))
    tree = Tree(leaves, cache_min_level=4)
    tree.root()
    assert leaves.reads == 1000
    # when proofs for other leaves and an older size are made
    leaves.reads = 0
    for index in (0, 499, 998, 999):
        tree.inclusion_proof(index)
    tree.consistency_proof(700)
    # then each touches fewer than 2 * 2**4 leaves, not the whole log
    assert leaves.reads < 5 * 2 * 2**4


def test_a_shared_cache_stays_valid_as_the_log_grows():
    cache: dict[tuple[int, int], bytes] = {}
    Tree(BIG[:23], cache=cache, cache_min_level=1).root()
    grown = Tree(BIG, cache=cache, cache_min_level=1)
    assert grown.root() == spec_mth(BIG_ENTRIES)
    assert grown.inclusion_proof(22) == spec_path(22, BIG_ENTRIES)
    assert grown.consistency_proof(23) == spec_subproof(23, BIG_ENTRIES, True)


def test_hashes_of_the_wrong_length_are_refused():
    with pytest.raises(InvalidProof):
        merkle.root_from_inclusion_proof(b"short", index=0, tree_size=1, proof=[])
    with pytest.raises(InvalidProof):
        verify_consistency(
            old_size=1, new_size=2, old_root=LEAF_HASHES[0], new_root=SOME_HASH, proof=[b"x" * 31]
        )
