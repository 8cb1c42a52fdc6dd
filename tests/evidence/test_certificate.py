"""The certificate of preservation (电子数据存证证明) is a PDF whose Chinese survives.

Without a CJK font WeasyPrint draws empty boxes and the PDF carries no Chinese text,
so the test extracts the text back (pypdf reads the ToUnicode maps WeasyPrint writes).
"""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from pypdf import PdfReader

from evidence import log, notes, offline_verifier
from evidence.certificate import certificate_pdf
from evidence.models import EvidenceRecord
from evidence.package import covered_chain
from tests.states import complaint_in

pytestmark = pytest.mark.django_db


def _text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_the_certificate_pdf_carries_its_chinese_text(consumer, platform):
    # given a settled complaint and a checkpoint over its records
    complaint = complaint_in("settled", consumer=consumer, platform_code="shop")
    records, _leaves, checkpoint = covered_chain(complaint)
    fingerprint = offline_verifier.key_fingerprint(log.public_key())
    # when its certificate is rendered
    pdf = certificate_pdf(
        complaint=complaint,
        records=records,
        checkpoint=checkpoint,
        checkpoint_time=checkpoint.created_at,
        key_fingerprint=fingerprint,
        verifier_key=notes.verifier_key(log.log_origin(), log.public_key()),
        generated_at=datetime(2026, 11, 22, 2, 30, tzinfo=UTC),
    )
    # then an A4 PDF whose text is the Chinese it was given, not empty boxes
    assert pdf.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(pdf))
    width, height = reader.pages[0].mediabox.width, reader.pages[0].mediabox.height
    assert (round(float(width)), round(float(height))) == (595, 842)  # A4 in points
    text = _text(pdf)
    for expected in [
        "电子数据存证证明",
        complaint.reference,
        "张三",
        "好物商城",
        "优选数码专营店",
        "保全电子数据清单",
        "投诉原始记录",
        "平台答复",
        "树大小",
        "根哈希",
        "2026-11-22 10:30:00（北京时间）",  # generated at 02:30 UTC, shown in Beijing time
        "python3 verify.py",
    ]:
        assert expected in text, expected
    # Hashes may wrap inside their cell; compare them without line breaks.
    flat = "".join(text.split())
    assert checkpoint.root_hash in flat
    assert fingerprint in flat
    for record in EvidenceRecord.objects.filter(complaint=complaint):
        assert record.sha256 in flat
    assert "\u25a1" not in text and "\ufffd" not in text  # no boxes, no replacement marks
