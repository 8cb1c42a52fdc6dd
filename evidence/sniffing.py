"""What an uploaded file really is, from its bytes (never its name), and whether we take it.

Accepted: JPEG, PNG, GIF, WebP, HEIC images; PDF; plain text (UTF-8 or GB18030);
Office documents (OOXML .docx/.xlsx/.pptx, and legacy OLE2 .doc/.xls/.ppt). Other
archives are refused. An OOXML file is a ZIP, so it is opened and checked like one
would check an archive bomb: entry count, declared total size and compression ratio.

Written here rather than taken from libmagic: the accepted set is short, the ZIP
checks are needed anyway, and no system library has to be installed.
"""

from __future__ import annotations

import io
import zipfile

OOXML = {
    "word/": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xl/": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ppt/": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
OLE2 = "application/x-ole-storage"  # legacy .doc/.xls/.ppt
# The file extension for each type we keep (uploads, and the system's JSON documents).
EXTENSIONS = {
    "application/json": "json",
    "application/pdf": "pdf",
    "text/plain": "txt",
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/gif": "gif",
    "image/webp": "webp",
    "image/heic": "heic",
    OLE2: "ole",
    OOXML["word/"]: "docx",
    OOXML["xl/"]: "xlsx",
    OOXML["ppt/"]: "pptx",
}
# Limits for the ZIP inside an Office document.
MAX_ZIP_ENTRIES = 2000
MAX_ZIP_UNCOMPRESSED = 200 * 1024 * 1024
MAX_ZIP_RATIO = 100

ARCHIVE_MAGIC = (
    b"Rar!\x1a\x07",
    b"7z\xbc\xaf\x27\x1c",
    b"\x1f\x8b",  # gzip
    b"BZh",
    b"\xfd7zXZ\x00",
    b"\x28\xb5\x2f\xfd",  # zstd
)


class Refused(ValueError):
    """The content is not an accepted type; `reason` is a stable code."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


def _image(head: bytes) -> str | None:
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp" and head[8:12] in (b"heic", b"heix", b"mif1", b"heim", b"heis"):
        return "image/heic"
    return None


def _ooxml(data: bytes) -> str:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
    # A crafted archive can make zipfile raise almost anything (NotImplementedError for
    # an unknown version, EOFError, struct.error...): all mean "cannot be read".
    except Exception:  # noqa: BLE001
        raise Refused("corrupt", "The file looks like a ZIP archive but cannot be read.") from None
    if len(entries) > MAX_ZIP_ENTRIES:
        raise Refused("archive_bomb", "The document holds too many parts.")
    total = sum(e.file_size for e in entries)
    packed = max(sum(e.compress_size for e in entries), 1)
    if total > MAX_ZIP_UNCOMPRESSED or total / packed > MAX_ZIP_RATIO:
        raise Refused("archive_bomb", "The document would expand to an unsafe size.")
    names = {e.filename for e in entries}
    if "[Content_Types].xml" in names:
        for prefix, media_type in OOXML.items():
            if any(name.startswith(prefix) for name in names):
                return media_type
    raise Refused("archive", "Archives are not accepted; upload the files themselves.")


def _text(data: bytes) -> str | None:
    if b"\x00" in data:
        return None
    for encoding in ("utf-8", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\r\n\t\f")
        if controls == 0:
            return "text/plain"
    return None


def sniff(data: bytes) -> str:
    """The accepted media type of `data`, or raise `Refused`."""
    if not data:
        raise Refused("empty", "The file is empty.")
    head = data[:32]
    found = _image(head)
    if found:
        return found
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return OLE2
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return _ooxml(data)
    if head.startswith(ARCHIVE_MAGIC):
        raise Refused("archive", "Archives are not accepted; upload the files themselves.")
    found = _text(data)
    if found:
        return found
    raise Refused(
        "unsupported_type",
        "Accepted: images (JPEG, PNG, GIF, WebP, HEIC), PDF, plain text and Office documents.",
    )
