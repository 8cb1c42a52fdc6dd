"""The centre's digital signature on mediation documents: PAdES with pyHanko.

A signed agreement is a PDF with one PAdES B-B signature (ETSI.CAdES.detached) in the
field `WeiquanSignature`, made with the key in AGREEMENT_SIGNING_KEY and carrying the
certificate in AGREEMENT_SIGNING_CERT, so any PDF reader can check it without us.
`verify_pdf_signature` checks it again with that certificate as the only trust root.

B-B has no time-stamp and no revocation data: it proves the document is unchanged and
who signed it while the certificate is valid. The agreement's hash is also preserved
in the evidence log (with its checkpoints), which is what outlives the certificate.

Production mounts a key and certificate (PEM). With DEBUG, `make run` (the
`signing_certificate` command) and the tests, a self-signed development pair is made
on first use, as `evidence.log` does for its Ed25519 key.
"""

from __future__ import annotations

import fcntl
import hashlib
import io
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

logger = logging.getLogger("mediation.signing")

SIGNATURE_FIELD = "WeiquanSignature"
DEVELOPMENT_SUBJECT = x509.Name(
    [
        x509.NameAttribute(NameOID.COMMON_NAME, "Weiquan development signing (not for production)"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Weiquan"),
    ]
)
DEVELOPMENT_VALIDITY = timedelta(days=3652)  # ten years


@dataclass(frozen=True)
class SignatureCheck:
    """What `verify_pdf_signature` found; `valid` and `covers_whole_file` together say "ok".

    `valid` speaks for the signed revision only: bytes appended after it (a later
    incremental update, or garbage) leave it valid and make `covers_whole_file` False.
    """

    signed: bool
    intact: bool  # the signed bytes hash to the signed digest
    valid: bool  # intact, and the signature verifies with the configured certificate as root
    covers_whole_file: bool
    signer: str  # the signing certificate's subject, e.g. "CN=...,O=Weiquan"
    signed_at: datetime | None  # the signing time the signer claims (no time-stamp in B-B)
    detail: str


# The key and certificate.


def signing_paths() -> tuple[Path, Path]:
    """The configured key and certificate files (AGREEMENT_SIGNING_KEY, AGREEMENT_SIGNING_CERT)."""
    return Path(settings.AGREEMENT_SIGNING_KEY), Path(settings.AGREEMENT_SIGNING_CERT)


def _may_generate() -> bool:
    return bool(settings.DEBUG or getattr(settings, "AGREEMENT_GENERATE_KEY", False))


def _missing(setting: str, path: Path) -> ImproperlyConfigured:
    return ImproperlyConfigured(
        f"{setting} {path} does not exist: mount the production agreement signing key and "
        "certificate (PEM files) at AGREEMENT_SIGNING_KEY and AGREEMENT_SIGNING_CERT. "
        "With DEBUG on, `python manage.py signing_certificate` makes a development pair."
    )


@contextmanager
def _directory_lock(directory: Path) -> Iterator[None]:
    """Serialise processes making the pair, so a key never gets another process's cert."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _development_certificate(key: rsa.RSAPrivateKey) -> x509.Certificate:
    now = datetime.now(UTC)
    public_key = key.public_key()
    return (
        x509.CertificateBuilder()
        .subject_name(DEVELOPMENT_SUBJECT)
        .issuer_name(DEVELOPMENT_SUBJECT)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        # A little in the past: a signature made right away must not predate the cert.
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + DEVELOPMENT_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,  # nonRepudiation, which PAdES validators expect
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .sign(key, hashes.SHA256())
    )


def ensure_development_pair() -> bool:
    """Make a self-signed development key and certificate where they are missing.

    Returns whether anything was written. Refused (ImproperlyConfigured) unless DEBUG
    or AGREEMENT_GENERATE_KEY is on: production must not sign with a made-up key.
    """
    key_path, cert_path = signing_paths()
    if key_path.exists() and cert_path.exists():
        return False
    if not _may_generate():
        if not key_path.exists():
            raise _missing("AGREEMENT_SIGNING_KEY", key_path)
        raise _missing("AGREEMENT_SIGNING_CERT", cert_path)
    key_path.parent.mkdir(parents=True, exist_ok=True)
    cert_path.parent.mkdir(parents=True, exist_ok=True)
    with _directory_lock(key_path.parent):
        if key_path.exists() and cert_path.exists():
            return False  # another process made them while we waited
        if key_path.exists():
            # Keep a key that is there; it only lacks its certificate.
            key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
            if not isinstance(key, rsa.RSAPrivateKey):
                raise ImproperlyConfigured(
                    f"AGREEMENT_SIGNING_CERT {cert_path} is missing and the key at "
                    f"{key_path} is not the RSA key a development pair uses; remove it."
                )
        else:
            # RSA 2048: every PDF reader checks it, and its PKCS#1 v1.5 signatures are
            # deterministic (the file still differs per signing: time, trailer /ID).
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            pem = key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            # Created 0600 from the start: never readable by others, not even briefly.
            fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as out:
                out.write(pem)
        certificate = _development_certificate(key)
        partial = cert_path.with_name(cert_path.name + ".partial")
        partial.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
        partial.replace(cert_path)
    logger.warning(
        "generated a development agreement signing pair at %s and %s", key_path, cert_path
    )
    return True


def _require_file(setting: str, path: Path) -> None:
    if not path.exists():
        if not _may_generate():
            raise _missing(setting, path)
        ensure_development_pair()


def signing_certificate() -> x509.Certificate:
    """The certificate that signs agreements and is their trust root (AGREEMENT_SIGNING_CERT)."""
    _key_path, cert_path = signing_paths()
    _require_file("AGREEMENT_SIGNING_CERT", cert_path)
    return _certificate_from(str(cert_path), cert_path.stat().st_mtime_ns)


def certificate_fingerprint(certificate: x509.Certificate) -> str:
    """SHA-256 of the certificate's DER, as `openssl x509 -fingerprint -sha256` prints it."""
    digest = hashlib.sha256(certificate.public_bytes(serialization.Encoding.DER)).hexdigest()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2)).upper()


# Cached per file and modification time: a replaced key or certificate is read again.
@cache
def _certificate_from(path: str, _mtime_ns: int) -> x509.Certificate:
    try:
        return x509.load_pem_x509_certificate(Path(path).read_bytes())
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"AGREEMENT_SIGNING_CERT {path} is not a PEM certificate: {exc}"
        ) from None


@cache
def _signer_from(key_path: str, _key_mtime: int, cert_path: str, cert_mtime: int):
    from asn1crypto import keys as asn1_keys
    from asn1crypto import x509 as asn1_x509
    from pyhanko.sign.signers import SimpleSigner
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    certificate = _certificate_from(cert_path, cert_mtime)
    try:
        key = serialization.load_pem_private_key(Path(key_path).read_bytes(), password=None)
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(
            f"AGREEMENT_SIGNING_KEY {key_path} is not an unencrypted PEM private key: {exc}"
        ) from None
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    if key.public_key().public_bytes(
        serialization.Encoding.DER, spki
    ) != certificate.public_key().public_bytes(serialization.Encoding.DER, spki):
        raise ImproperlyConfigured(
            f"AGREEMENT_SIGNING_KEY {key_path} does not belong to the certificate in "
            f"AGREEMENT_SIGNING_CERT {cert_path}."
        )
    cert = asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))
    return SimpleSigner(
        signing_cert=cert,
        signing_key=asn1_keys.PrivateKeyInfo.load(
            key.private_bytes(
                serialization.Encoding.DER,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        ),
        cert_registry=SimpleCertificateStore.from_certs([cert]),
    )


def _signer():
    key_path, cert_path = signing_paths()
    _require_file("AGREEMENT_SIGNING_KEY", key_path)
    _require_file("AGREEMENT_SIGNING_CERT", cert_path)
    return _signer_from(
        str(key_path), key_path.stat().st_mtime_ns, str(cert_path), cert_path.stat().st_mtime_ns
    )


# Signing and checking.


def sign_pdf(data: bytes, *, reason: str, location: str = "") -> bytes:
    """Sign a PDF (PAdES B-B, ETSI.CAdES.detached) in the field WeiquanSignature.

    The signature is an incremental update, so the rendered bytes stay as they were
    and the signature covers all of them. Raises ImproperlyConfigured without a key.
    """
    # Imported here: pyHanko is heavy, and only signing and checking need it.
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign.fields import SigSeedSubFilter
    from pyhanko.sign.signers import PdfSignatureMetadata, PdfSigner

    signer = _signer()
    writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
    metadata = PdfSignatureMetadata(
        field_name=SIGNATURE_FIELD,
        subfilter=SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        reason=reason,
        location=location or None,
    )
    output = PdfSigner(metadata, signer=signer).sign_pdf(writer)
    return output.getvalue()


def _subject(certificate) -> str:
    """An asn1crypto certificate's subject as an RFC 4514 string."""
    der = certificate.dump()
    return x509.load_der_x509_certificate(der).subject.rfc4514_string()


def _unsigned(detail: str) -> SignatureCheck:
    return SignatureCheck(
        signed=False,
        intact=False,
        valid=False,
        covers_whole_file=False,
        signer="",
        signed_at=None,
        detail=detail,
    )


def verify_pdf_signature(data: bytes) -> SignatureCheck:
    """Check a PDF's WeiquanSignature (or its last signature) against our certificate.

    Never raises on what it is given: unreadable or unsigned input gives signed=False,
    a broken or foreign signature valid=False, each with a detail. Only a missing
    AGREEMENT_SIGNING_CERT (in production) raises ImproperlyConfigured.
    """
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        signatures = reader.embedded_signatures
    # Whatever is wrong with the bytes, the answer is "not a signed PDF", never a 500.
    except Exception as exc:  # noqa: BLE001
        return _unsigned(f"not a readable PDF: {type(exc).__name__}: {exc}")
    if not signatures:
        return _unsigned("the PDF has no signature")
    embedded = next((s for s in signatures if s.field_name == SIGNATURE_FIELD), signatures[-1])

    from asn1crypto import x509 as asn1_x509

    root = asn1_x509.Certificate.load(
        signing_certificate().public_bytes(serialization.Encoding.DER)
    )
    context = ValidationContext(trust_roots=[root], allow_fetching=False)
    try:
        status = validate_pdf_signature(embedded, signer_validation_context=context)
    except Exception as exc:  # noqa: BLE001
        return SignatureCheck(
            signed=True,
            intact=False,
            valid=False,
            covers_whole_file=False,
            signer="",
            signed_at=None,
            detail=f"the signature could not be checked: {type(exc).__name__}: {exc}",
        )
    intact = bool(status.intact)
    valid = intact and bool(status.valid) and status.trusted
    covers = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    signer = _subject(status.signing_cert)
    if not intact:
        detail = "the signed content was changed after signing (its digest does not match)"
    elif not status.valid:
        detail = "the signature value does not verify with the signer's certificate"
    elif not status.trusted:
        indication = status.trust_problem_indic
        detail = (
            f"signed by {signer}, which is not the configured signing certificate "
            f"(AGREEMENT_SIGNING_CERT)" + (f": {indication.name}" if indication else "")
        )
    else:
        detail = f"intact and signed by {signer}"
    if valid and not covers:
        detail += "; but bytes were added after the signed revision"
    return SignatureCheck(
        signed=True,
        intact=intact,
        valid=valid,
        covers_whole_file=covers,
        signer=signer,
        signed_at=status.signer_reported_dt,
        detail=detail,
    )
