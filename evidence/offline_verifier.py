#!/usr/bin/env python3
"""Offline verifier of a Weiquan evidence package (证据包离线核验程序).

Shipped in every package as `verify.py`, beside `merkle.py` and `notes.py` (copies of
the service's own modules). Needs Python 3.9+ and `cryptography`, nothing else: no
network, no database, no Django. Run it in the unpacked package (or give the ZIP):

    python3 verify.py [PACKAGE_DIR_OR_ZIP] [--key VERIFIER_KEY_OR_PEM]

It checks, stopping at the first failure, which it names:

1. the public key in `manifest.json`, and that it is the trusted one given by `--key`
   (the key published at /api/v1/evidence/public-key/);
2. the checkpoint: its signed note verifies with that key, and states the tree size
   and root hash the manifest gives;
3. the chain: one chain, records numbered 1, 2, 3... in order, each `prev_hash` the
   previous record's `record_hash` (the first: 64 zeros), each `record_hash`
   recomputed from the record's fields;
4. the files: each one's SHA-256 and size; a missing file only when a purge record in
   the package declares its content removed after retention;
5. each record's RFC 9162 inclusion proof, from its `record_hash` to the checkpoint root.

Exit status 0 when everything holds, 1 when something does not, 2 on bad usage.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import zipfile
from pathlib import Path

try:
    from cryptography.hazmat.primitives import serialization
except ImportError:  # pragma: no cover - only outside the project
    sys.stderr.write(
        "需要 Python 包 cryptography：pip install cryptography\n"
        "This verifier needs the Python package cryptography: pip install cryptography\n"
    )
    sys.exit(2)

if __package__:  # imported from the repository as evidence.offline_verifier
    from . import merkle, notes
else:  # run as verify.py: merkle.py and notes.py lie beside it
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import merkle
    import notes

PACKAGE_FORMAT = "weiquan-evidence-package-v1"

# The record hash, exactly as evidence/chain.py computes it (docs/evidence.md); a test
# in the repository holds the two equal for real records.
DOMAIN = b"weiquan-evidence-v1\n"
GENESIS = "0" * 64
RECORD_FIELDS = (
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
PURGE_KIND = "purge"

_HEX64 = re.compile(r"[0-9a-f]{64}")
_FILE_PATH = re.compile(r"files/[A-Za-z0-9][A-Za-z0-9._-]*")


def record_hash(record: dict) -> str:
    """SHA-256 of the domain line and the canonical JSON of the record's hashed fields."""
    fields = {name: record[name] for name in RECORD_FIELDS}
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(DOMAIN + canonical.encode("utf-8")).hexdigest()


def key_fingerprint(public_key) -> str:
    """SHA-256 of the key's DER SubjectPublicKeyInfo, in hex (as the certificate shows it)."""
    der = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(der).hexdigest()


class Failure(Exception):
    """One check that does not hold: which check, where, and why in both languages."""

    def __init__(self, check: str, zh: str, en: str, *, record: dict | None = None) -> None:
        super().__init__(en)
        self.check, self.zh, self.en = check, zh, en
        self.where = self.where_zh = ""
        if record is not None:
            self.where = f"record seq {record.get('seq')} (id {record.get('id')})"
            self.where_zh = f"第 {record.get('seq')} 条记录（id {record.get('id')}）"

    def lines(self) -> list[str]:
        where_zh = f"，{self.where_zh}" if self.where_zh else ""
        where = f", {self.where}" if self.where else ""
        return [
            f"[失败 FAIL] {self.check}{where_zh}：{self.zh}",
            f"            {self.check}{where}: {self.en}",
        ]


class Package:
    """The unpacked directory or the ZIP, read by member name."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._zip = zipfile.ZipFile(path) if path.is_file() else None

    def read(self, name: str) -> bytes | None:
        if self._zip is not None:
            try:
                return self._zip.read(name)
            except KeyError:
                return None
        member = self.path / name
        return member.read_bytes() if member.is_file() else None


class Verifier:
    def __init__(self, package: Package, trusted_key: str | None, out) -> None:
        self.package = package
        self.trusted_key = trusted_key
        self.out = out

    def ok(self, zh: str, en: str) -> None:
        self.out(f"[通过 OK] {zh}")
        self.out(f"          {en}")

    # 1. The manifest and the key.

    def manifest(self) -> dict:
        raw = self.package.read("manifest.json")
        if raw is None:
            raise Failure("manifest", "缺少 manifest.json", "manifest.json is missing")
        try:
            manifest = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise Failure("manifest", "manifest.json 无法解析", f"unreadable: {exc}") from None
        if not isinstance(manifest, dict) or manifest.get("format") != PACKAGE_FORMAT:
            raise Failure(
                "manifest",
                f"不是 {PACKAGE_FORMAT} 格式的证据包",
                f"not a {PACKAGE_FORMAT} package",
            )
        for name, kind in (
            ("complaint", str),
            ("records", list),
            ("checkpoint", dict),
            ("public_key", str),
            ("log_origin", str),
        ):
            if not isinstance(manifest.get(name), kind):
                raise Failure(
                    "manifest",
                    f"字段 {name} 缺失或类型错误",
                    f"field {name} is missing or of the wrong type",
                )
        if not manifest["records"]:
            raise Failure("manifest", "没有任何记录", "the package holds no records")
        self.out(f"投诉编号 / complaint: {manifest['complaint']}")
        self.out(f"记录数 / records: {len(manifest['records'])}")
        return manifest

    def public_key(self, manifest: dict):
        try:
            key = notes.load_public_key(manifest["public_key"].encode("ascii"))
        except (ValueError, TypeError, UnicodeEncodeError) as exc:
            raise Failure(
                "public_key", "包内公钥无法读取", f"the manifest's key is unreadable: {exc}"
            ) from None
        key_name = manifest["log_origin"]
        if self.trusted_key is not None:
            trusted_name, trusted = self._trusted_key(key_name)
            if trusted.public_bytes(
                serialization.Encoding.Raw, serialization.PublicFormat.Raw
            ) != key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw):
                raise Failure(
                    "public_key",
                    "包内公钥不是 --key 指定的可信公钥，检查点签名不可信",
                    "the package's public key is not the trusted key given with --key",
                )
            key, key_name = trusted, trusted_name
        fingerprint = key_fingerprint(key)
        if manifest.get("public_key_fingerprint") not in (None, fingerprint):
            raise Failure(
                "public_key",
                "manifest 中的公钥指纹与公钥不符",
                "public_key_fingerprint does not match the public key",
            )
        self.ok(
            f"公钥 Ed25519，SHA-256 指纹 {fingerprint}",
            f"public key Ed25519, SHA-256 fingerprint {fingerprint}",
        )
        self.out(f"          verifier key: {notes.verifier_key(key_name, key)}")
        if self.trusted_key is None:
            self.out(
                "[提示 NOTE] 未指定 --key：请将上面的公钥与维权服务公布的公钥"
                "（/api/v1/evidence/public-key/）比对，或用 --key 指定后重新核验。"
            )
            self.out(
                "            No --key given: compare the key above with the one the service "
                "publishes at /api/v1/evidence/public-key/, or run again with --key."
            )
        else:
            self.ok("包内公钥即 --key 指定的可信公钥", "the package's key is the trusted key")
        return key_name, key

    def _trusted_key(self, default_name: str):
        text = self.trusted_key or ""
        path = Path(text)
        try:
            if len(text) < 4096 and path.is_file():
                text = path.read_text(encoding="utf-8")
        except OSError:
            pass
        text = text.strip()
        try:
            if "BEGIN PUBLIC KEY" in text:
                return default_name, notes.load_public_key(text.encode("ascii"))
            return notes.parse_verifier_key(text)
        except (ValueError, TypeError, UnicodeEncodeError) as exc:
            raise Failure(
                "public_key",
                "--key 既不是 verifier key 也不是 PEM 公钥",
                f"--key is neither a verifier key nor a PEM public key: {exc}",
            ) from None

    # 2. The checkpoint.

    def checkpoint(self, manifest: dict, key_name: str, key) -> tuple[int, bytes]:
        checkpoint = manifest["checkpoint"]
        note = checkpoint.get("note")
        if not isinstance(note, str):
            raise Failure("checkpoint", "缺少签名检查点", "the signed checkpoint note is missing")
        try:
            body = notes.verify_note(note, key_name, key)
            stated = notes.parse_checkpoint(body)
        except notes.NoteError as exc:
            raise Failure(
                "checkpoint",
                "检查点签名无效（检查点被伪造或篡改）",
                f"the checkpoint's signature does not verify: {exc}",
            ) from None
        if stated.origin != manifest["log_origin"]:
            raise Failure(
                "checkpoint",
                "检查点的日志标识与 manifest 不符",
                f"the note's origin {stated.origin!r} is not the manifest's log_origin",
            )
        if checkpoint.get("tree_size") != stated.tree_size:
            raise Failure(
                "checkpoint",
                "manifest 的树大小与签名检查点不符",
                "the manifest's tree_size differs from the signed note",
            )
        if checkpoint.get("root_hash") != stated.root_hash.hex():
            raise Failure(
                "checkpoint",
                "manifest 的根哈希与签名检查点不符",
                "the manifest's root_hash differs from the signed note",
            )
        signed_time = next(
            (line[5:] for line in body.split("\n")[3:] if line.startswith("time ")), None
        )
        if checkpoint.get("time") != signed_time:
            raise Failure(
                "checkpoint",
                "manifest 的签发时间与签名检查点不符",
                "the manifest's time differs from the signed note",
            )
        self.ok(
            f"检查点签名有效：树大小 {stated.tree_size}，根哈希 {stated.root_hash.hex()}，"
            f"签发时间 {signed_time}",
            f"checkpoint signature valid: tree size {stated.tree_size}, "
            f"root {stated.root_hash.hex()}, signed {signed_time}",
        )
        return stated.tree_size, stated.root_hash

    # 3. The chain.

    def chain(self, manifest: dict) -> list[dict]:
        records = manifest["records"]
        prev = GENESIS
        chain = None
        for position, record in enumerate(records, start=1):
            if not isinstance(record, dict):
                raise Failure("manifest", f"第 {position} 条记录格式错误", "malformed record")
            missing = [name for name in (*RECORD_FIELDS, "record_hash") if name not in record]
            if missing:
                raise Failure(
                    "manifest",
                    f"记录缺少字段 {', '.join(missing)}",
                    f"the record lacks {', '.join(missing)}",
                    record=record,
                )
            if record["seq"] != position:
                raise Failure(
                    "chain",
                    f"链内第 {position} 条记录缺失或顺序被打乱（此处为序号 {record['seq']}）",
                    f"record #{position} of the chain is missing or out of order "
                    f"(found seq {record['seq']} here)",
                    record=record,
                )
            chain = chain or record["chain"]
            if record["chain"] != chain or record["complaint"] != manifest["complaint"]:
                raise Failure(
                    "chain",
                    "记录不属于本投诉的证据链",
                    "the record belongs to another chain or complaint",
                    record=record,
                )
            if record["prev_hash"] != prev:
                raise Failure(
                    "chain",
                    "prev_hash 与前一条记录的哈希不符（链条断裂）",
                    "prev_hash is not the previous record's record_hash (the chain is broken)",
                    record=record,
                )
            try:
                recomputed = record_hash(record)
            except (TypeError, ValueError) as exc:
                raise Failure(
                    "record_hash", "记录字段无法计算哈希", f"unhashable: {exc}", record=record
                ) from None
            if recomputed != record["record_hash"]:
                raise Failure(
                    "record_hash",
                    "记录哈希与记录内容不符（记录字段被修改）",
                    "record_hash does not match the record's fields (a field was changed)",
                    record=record,
                )
            prev = record["record_hash"]
        self.ok(
            f"证据链完整：{len(records)} 条记录自第 1 条起逐条相连，记录哈希均与内容相符",
            f"chain intact: {len(records)} records linked from the first, every record_hash "
            "recomputed",
        )
        return records

    # 4. The files.

    def files(self, records: list[dict]) -> None:
        checked, seen = 0, set()
        purged: set[str] = set()
        absent: list[dict] = []
        for record in records:
            path = record.get("file")
            if path is None:
                absent.append(record)
                continue
            if not isinstance(path, str) or not _FILE_PATH.fullmatch(path) or path in seen:
                raise Failure("file", "文件路径无效", f"invalid file path {path!r}", record=record)
            seen.add(path)
            data = self.package.read(path)
            if data is None:
                raise Failure("file", f"缺少文件 {path}", f"{path} is missing", record=record)
            if len(data) != record["size"]:
                raise Failure(
                    "file",
                    f"文件 {path} 大小与记录不符",
                    f"{path} is {len(data)} bytes, the record says {record['size']}",
                    record=record,
                )
            if hashlib.sha256(data).hexdigest() != record["sha256"]:
                raise Failure(
                    "file",
                    f"文件 {path} 的 SHA-256 与记录不符（文件被修改）",
                    f"the SHA-256 of {path} does not match the record (the file was changed)",
                    record=record,
                )
            if record["kind"] == PURGE_KIND:
                purged.update(_purged_hashes(data))
            checked += 1
        for record in absent:
            if record["sha256"] not in purged:
                raise Failure(
                    "file",
                    "缺少内容，且无清除记录说明其已按期清除",
                    "the content is missing and no purge record declares it removed",
                    record=record,
                )
        note = f"，{len(absent)} 条内容已按保存期限清除（仅保留摘要）" if absent else ""
        note_en = f"; {len(absent)} purged after retention (hash kept)" if absent else ""
        self.ok(
            f"文件完整：{checked} 个文件的 SHA-256 与大小均与记录相符{note}",
            f"files intact: SHA-256 and size of {checked} files match their records{note_en}",
        )

    # 5. Inclusion in the log.

    def inclusion(self, records: list[dict], tree_size: int, root: bytes) -> None:
        for record in records:
            index, proof = record.get("leaf_index"), record.get("inclusion_proof")
            if (
                isinstance(index, bool)
                or not isinstance(index, int)
                or not isinstance(proof, list)
                or not all(isinstance(h, str) and _HEX64.fullmatch(h) for h in proof)
                or not _HEX64.fullmatch(str(record["record_hash"]))
            ):
                raise Failure(
                    "inclusion",
                    "缺少叶子序号或包含证明",
                    "leaf_index or inclusion_proof is missing or malformed",
                    record=record,
                )
            try:
                merkle.verify_inclusion(
                    merkle.leaf_hash(bytes.fromhex(record["record_hash"])),
                    index=index,
                    tree_size=tree_size,
                    proof=[bytes.fromhex(h) for h in proof],
                    root=root,
                )
            except merkle.InvalidProof as exc:
                raise Failure(
                    "inclusion",
                    "包含证明不能导出签名检查点的根哈希（记录不在已签名的日志中）",
                    f"the inclusion proof does not lead to the signed root: {exc.reason}",
                    record=record,
                ) from None
        self.ok(
            f"{len(records)} 条记录均包含在已签名检查点（树大小 {tree_size}）的日志中",
            f"all {len(records)} records are included in the signed checkpoint's tree "
            f"(size {tree_size})",
        )

    def run(self) -> None:
        manifest = self.manifest()
        key_name, key = self.public_key(manifest)
        tree_size, root = self.checkpoint(manifest, key_name, key)
        records = self.chain(manifest)
        self.files(records)
        self.inclusion(records, tree_size, root)


def _purged_hashes(document: bytes) -> set[str]:
    try:
        items = json.loads(document.decode("utf-8")).get("purged", [])
        return {item["sha256"] for item in items if isinstance(item, dict)}
    except (UnicodeDecodeError, ValueError, AttributeError, KeyError, TypeError):
        return set()


def verify(path: Path, *, key: str | None = None, out=print) -> Failure | None:
    """Check the package at `path`; print the report through `out`; return the failure."""
    out("Weiquan 证据包离线核验 / evidence package offline verification")
    try:
        Verifier(Package(path), key, out).run()
    except Failure as failure:
        for line in failure.lines():
            out(line)
        where_zh = f"，{failure.where_zh}" if failure.where_zh else ""
        where = f", {failure.where}" if failure.where else ""
        out(f"结论：核验失败（{failure.check}{where_zh}）")
        out(f"RESULT: VERIFICATION FAILED at {failure.check}{where}")
        return failure
    except (zipfile.BadZipFile, OSError) as exc:
        failure = Failure("package", "无法读取证据包", f"cannot read the package: {exc}")
        for line in failure.lines():
            out(line)
        out("结论：核验失败 / RESULT: VERIFICATION FAILED")
        return failure
    out("结论：全部核验通过")
    out("RESULT: ALL CHECKS PASSED")
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="verify.py",
        description="核验维权证据包 / verify a Weiquan evidence package offline",
    )
    parser.add_argument(
        "package",
        nargs="?",
        default=str(Path(__file__).resolve().parent),
        help="the unpacked package directory or the ZIP (default: this script's directory)",
    )
    parser.add_argument(
        "--key",
        help="the trusted key: the verifier key string or a PEM public key (text or file) "
        "published at /api/v1/evidence/public-key/",
    )
    args = parser.parse_args(argv)
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(errors="replace")
    path = Path(args.package)
    if not path.exists():
        parser.error(f"{path} does not exist")
    return 1 if verify(path, key=args.key) else 0


if __name__ == "__main__":
    sys.exit(main())
