"""The evidence package for a court or arbitrator (证据包): one complaint's chain as a ZIP.

    manifest.json                     every record with its fields, hashes, chain link and
                                      RFC 9162 inclusion proof; the checkpoint that covers
                                      them, its signed note, and the public key
    files/<seq>-<sha256 prefix>.<ext> each record's content: uploads and the JSON documents
                                      the system preserved (none for purged content)
    certificate.pdf                   存证证明, the same facts for people (evidence/certificate.py)
    verify.py, merkle.py, notes.py    the offline verifier and the two modules it imports,
                                      copied from this app at build time so they never drift
    README.txt                        how to verify, in Chinese and English
    checkpoint.tst                    the checkpoint's RFC 3161 time stamp token, if it has one

The package holds one complaint's whole chain, from its first record, against a
checkpoint covering all of it: one is signed on the spot when the latest does not.
"""

from __future__ import annotations

import base64
import io
import json
import zipfile
from datetime import datetime
from pathlib import Path

from django.utils import timezone

from complaints.models import Complaint
from evidence import log, merkle, notes, offline_verifier
from evidence.certificate import certificate_pdf
from evidence.chain import record_fields, utc_text
from evidence.models import Checkpoint, EvidenceRecord, LogLeaf
from evidence.retention import purged_hashes_in
from evidence.services import chain_key, stored_content
from evidence.sniffing import EXTENSIONS

PACKAGE_FORMAT = offline_verifier.PACKAGE_FORMAT
PUBLIC_KEY_PATH = "/api/v1/evidence/public-key/"
HASH_FORMAT = (
    "record_hash = SHA-256(b'weiquan-evidence-v1\\n' || canonical JSON of the record's fields "
    "chain, complaint, created_at, description, file_name, kind, media_type, prev_hash, seq, "
    "sha256, size, submitter, submitter_role: keys sorted, no spaces, UTF-8, non-ASCII as "
    "itself, times UTC YYYY-MM-DDTHH:MM:SS.ffffffZ). prev_hash of the first record: 64 zeros. "
    "Log leaf = record_hash (32 bytes); leaf hash = SHA-256(0x00 || leaf), node hash = "
    "SHA-256(0x01 || left || right) (RFC 9162 section 2.1.1). The checkpoint note is a "
    "c2sp.org/tlog-checkpoint signed with Ed25519 as a c2sp.org/signed-note. Public key "
    "fingerprint = SHA-256 of the key's DER SubjectPublicKeyInfo."
)
# Already compressed: deflating them again costs time and saves nothing.
STORED_TYPES = ("image/", "application/pdf", "application/vnd.openxmlformats")
VERIFIER_MODULES = ("merkle.py", "notes.py")


def _leaf_indexes(records: list[EvidenceRecord]) -> dict[int, int]:
    return dict(
        LogLeaf.objects.filter(record_id__in=[r.pk for r in records]).values_list(
            "record_id", "leaf_index"
        )
    )


def covered_chain(complaint: Complaint) -> tuple[list[EvidenceRecord], dict[int, int], Checkpoint]:
    """The complaint's records in chain order, their leaf indexes, and a checkpoint over all."""
    records = list(
        EvidenceRecord.objects.filter(chain=chain_key(complaint))
        .select_related("complaint")
        .order_by("seq")
    )
    leaves = _leaf_indexes(records)
    checkpoint = Checkpoint.objects.order_by("-id").first()
    if (
        checkpoint is None
        or len(leaves) < len(records)
        or checkpoint.tree_size <= max(leaves.values(), default=-1)
    ):
        checkpoint = log.checkpoint_create()
        leaves = _leaf_indexes(records)
    if len(leaves) < len(records) or checkpoint.tree_size <= max(leaves.values(), default=-1):
        raise RuntimeError(f"records of {complaint.reference} escaped the new checkpoint")
    return records, leaves, checkpoint


def _file_path(record: EvidenceRecord) -> str:
    return f"files/{record.seq:04d}-{record.sha256[:16]}.{EXTENSIONS.get(record.media_type, 'bin')}"


def _record_entry(record: EvidenceRecord, leaf_index: int, proof: list[bytes], path) -> dict:
    return {
        "id": record.pk,
        **record_fields(record),
        "kind_label": record.get_kind_display(),
        "record_hash": record.record_hash,
        "leaf_index": leaf_index,
        "inclusion_proof": [h.hex() for h in proof],
        "file": path,
    }


def _timestamp(checkpoint: Checkpoint) -> dict | None:
    # A missing reverse one-to-one raises a subclass of AttributeError: getattr's default.
    stamp = getattr(checkpoint, "timestamp", None)
    if stamp is None:
        return None
    return {
        "file": "checkpoint.tst",
        "authority": stamp.authority,
        "gen_time": utc_text(stamp.gen_time),
        "token": base64.b64encode(bytes(stamp.token)).decode("ascii"),
        "imprint": "SHA-256 of the checkpoint note's UTF-8 bytes",
    }


def _readme(reference: str, generated_at: datetime, public_key_url: str) -> str:
    return README.format(
        reference=reference, generated_at=utc_text(generated_at), public_key_url=public_key_url
    )


def _write(archive: zipfile.ZipFile, name: str, data: bytes, when: datetime, media_type="") -> None:
    info = zipfile.ZipInfo(name, date_time=when.timetuple()[:6])
    info.compress_type = (
        zipfile.ZIP_STORED if media_type.startswith(STORED_TYPES) else zipfile.ZIP_DEFLATED
    )
    info.external_attr = (0o755 if name == "verify.py" else 0o644) << 16
    archive.writestr(info, data)


def evidence_package_build(
    *, complaint: Complaint, public_key_url: str = PUBLIC_KEY_PATH, at: datetime | None = None
) -> bytes:
    """Build the ZIP for `complaint`: files, manifest with proofs, certificate and verifier."""
    generated_at = at or timezone.now()
    records, leaves, checkpoint = covered_chain(complaint)
    log_tree, nodes = log.tree(checkpoint.tree_size)
    purged = purged_hashes_in(records)
    key = log.public_key()
    fingerprint = offline_verifier.key_fingerprint(key)
    # Local wall-clock time in the ZIP entries, as unzip tools show it.
    zip_time = timezone.localtime(generated_at)

    buffer = io.BytesIO()
    entries = []
    with zipfile.ZipFile(buffer, "w") as archive:
        for record in records:
            content = None if record.sha256 in purged else stored_content(record)
            path = None
            if content is not None:
                path = _file_path(record)
                _write(archive, path, content, zip_time, record.media_type)
            leaf_index = leaves[record.pk]
            proof = log_tree.inclusion_proof(leaf_index, checkpoint.tree_size)
            entries.append(_record_entry(record, leaf_index, proof, path))
        nodes.flush()

        stamp = _timestamp(checkpoint)
        if stamp is not None:
            _write(archive, stamp["file"], base64.b64decode(stamp["token"]), zip_time)
        checkpoint_time = log.checkpoint_time(checkpoint.note)
        manifest = {
            "format": PACKAGE_FORMAT,
            "complaint": complaint.reference,
            "generated_at": utc_text(generated_at),
            "hash_format": HASH_FORMAT,
            "log_origin": log.log_origin(),
            "public_key": notes.public_key_pem(key).decode("ascii"),
            "public_key_fingerprint": fingerprint,
            "verifier_key": notes.verifier_key(log.log_origin(), key),
            "public_key_url": public_key_url,
            "checkpoint": {
                "tree_size": checkpoint.tree_size,
                "root_hash": checkpoint.root_hash,
                "time": checkpoint_time,
                "note": checkpoint.note,
                "timestamp": stamp,
            },
            "records": entries,
        }
        _write(
            archive,
            "manifest.json",
            json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8") + b"\n",
            zip_time,
        )
        pdf = certificate_pdf(
            complaint=complaint,
            records=records,
            checkpoint=checkpoint,
            checkpoint_time=checkpoint.created_at,
            key_fingerprint=fingerprint,
            verifier_key=manifest["verifier_key"],
            generated_at=generated_at,
            purged=frozenset(purged),
            public_key_url=public_key_url,
        )
        _write(archive, "certificate.pdf", pdf, zip_time, "application/pdf")
        _write(archive, "verify.py", _module_source(offline_verifier.__file__), zip_time)
        for name in VERIFIER_MODULES:
            _write(archive, name, _module_source(Path(merkle.__file__).with_name(name)), zip_time)
        _write(
            archive,
            "README.txt",
            _readme(complaint.reference, generated_at, public_key_url).encode("utf-8"),
            zip_time,
        )
    return buffer.getvalue()


def _module_source(path) -> bytes:
    return Path(path).read_bytes()


README = """\
电子数据证据包 / Evidence package
投诉编号 / Complaint: {reference}
生成时间 / Generated: {generated_at} (UTC)

== 内容 ==
manifest.json    每条证据记录的字段、SHA-256、记录哈希、链式哈希（prev_hash）、日志叶子序号与
                 RFC 9162 包含证明；覆盖全部记录的签名检查点；签名公钥（PEM）。
files/           每条记录保全的内容（当事人上传的文件与系统保全的 JSON 文档）。
                 按保存期限清除的内容不在包内，manifest 中 file 为 null，摘要保留。
certificate.pdf  电子数据存证证明（供阅读；证明效力以 manifest 与核验结果为准）。
verify.py        离线核验程序；merkle.py、notes.py 为其使用的模块。
checkpoint.tst   检查点的 RFC 3161 可信时间戳（如有）。

== 如何核验（离线，无需联网） ==
1. 安装 Python 3.9 或更高版本，以及 cryptography：
       pip install cryptography
2. 解压本证据包，在解压目录中运行：
       python3 verify.py
   程序核验：检查点签名；每条记录的记录哈希与链式关联（自第 1 条起）；每个文件的 SHA-256
   与大小；每条记录对检查点根哈希的包含证明。全部通过时显示“全部核验通过”，退出码 0；
   否则指明首个不符的记录与检查项，退出码 1。
3. 重要：包内公钥随证据包提供，伪造者可以一并替换。请将程序输出的公钥（verifier key 与
   SHA-256 指纹）与维权服务公布的公钥比对：
       {public_key_url}
   或直接以公布的 verifier key（或 PEM 公钥文件）作为可信公钥核验：
       python3 verify.py --key "<verifier_key>"
       python3 verify.py --key public-key.pem
4. 可信时间戳（如有）可用 OpenSSL 核验，摘要为 manifest 中 checkpoint.note 的 UTF-8 字节
   的 SHA-256：
       openssl ts -verify -token_in -in checkpoint.tst -digest <SHA-256> -CAfile <时间戳机构证书>

说明：检查点证明所列记录在签发时已存在于日志中、此后未被改写。证据包本身不能证明最后一条
记录之后没有新增记录；如有疑问，可向服务申请新的证据包比对。

== What this is ==
manifest.json    every evidence record's fields, SHA-256, record hash, chain link (prev_hash),
                 log leaf index and RFC 9162 inclusion proof; the signed checkpoint covering
                 them all; the signing public key (PEM).
files/           the preserved content of each record (uploads and the system's JSON
                 documents). Content purged after retention is absent (file: null); its hash
                 stays.
certificate.pdf  the certificate of preservation, for reading; the manifest and the
                 verifier's result are what prove.
verify.py        the offline verifier, with the modules it imports (merkle.py, notes.py).
checkpoint.tst   the checkpoint's RFC 3161 time stamp token, when it has one.

== How to verify (offline, no network) ==
1. Install Python 3.9 or newer and cryptography:  pip install cryptography
2. Unpack this package and, in its directory, run:  python3 verify.py
   It checks the checkpoint's signature, every record's hash and chain link from the first,
   every file's SHA-256 and size, and every record's inclusion proof against the checkpoint
   root. "ALL CHECKS PASSED" and exit status 0 mean the package is intact; otherwise it names
   the first failing record and check and exits with 1.
3. Important: the public key travels inside the package, so a forger could replace it too.
   Compare the key the verifier prints (verifier key and SHA-256 fingerprint) with the one
   the service publishes at {public_key_url}
   or pass the published key as the trusted key:
       python3 verify.py --key "<verifier_key>"     (or --key public-key.pem)
4. A time stamp, when present, verifies with OpenSSL; its digest is the SHA-256 of the UTF-8
   bytes of checkpoint.note in the manifest:
       openssl ts -verify -token_in -in checkpoint.tst -digest <SHA-256> -CAfile <TSA cert>

Limits: the checkpoint proves that the listed records were in the log when it was signed
and have not been rewritten since. The package alone cannot prove that no record was
appended after the last one listed; ask the service for a newer package to compare.
"""
