"""The evidence package (证据包): a ZIP that a court checks offline, and that fails when touched.

The offline verifier runs as the court would run it: `python verify.py` in the unpacked
directory, in a separate process, with only the files of the package beside it.
"""

from __future__ import annotations

import ast
import io
import json
import shutil
import subprocess
import sys
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from complaints.actors import Actor
from evidence import chain, log, notes, offline_verifier
from evidence.models import Checkpoint, EvidenceRecord
from evidence.package import evidence_package_build
from evidence.services import evidence_upload
from tests.api.clients import client_for
from tests.states import complaint_in

pytestmark = pytest.mark.django_db
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
RECEIPT = "订单 SO-2026-0001 实付 1299.00 元\n".encode()
EVIDENCE_DIR = Path(offline_verifier.__file__).parent


@pytest.fixture
def complaint(consumer, platform):
    complaint = complaint_in("settled", consumer=consumer, platform_code="shop")
    evidence_upload(
        complaint_id=complaint.pk,
        actor=Actor.of_user(consumer),
        data=PNG,
        file_name="耳机照片.png",
        kind="photo",
        description="左耳无声",
    )
    evidence_upload(
        complaint_id=complaint.pk,
        actor=Actor.of_platform(platform),
        data=RECEIPT,
        file_name="order.txt",
        kind="transaction_record",
    )
    return complaint


def unpack(data: bytes, into: Path) -> Path:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        archive.extractall(into)
    return into


def verify(directory: Path, *args: str) -> subprocess.CompletedProcess:
    """Run the shipped verifier as a court would: its own process, in the package directory."""
    # -I: no PYTHONPATH, no current directory on sys.path; the verifier finds its modules.
    return subprocess.run(  # noqa: S603 (our interpreter, our script)
        [sys.executable, "-I", "-X", "utf8", "verify.py", *args],
        cwd=directory,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        check=False,
    )


@pytest.fixture
def package_dir(complaint, tmp_path) -> Path:
    return unpack(evidence_package_build(complaint=complaint), tmp_path / "package")


def load(directory: Path) -> dict:
    return json.loads((directory / "manifest.json").read_text(encoding="utf-8"))


def save(directory: Path, manifest: dict) -> None:
    (directory / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8"
    )


# An untouched package.


def test_an_untouched_package_verifies_offline(complaint, package_dir):
    result = verify(package_dir)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "RESULT: ALL CHECKS PASSED" in result.stdout
    assert "全部核验通过" in result.stdout
    assert offline_verifier.key_fingerprint(log.public_key()) in result.stdout
    assert "--key" in result.stdout  # without a trusted key it says to compare the key


def test_the_package_holds_every_record_with_its_content_and_proof(complaint, package_dir):
    manifest = load(package_dir)
    records = list(EvidenceRecord.objects.filter(complaint=complaint).order_by("seq"))
    assert manifest["complaint"] == complaint.reference
    assert [r["id"] for r in manifest["records"]] == [r.pk for r in records]
    assert [r["seq"] for r in manifest["records"]] == [1, 2, 3, 4, 5, 6]
    photo = manifest["records"][4]
    assert (photo["kind"], photo["media_type"], photo["file_name"]) == (
        "photo",
        "image/png",
        "耳机照片.png",
    )
    assert (package_dir / photo["file"]).read_bytes() == PNG
    filed = json.loads((package_dir / manifest["records"][0]["file"]).read_bytes())
    assert filed["event"] == "filed" and filed["complaint"] == complaint.reference
    for entry, record in zip(manifest["records"], records, strict=True):
        assert entry["record_hash"] == record.record_hash
        assert entry["prev_hash"] == record.prev_hash
        assert entry["leaf_index"] == record.leaf.leaf_index
        assert all(len(h) == 64 for h in entry["inclusion_proof"])
    checkpoint = Checkpoint.objects.get()
    assert manifest["checkpoint"]["tree_size"] == checkpoint.tree_size
    assert manifest["checkpoint"]["root_hash"] == checkpoint.root_hash
    assert manifest["checkpoint"]["note"] == checkpoint.note
    assert manifest["checkpoint"]["time"] == chain.utc_text(checkpoint.created_at)
    assert notes.load_public_key(manifest["public_key"].encode()) == log.public_key()
    assert manifest["log_origin"] == log.log_origin()
    assert {p.name for p in package_dir.iterdir()} == {
        "manifest.json",
        "files",
        "certificate.pdf",
        "verify.py",
        "merkle.py",
        "notes.py",
        "README.txt",
    }
    readme = (package_dir / "README.txt").read_text(encoding="utf-8")
    assert "python3 verify.py" in readme and "pip install cryptography" in readme
    assert "/api/v1/evidence/public-key/" in readme
    assert (package_dir / "certificate.pdf").read_bytes().startswith(b"%PDF-")


def test_the_shipped_verifier_is_the_repository_code(quick_certificate, package_dir):
    for shipped, source in [
        ("verify.py", "offline_verifier.py"),
        ("merkle.py", "merkle.py"),
        ("notes.py", "notes.py"),
    ]:
        assert (package_dir / shipped).read_bytes() == (EVIDENCE_DIR / source).read_bytes()


def test_the_verifier_needs_only_the_standard_library_and_cryptography(
    quick_certificate, package_dir
):
    allowed = set(sys.stdlib_module_names) | {"__future__", "cryptography", "merkle", "notes"}
    for name in ("verify.py", "merkle.py", "notes.py"):
        tree = ast.parse((package_dir / name).read_text(encoding="utf-8"))
        imported = {
            alias.name.split(".")[0]
            for node in ast.walk(tree)
            if isinstance(node, ast.Import)
            for alias in node.names
        } | {
            node.module.split(".")[0]
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0
        }
        assert imported <= allowed, (name, imported - allowed)


def test_the_verifier_hashes_records_as_the_service_does(complaint, quick_certificate, package_dir):
    """The verifier duplicates the canonical form of evidence/chain.py; they must not drift."""
    assert offline_verifier.RECORD_FIELDS == chain.FIELDS
    assert (offline_verifier.DOMAIN, offline_verifier.GENESIS) == (chain.DOMAIN, chain.GENESIS)
    entries = {r["id"]: r for r in load(package_dir)["records"]}
    for record in EvidenceRecord.objects.filter(complaint=complaint).select_related("complaint"):
        assert offline_verifier.record_hash(chain.record_fields(record)) == chain.record_hash(
            record
        )
        assert offline_verifier.record_hash(entries[record.pk]) == record.record_hash


def test_a_checkpoint_is_signed_only_when_none_covers_the_records(
    complaint, consumer, tmp_path, quick_certificate
):
    assert not Checkpoint.objects.exists()
    evidence_package_build(complaint=complaint)
    assert Checkpoint.objects.count() == 1
    evidence_package_build(complaint=complaint)
    assert Checkpoint.objects.count() == 1  # still covers every record
    evidence_upload(
        complaint_id=complaint.pk,
        actor=Actor.of_user(consumer),
        data=PNG + b"\x00",
        file_name="more.png",
        kind="photo",
    )
    directory = unpack(evidence_package_build(complaint=complaint), tmp_path / "p")
    assert Checkpoint.objects.count() == 2
    assert load(directory)["checkpoint"]["tree_size"] == EvidenceRecord.objects.count()
    assert verify(directory).returncode == 0


def test_the_published_key_is_accepted_as_the_trusted_key(quick_certificate, package_dir, tmp_path):
    vkey = notes.verifier_key(log.log_origin(), log.public_key())
    assert verify(package_dir, "--key", vkey).returncode == 0
    pem = tmp_path / "published.pem"
    pem.write_bytes(notes.public_key_pem(log.public_key()))
    result = verify(package_dir, "--key", str(pem))
    assert result.returncode == 0, result.stdout


# Tampering: each way fails, naming the check and the record.


def _change_file(directory: Path, manifest: dict) -> int:
    photo = next(r for r in manifest["records"] if r["kind"] == "photo")
    path = directory / photo["file"]
    data = bytearray(path.read_bytes())
    data[40] ^= 0x01
    path.write_bytes(bytes(data))
    return photo["seq"]


def _change_field(directory: Path, manifest: dict) -> int:
    manifest["records"][2]["description"] = "同意全额退款1299元"
    save(directory, manifest)
    return 3


def _remove_record(directory: Path, manifest: dict) -> int:
    del manifest["records"][1]
    save(directory, manifest)
    return 3  # the record now in second place


def _swap_records(directory: Path, manifest: dict) -> int:
    records = manifest["records"]
    records[1], records[2] = records[2], records[1]
    save(directory, manifest)
    return 3


def _change_proof(directory: Path, manifest: dict) -> int:
    record = next(r for r in manifest["records"] if r["inclusion_proof"])
    proof = record["inclusion_proof"]
    proof[0] = ("0" if proof[0][0] != "0" else "1") + proof[0][1:]
    save(directory, manifest)
    return record["seq"]


def _forge_checkpoint_root(directory: Path, manifest: dict) -> None:
    forged_root = "A" * 43 + "="
    lines = manifest["checkpoint"]["note"].split("\n")
    lines[2] = forged_root
    manifest["checkpoint"]["note"] = "\n".join(lines)
    save(directory, manifest)


def _forge_manifest_root(directory: Path, manifest: dict) -> None:
    manifest["checkpoint"]["root_hash"] = "ab" * 32
    save(directory, manifest)


def _remove_file(directory: Path, manifest: dict) -> int:
    photo = next(r for r in manifest["records"] if r["kind"] == "photo")
    (directory / photo["file"]).unlink()
    photo["file"] = None  # as if purged, but no purge record says so
    save(directory, manifest)
    return photo["seq"]


@pytest.mark.parametrize(
    ("tamper", "check", "message"),
    [
        (_change_file, "file", "SHA-256"),
        (_change_field, "record_hash", "record_hash does not match"),
        (_remove_record, "chain", "record #2 of the chain is missing"),
        (_swap_records, "chain", "out of order"),
        (_change_proof, "inclusion", "does not lead to the signed root"),
        (_forge_checkpoint_root, "checkpoint", "signature does not verify"),
        (_forge_manifest_root, "checkpoint", "root_hash differs"),
        (_remove_file, "file", "no purge record"),
    ],
    ids=lambda value: getattr(value, "__name__", None),
)
def test_a_tampered_package_is_rejected_naming_what_broke(
    quick_certificate, package_dir, tmp_path, tamper, check, message
):
    # given a fresh copy of a good package
    copy = Path(shutil.copytree(package_dir, tmp_path / "copy"))
    # when it is tampered with
    seq = tamper(copy, load(copy))
    # then the verifier fails and names the check and the record
    result = verify(copy)
    assert result.returncode == 1, result.stdout
    failure = next(line for line in result.stdout.splitlines() if line.startswith("[失败 FAIL]"))
    assert failure.startswith(f"[失败 FAIL] {check}")
    assert message in result.stdout
    where = f", record seq {seq} (" if seq is not None else ""
    assert f"RESULT: VERIFICATION FAILED at {check}{where}" in result.stdout


def test_a_package_resigned_with_another_key_fails_against_the_published_key(
    quick_certificate, package_dir, tmp_path
):
    # given a package whose key was replaced and whose checkpoint was re-signed with it
    manifest = load(package_dir)
    forger = notes.generate_private_key()
    body = manifest["checkpoint"]["note"].split("\n\n")[0] + "\n"
    manifest["checkpoint"]["note"] = notes.sign_note(body, manifest["log_origin"], forger)
    manifest["public_key"] = notes.public_key_pem(forger.public_key()).decode()
    manifest.pop("public_key_fingerprint")
    save(package_dir, manifest)
    # when checked on its own it is self-consistent, and prints the forger's fingerprint
    alone = verify(package_dir)
    assert alone.returncode == 0
    assert offline_verifier.key_fingerprint(forger.public_key()) in alone.stdout
    # then the published key (--key) rejects it
    vkey = notes.verifier_key(log.log_origin(), log.public_key())
    result = verify(package_dir, "--key", vkey)
    assert result.returncode == 1
    assert "[失败 FAIL] public_key" in result.stdout
    assert "not the trusted key" in result.stdout


def test_the_verifier_also_reads_the_zip_itself(complaint, tmp_path, quick_certificate):
    data = evidence_package_build(complaint=complaint)
    (tmp_path / "package.zip").write_bytes(data)
    directory = unpack(data, tmp_path / "unpacked")
    result = verify(directory, str(tmp_path / "package.zip"))
    assert result.returncode == 0, result.stdout


# The API.


def _url(complaint) -> str:
    return f"/api/v1/complaints/{complaint.reference}/evidence-package/"


def test_parties_download_the_package_as_a_zip_attachment(
    complaint, consumer, platform, quick_certificate
):
    from api.keys import api_key_create

    key = api_key_create(platform=platform, name="test")[1]
    for client in (client_for(consumer), client_for(api_key=key)):
        response = client.get(_url(complaint), HTTP_ACCEPT="application/zip")
        assert response.status_code == 200
        assert response["Content-Type"] == "application/zip"
        assert response["Content-Disposition"] == (
            f'attachment; filename="{complaint.reference}-evidence.zip"'
        )
        with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
            manifest = json.loads(archive.read("manifest.json"))
        assert manifest["complaint"] == complaint.reference
        assert manifest["public_key_url"] == "http://testserver/api/v1/evidence/public-key/"


def test_outsiders_get_404_regulators_403_and_anonymous_401(
    complaint, other_consumer, other_platform, regulator
):
    from api.keys import api_key_create

    other_key = api_key_create(platform=other_platform, name="test")[1]
    assert client_for(other_consumer).get(_url(complaint)).status_code == 404
    assert client_for(api_key=other_key).get(_url(complaint)).status_code == 404
    response = client_for(regulator).get(_url(complaint))
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    assert client_for().get(_url(complaint)).status_code == 401
    assert not Checkpoint.objects.exists()  # nothing was built for them


def test_content_purged_after_retention_is_absent_and_the_package_still_verifies(
    consumer, platform, staff, tmp_path, quick_certificate, django_capture_on_commit_callbacks
):
    from evidence.retention import evidence_purge

    # given a case closed four years ago, with a photo, purged after its retention
    long_ago = timezone.now() - timedelta(days=4 * 366)
    complaint = complaint_in("closed", consumer=consumer, platform_code="shop", at=long_ago)
    evidence_upload(
        complaint_id=complaint.pk,
        actor=Actor.of_user(staff),
        data=PNG,
        file_name="photo.png",
        kind="photo",
        at=long_ago + timedelta(days=1),
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert evidence_purge(complaint_id=complaint.pk, now=timezone.now()) is not None
    # when its package is built
    directory = unpack(evidence_package_build(complaint=complaint), tmp_path / "p")
    # then the contents are absent, the purge record's list is present, and it verifies
    records = load(directory)["records"]
    assert records[-1]["kind"] == "purge" and records[-1]["file"]
    assert all(r["file"] is None for r in records[:-1])
    assert list((directory / "files").iterdir()) == [directory / records[-1]["file"]]
    result = verify(directory)
    assert result.returncode == 0, result.stdout
    assert f"{len(records) - 1} purged after retention" in result.stdout
