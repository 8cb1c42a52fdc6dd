"""Errors of the evidence app: refused uploads and a broken log."""

from __future__ import annotations

from complaints.exceptions import WeiquanError


class UploadTooLarge(WeiquanError):
    """The file is larger than the upload limit."""

    code = "payload_too_large"

    def __init__(self, *, size: int, limit: int) -> None:
        super().__init__(
            f"The file is {size} bytes; at most {limit} are accepted.", size=size, max_bytes=limit
        )


class QuotaExceeded(WeiquanError):
    """The complaint's evidence would exceed its quota of files or bytes."""

    code = "evidence_quota_exceeded"

    def __init__(self, *, detail: str, **fields: object) -> None:
        super().__init__(detail, **fields)


class UnsupportedEvidenceType(WeiquanError):
    """The file's content is not an accepted type (checked from its bytes)."""

    code = "unsupported_media_type"

    def __init__(self, *, reason: str, detail: str) -> None:
        super().__init__(detail, reason=reason)


class EvidenceUnavailable(WeiquanError):
    """The content is gone: purged after its retention period (the hash remains)."""

    code = "evidence_purged"


class EvidenceMissing(WeiquanError):
    """The content of a record that was never purged is not where it should be."""

    code = "evidence_content_missing"

    def __init__(self, *, record_id: int) -> None:
        super().__init__(
            "The preserved content of this record is missing; the service has logged it.",
            record_id=record_id,
        )
