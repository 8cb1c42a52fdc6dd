"""Checkpoints are C2SP signed notes that Go's sumdb/note and our verifier agree on."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from evidence.notes import (
    Checkpoint,
    NoteError,
    format_checkpoint,
    generate_private_key,
    key_id,
    load_private_key,
    load_public_key,
    parse_checkpoint,
    parse_verifier_key,
    private_key_pem,
    public_key_pem,
    sign_note,
    verifier_key,
    verify_note,
)

# golang.org/x/mod/sumdb/note, note.go package documentation: a signer key (seed),
# its verifier key, a text and the note signed with it (Ed25519 is deterministic).
PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
PETER_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
PETER_SIG = (
    "— PeterNeumann "
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)
# The same documentation re-signs that note with a second key, EnochRoot; its
# verifier key is in golang.org/x/mod sumdb/note/note_test.go.
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
ENOCH_SIG = (
    "— EnochRoot "
    "rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n"
)
# The worked example of c2sp.org/signed-note (C2SP/C2SP signed-note.md, commit d4c16da).
SPEC_VKEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
SPEC_NOTE = (
    "This is an example message.\n\n— example.com/foo "
    "Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n"
)
# A real checkpoint of the Go checksum database (sum.golang.org), whose published
# verifier key (GOSUMDB) has '+' inside its base64.
SUMDB_VKEY = "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8"
SUMDB_NOTE = (
    "go.sum database tree\n65209736\n5+uGFjx6xBZG8ip1+wi77v+grwbhhukIrxEUS8PXvRo=\n\n"
    "— sum.golang.org "
    "Az3grnbssgK7ubgFX36gVETtNv0U23qxyAhAMai2QUfeGa3nB/akvkMdlUErfcZz7l/R3cVtYspg3dxXABkGZZKdsQ8=\n"
)
# The example head of c2sp.org/tlog-checkpoint.
SPEC_CHECKPOINT = (
    "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
)

ROOT = bytes(range(32))
ORIGIN = "weiquan.example/evidence"


def peter_private_key() -> Ed25519PrivateKey:
    seed = base64.b64decode(PETER_SKEY.split("+", 4)[4])
    assert seed[0] == 1
    return Ed25519PrivateKey.from_private_bytes(seed[1:])


@pytest.fixture(scope="module")
def key() -> Ed25519PrivateKey:
    return generate_private_key()


# -- published vectors ------------------------------------------------------------


def test_key_id_and_verifier_key_match_go_sumdb_note():
    public = peter_private_key().public_key()
    assert key_id("PeterNeumann", public).hex() == "c74f20a3"
    assert verifier_key("PeterNeumann", public) == PETER_VKEY


def test_signing_reproduces_the_go_example_note_byte_for_byte():
    assert sign_note(PETER_TEXT, "PeterNeumann", peter_private_key()) == (
        PETER_TEXT + "\n" + PETER_SIG
    )


@pytest.mark.parametrize(
    ("vkey", "note", "text"),
    [
        (PETER_VKEY, PETER_TEXT + "\n" + PETER_SIG, PETER_TEXT),
        (SPEC_VKEY, SPEC_NOTE, "This is an example message.\n"),
        (SUMDB_VKEY, SUMDB_NOTE, SUMDB_NOTE.split("\n\n")[0] + "\n"),
    ],
    ids=["go-sumdb-note", "c2sp-signed-note", "sum.golang.org"],
)
def test_published_notes_verify_with_their_verifier_keys(vkey, note, text):
    name, public = parse_verifier_key(vkey)
    assert verify_note(note, name, public) == text
    assert verifier_key(name, public) == vkey


def test_a_cosigned_note_verifies_for_each_signer_and_ignores_the_other():
    note = PETER_TEXT + "\n" + PETER_SIG + ENOCH_SIG
    for vkey in (PETER_VKEY, ENOCH_VKEY):
        assert verify_note(note, *parse_verifier_key(vkey)) == PETER_TEXT


def test_a_real_sumdb_checkpoint_parses():
    body = verify_note(SUMDB_NOTE, *parse_verifier_key(SUMDB_VKEY))
    checkpoint = parse_checkpoint(body)
    assert checkpoint.origin == "go.sum database tree"
    assert checkpoint.tree_size == 65209736
    assert checkpoint.root_hash == base64.b64decode("5+uGFjx6xBZG8ip1+wi77v+grwbhhukIrxEUS8PXvRo=")


def test_the_spec_checkpoint_example_parses():
    assert parse_checkpoint(SPEC_CHECKPOINT) == Checkpoint(
        "example.com/behind-the-sofa",
        20852163,
        base64.b64decode("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I="),
    )


# -- checkpoints ------------------------------------------------------------------


def test_checkpoint_round_trips_through_a_signed_note(key):
    # given a tree head signed as a checkpoint
    note = sign_note(format_checkpoint(ORIGIN, 42, ROOT), ORIGIN, key)
    # when it is verified and read back
    origin, size, root_hash = parse_checkpoint(verify_note(note, ORIGIN, key.public_key()))
    # then the same head comes out, in the published text form
    assert (origin, size, root_hash) == (ORIGIN, 42, ROOT)
    assert note.startswith(f"{ORIGIN}\n42\n{base64.b64encode(ROOT).decode()}\n\n— {ORIGIN} ")


def test_the_empty_tree_checkpoint_has_size_zero():
    assert format_checkpoint(ORIGIN, 0, ROOT).split("\n")[1] == "0"
    assert parse_checkpoint(format_checkpoint(ORIGIN, 0, ROOT)).tree_size == 0


def test_extension_lines_are_tolerated_and_ignored():
    assert parse_checkpoint(format_checkpoint(ORIGIN, 7, ROOT) + "ext\n").tree_size == 7


@pytest.mark.parametrize(
    "body",
    [
        f"{ORIGIN}\n7\n{base64.b64encode(ROOT).decode()}",  # no final newline
        f"{ORIGIN}\n7\n",  # two lines
        f"\n7\n{base64.b64encode(ROOT).decode()}\n",  # empty origin
        f"{ORIGIN}\n07\n{base64.b64encode(ROOT).decode()}\n",  # leading zero
        f"{ORIGIN}\n-7\n{base64.b64encode(ROOT).decode()}\n",
        f"{ORIGIN}\n٧\n{base64.b64encode(ROOT).decode()}\n",  # a non-ASCII digit
        f"{ORIGIN}\n7\n{base64.b64encode(ROOT[:31]).decode()}\n",  # short hash
        f"{ORIGIN}\n7\n{base64.b64encode(ROOT).decode().rstrip('=')}\n",  # unpadded
        f"{ORIGIN}\n7\n{ROOT.hex()}\n",
        f"{ORIGIN}\n7\n{base64.b64encode(ROOT).decode()}\n\n",  # empty extension line
    ],
)
def test_malformed_checkpoints_are_refused(body):
    with pytest.raises(NoteError):
        parse_checkpoint(body)


@pytest.mark.parametrize(
    ("origin", "size", "root_hash"),
    [("", 1, ROOT), ("a\nb", 1, ROOT), (ORIGIN, -1, ROOT), (ORIGIN, True, ROOT), (ORIGIN, 1, b"")],
)
def test_impossible_checkpoints_are_not_formatted(origin, size, root_hash):
    with pytest.raises(NoteError):
        format_checkpoint(origin, size, root_hash)


# -- tampering --------------------------------------------------------------------


def test_a_tampered_body_fails(key):
    note = sign_note(format_checkpoint(ORIGIN, 42, ROOT), ORIGIN, key)
    with pytest.raises(NoteError, match="does not verify"):
        verify_note(note.replace("\n42\n", "\n43\n"), ORIGIN, key.public_key())


def test_a_wrong_key_fails(key):
    note = sign_note(format_checkpoint(ORIGIN, 42, ROOT), ORIGIN, key)
    with pytest.raises(NoteError, match="not signed by"):
        verify_note(note, ORIGIN, generate_private_key().public_key())


def test_a_wrong_name_fails(key):
    note = sign_note(format_checkpoint(ORIGIN, 42, ROOT), ORIGIN, key)
    with pytest.raises(NoteError, match="not signed by"):
        verify_note(note, "other.example/log", key.public_key())


def test_a_forged_signature_under_our_key_id_rejects_the_note(key):
    # given a valid note plus a second line that claims our name and key ID
    note = sign_note(format_checkpoint(ORIGIN, 42, ROOT), ORIGIN, key)
    forged = base64.b64encode(key_id(ORIGIN, key.public_key()) + bytes(64)).decode()
    # then the bad signature by a known key rejects the whole note
    with pytest.raises(NoteError, match="does not verify"):
        verify_note(f"{note}— {ORIGIN} {forged}\n", ORIGIN, key.public_key())


def test_unknown_signatures_are_ignored(key):
    note = sign_note(format_checkpoint(ORIGIN, 42, ROOT), ORIGIN, key)
    witness = generate_private_key()
    cosigned = note + sign_note("x\n", "witness.example", witness).split("\n\n")[1]
    assert verify_note(cosigned, ORIGIN, key.public_key()) == format_checkpoint(ORIGIN, 42, ROOT)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda n: n.replace("\n\n", "\n"),  # no blank line
        lambda n: n[:-1],  # no final newline
        lambda n: n.replace("— ", "-- "),  # not an em dash
        lambda n: n.replace("— ", "—"),
        lambda n: n + "\n",  # trailing blank line
        lambda n: n.replace("\n42\n", "\n4\t2\n"),  # control character
        lambda n: n.rsplit(" ", 1)[0] + " !!!!\n",  # not base64
        lambda n: n.rsplit(" ", 1)[0] + " AAAA\n",  # too short
        lambda n: n + "— x AAAAAAA=\n" * 100,  # too many signatures
    ],
)
def test_malformed_notes_are_refused(key, mangle):
    note = sign_note(format_checkpoint(ORIGIN, 42, ROOT), ORIGIN, key)
    with pytest.raises(NoteError):
        verify_note(mangle(note), ORIGIN, key.public_key())


@pytest.mark.parametrize("name", ["", "a b", "a+b", "a\u3000b", "a\nb"])
def test_invalid_key_names_are_refused(key, name):
    with pytest.raises(NoteError):
        sign_note("text\n", name, key)
    with pytest.raises(NoteError):
        verifier_key(name, key.public_key())


def test_only_newline_terminated_text_is_signed(key):
    with pytest.raises(NoteError):
        sign_note("no newline", ORIGIN, key)


@pytest.mark.parametrize(
    "vkey",
    [
        PETER_VKEY.replace("c74f20a3", "c74f20a4"),  # wrong ID
        PETER_VKEY.replace("c74f20a3", "C74F20A3"),
        PETER_VKEY.replace("+ARpc", "+AhRpc"),  # not type 0x01
        PETER_VKEY[:-4],  # truncated key
        "PeterNeumann+c74f20a3",
        "+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
    ],
)
def test_mangled_verifier_keys_are_refused(vkey):
    with pytest.raises(NoteError):
        parse_verifier_key(vkey)


# -- keys -------------------------------------------------------------------------


def test_keys_round_trip_through_pem(key):
    again = load_private_key(private_key_pem(key))
    assert verifier_key(ORIGIN, again.public_key()) == verifier_key(ORIGIN, key.public_key())
    public = load_public_key(public_key_pem(key.public_key()))
    note = sign_note("hello\n", ORIGIN, again)
    assert verify_note(note, ORIGIN, public) == "hello\n"
    assert public_key_pem(public).startswith(b"-----BEGIN PUBLIC KEY-----")


def test_an_encrypted_pem_needs_its_password(key):
    pem = private_key_pem(key, password=b"secret")
    assert b"ENCRYPTED" in pem
    assert load_private_key(pem, password=b"secret").public_key() == key.public_key()
    with pytest.raises((ValueError, TypeError)):
        load_private_key(pem)


def test_non_ed25519_keys_are_refused():
    other = ec.generate_private_key(ec.SECP256R1())
    pem = other.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    with pytest.raises(NoteError):
        load_private_key(pem)
    with pytest.raises(NoteError):
        load_public_key(
            other.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )
