"""The certificate of preservation (电子数据存证证明): a PDF summary of one evidence package.

It is for people: the parties, the list of preserved records with their hashes, the
checkpoint they are in and the key that signed it, and how to check all of it. The
proof itself is the manifest, the signed checkpoint and the offline verifier; the
certificate says so. Rendered with WeasyPrint in a CJK font (Debian `fonts-noto-cjk`,
installed by `make system-deps`): without one Chinese comes out as empty boxes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from django.template.loader import render_to_string

from complaints.choices import Role
from complaints.models import Complaint
from evidence.models import Checkpoint, EvidenceRecord, Kind

# Shown in Beijing time whatever TIME_ZONE says: the certificate is for a Chinese court.
SHANGHAI = ZoneInfo("Asia/Shanghai")
TEMPLATE = "evidence/certificate.html"


@dataclass(frozen=True)
class CertificateRow:
    seq: int
    kind: str
    submitter: str
    preserved_at: str
    sha256: str
    purged: bool


def beijing_time(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")


def _kind_label(kind: str) -> str:
    return str(Kind(kind).label) if kind in Kind.values else kind


def _submitter(record: EvidenceRecord) -> str:
    role = str(Role(record.submitter_role).label) if record.submitter_role in Role.values else ""
    if record.submitter_role == Role.SYSTEM or not record.submitter_label:
        return role or record.submitter_label
    return f"{role}（{record.submitter_label}）" if role else record.submitter_label


def certificate_context(
    *,
    complaint: Complaint,
    records: Iterable[EvidenceRecord],
    checkpoint: Checkpoint,
    checkpoint_time: datetime,
    key_fingerprint: str,
    verifier_key: str,
    generated_at: datetime,
    purged: frozenset[str] = frozenset(),
    public_key_url: str = "/api/v1/evidence/public-key/",
) -> dict:
    """What the template shows, already formatted (Beijing time, labels in Chinese)."""
    rows = [
        CertificateRow(
            seq=record.seq,
            kind=_kind_label(record.kind),
            submitter=_submitter(record),
            preserved_at=beijing_time(record.created_at),
            sha256=record.sha256,
            purged=record.sha256 in purged,
        )
        for record in records
    ]
    return {
        "reference": complaint.reference,
        "certificate_number": f"CZ-{complaint.reference}-{generated_at:%Y%m%d%H%M%S}",
        "consumer": str(complaint.consumer),
        "platform": complaint.platform.name,
        "merchant": complaint.merchant_name,
        "order_number": complaint.order_number,
        "filed_at": beijing_time(complaint.filed_at),
        "status": complaint.get_status_display(),
        "rows": rows,
        "tree_size": checkpoint.tree_size,
        "root_hash": checkpoint.root_hash,
        "checkpoint_time": beijing_time(checkpoint_time),
        "timestamp_time": (
            beijing_time(checkpoint.timestamp.gen_time)
            if hasattr(checkpoint, "timestamp")
            else None
        ),
        "log_origin": checkpoint.note.split("\n", 1)[0],
        "key_fingerprint": key_fingerprint,
        "verifier_key": verifier_key,
        "public_key_url": public_key_url,
        "generated_at": beijing_time(generated_at),
    }


def certificate_html(**context_args) -> str:
    return render_to_string(TEMPLATE, certificate_context(**context_args))


def certificate_pdf(**context_args) -> bytes:
    """Render the certificate as an A4 PDF (arguments as `certificate_context`)."""
    # Imported here: WeasyPrint loads Pango through cffi, which only PDF work needs.
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    html = certificate_html(**context_args)
    # The template embeds everything: no protocol allowed, so nothing reaches the network.
    return HTML(string=html, url_fetcher=URLFetcher(allowed_protocols=())).write_pdf()
