"""The centre's PAdES signature on agreements: made, checked, and refused when tampered with.

The agreement is rendered and signed once per module; tampering works on copies of
those bytes. Small unsigned PDFs come from pypdf, which needs no rendering.
"""

from __future__ import annotations

import io
import os
import stat
from datetime import UTC, datetime, timedelta

import pytest
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import CommandError
from django.test import override_settings
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from pypdf import PdfReader, PdfWriter

from mediation.documents import agreement_pdf
from mediation.signing import (
    SIGNATURE_FIELD,
    certificate_fingerprint,
    sign_pdf,
    signing_certificate,
    verify_pdf_signature,
)
from tests.helpers import run_command
from tests.mediation.test_documents import agreement

DEV_SUBJECT = "O=Weiquan,CN=Weiquan development signing (not for production)"


def blank_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def pair_in(directory) -> dict:
    return {
        "AGREEMENT_SIGNING_KEY": directory / "agreement-signing.key",
        "AGREEMENT_SIGNING_CERT": directory / "agreement-signing.crt",
    }


@pytest.fixture(scope="module")
def unsigned() -> bytes:
    return agreement_pdf(agreement())


@pytest.fixture(scope="module")
def signed(unsigned) -> bytes:
    return sign_pdf(unsigned, reason="调解协议书 TJ-20260503-0007", location="杭州")


@pytest.fixture(scope="module")
def foreign_signed(tmp_path_factory) -> bytes:
    """A PDF signed the same way, with another development key and certificate."""
    with override_settings(**pair_in(tmp_path_factory.mktemp("other-signer"))):
        return sign_pdf(blank_pdf(), reason="someone else")


def our_root() -> asn1_x509.Certificate:
    der = signing_certificate().public_bytes(serialization.Encoding.DER)
    return asn1_x509.Certificate.load(der)


def flipped(data: bytes, offset: int) -> bytes:
    tampered = bytearray(data)
    tampered[offset] ^= 0x01
    return bytes(tampered)


def first_content_stream_offset(data: bytes) -> int:
    """Where the first page's content stream data starts in the file."""
    page = PdfReader(io.BytesIO(data)).pages[0]
    number = page["/Contents"].indirect_reference.idnum
    start = data.index(f"\n{number} 0 obj".encode())
    return data.index(b"stream", start) + len(b"stream\n")


# Signing and checking.


def test_a_signed_agreement_verifies(signed, unsigned):
    # given an agreement as rendered, when signed, then the rendered bytes are kept
    assert signed.startswith(unsigned)
    check = verify_pdf_signature(signed)
    assert (check.signed, check.intact, check.valid, check.covers_whole_file) == (
        True,
        True,
        True,
        True,
    )
    assert check.signer == DEV_SUBJECT
    assert check.signed_at is not None
    assert abs(check.signed_at - datetime.now(UTC)) < timedelta(minutes=10)
    assert check.detail.startswith("intact")


def test_pyhankos_own_validator_accepts_it_with_our_certificate_as_root(signed):
    reader = PdfFileReader(io.BytesIO(signed))
    (embedded,) = reader.embedded_signatures
    status = validate_pdf_signature(
        embedded, ValidationContext(trust_roots=[our_root()], allow_fetching=False)
    )
    assert status.bottom_line
    assert status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    assert embedded.field_name == SIGNATURE_FIELD
    # the signer's certificate travels in the signature
    assert embedded.signer_cert.dump() == our_root().dump()


def test_the_signature_is_pades_with_reason_and_location(signed):
    # read with pypdf, independently of the library that wrote it
    field = PdfReader(io.BytesIO(signed)).get_fields()[SIGNATURE_FIELD]
    signature = field["/V"].get_object()
    assert signature["/Filter"] == "/Adobe.PPKLite"
    assert signature["/SubFilter"] == "/ETSI.CAdES.detached"
    assert signature["/Reason"] == "调解协议书 TJ-20260503-0007"
    assert signature["/Location"] == "杭州"
    start, length, resume, rest = signature["/ByteRange"]
    assert start == 0 and resume + rest == len(signed)


def test_one_changed_byte_in_the_page_content_breaks_it(signed):
    check = verify_pdf_signature(flipped(signed, first_content_stream_offset(signed) + 40))
    assert check.signed
    assert not check.intact
    assert not check.valid
    assert "changed after signing" in check.detail


def test_one_changed_byte_in_the_header_breaks_it(signed):
    # the binary comment on line 2: the file still parses, only the digest differs
    check = verify_pdf_signature(flipped(signed, signed.index(b"\n") + 2))
    assert (check.signed, check.intact, check.valid) == (True, False, False)


def test_bytes_after_the_end_are_reported_as_not_covered(signed):
    check = verify_pdf_signature(signed + b"\n% appended later\n")
    assert check.signed
    assert not check.covers_whole_file
    assert "added after the signed revision" in check.detail


def test_an_unsigned_pdf_is_reported_unsigned(unsigned):
    check = verify_pdf_signature(unsigned)
    assert (check.signed, check.valid) == (False, False)
    assert check.detail == "the PDF has no signature"


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"%PDF-1.7\n",
        b"%PDF-1.7\n" + bytes(range(256)) * 8 + b"\n%%EOF\n",
        os.urandom(4096),
    ],
    ids=["empty", "header-only", "header-and-noise", "random"],
)
def test_garbage_is_reported_not_raised(data):
    check = verify_pdf_signature(data)
    assert not check.signed and not check.valid
    assert check.detail


def test_a_truncated_signed_pdf_is_not_valid(signed):
    check = verify_pdf_signature(signed[: len(signed) - 2000])
    assert not check.valid


def test_a_pdf_signed_with_another_certificate_is_not_valid_against_ours(foreign_signed):
    check = verify_pdf_signature(foreign_signed)
    assert check.signed and check.intact
    assert not check.valid
    assert "not the configured signing certificate" in check.detail


# The key and certificate.


def test_the_command_creates_the_development_pair_once(tmp_path):
    paths = pair_in(tmp_path / "keys")
    with override_settings(**paths):
        # when run on a machine without a pair, then it creates one
        out = run_command("signing_certificate")
        key_path, cert_path = paths["AGREEMENT_SIGNING_KEY"], paths["AGREEMENT_SIGNING_CERT"]
        assert "Created a development signing pair" in out
        assert stat.S_IMODE(key_path.stat().st_mode) == 0o600
        certificate = x509.load_pem_x509_certificate(cert_path.read_bytes())
        assert f"Subject: {DEV_SUBJECT}" in out
        assert f"SHA-256 fingerprint: {certificate_fingerprint(certificate)}" in out
        before = key_path.read_bytes(), cert_path.read_bytes()
        # when run again, then it only prints
        again = run_command("signing_certificate")
        assert "Created" not in again
        assert (key_path.read_bytes(), cert_path.read_bytes()) == before
        assert certificate_fingerprint(certificate) in run_command("signing_certificate", "--show")


def test_the_development_certificate_is_for_signing_for_ten_years(tmp_path):
    with override_settings(**pair_in(tmp_path)):
        certificate = signing_certificate()
    usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment
    assert not usage.key_cert_sign
    validity = certificate.not_valid_after_utc - certificate.not_valid_before_utc
    assert timedelta(days=3650) <= validity <= timedelta(days=3660)
    assert certificate.subject.rfc4514_string() == DEV_SUBJECT


def test_show_creates_nothing(tmp_path):
    paths = pair_in(tmp_path)
    with override_settings(**paths), pytest.raises(CommandError, match="No certificate"):
        run_command("signing_certificate", "--show")
    assert not paths["AGREEMENT_SIGNING_KEY"].exists()


def test_production_without_a_key_refuses_to_sign(tmp_path):
    paths = pair_in(tmp_path)
    with override_settings(DEBUG=False, AGREEMENT_GENERATE_KEY=False, **paths):
        with pytest.raises(ImproperlyConfigured, match="AGREEMENT_SIGNING_KEY"):
            sign_pdf(blank_pdf(), reason="test")
        with pytest.raises(CommandError, match="AGREEMENT_SIGNING_KEY"):
            run_command("signing_certificate")
    assert not paths["AGREEMENT_SIGNING_KEY"].exists()
    assert not paths["AGREEMENT_SIGNING_CERT"].exists()


def test_a_key_that_does_not_match_the_certificate_is_refused(tmp_path):
    first, second = pair_in(tmp_path / "a"), pair_in(tmp_path / "b")
    for paths in (first, second):
        with override_settings(**paths):
            signing_certificate()
    mixed = {
        "AGREEMENT_SIGNING_KEY": first["AGREEMENT_SIGNING_KEY"],
        "AGREEMENT_SIGNING_CERT": second["AGREEMENT_SIGNING_CERT"],
    }
    with (
        override_settings(**mixed),
        pytest.raises(ImproperlyConfigured, match="does not belong to the certificate"),
    ):
        sign_pdf(blank_pdf(), reason="test")
