"""RFC 3161 time stamps: ask a time-stamping authority (TSA) to attest a SHA-256 digest.

`request_timestamp` sends a TimeStampReq (SHA-256 imprint, random nonce, certReq)
by HTTP POST and checks the reply; `verify_token` re-checks a stored token later,
e.g. in the offline verifier. A token is accepted only when the TSA signed the
TSTInfo (RFC 3161 §2.4.2, CMS per RFC 5652 §5.4) with the key of a certificate
whose critical extended key usage is timeStamping (§2.3), and the signed
signing-certificate attribute names that certificate (§2.4.1, RFC 5816).

Trust: without `tsa_certificate` the token is checked against the certificate it
carries, which proves integrity, not who the TSA is; pin the configured TSA's
certificate to prove that. Chains to a root are not walked here.

Parsing is asn1crypto (cryptography has no CMS reader); signatures are checked with
cryptography. No Django or project imports.
"""

from __future__ import annotations

import hashlib
import secrets
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from asn1crypto import cms, core, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import ExtendedKeyUsageOID

QUERY_CONTENT_TYPE = "application/timestamp-query"
REPLY_CONTENT_TYPE = "application/timestamp-reply"
MAX_REPLY_BYTES = 1 << 20  # a reply is a few kB; refuse to buffer anything huge

# Digests a TSA may sign with; SHA-1 is refused (collisions are practical).
_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}

Transport = Callable[[str, bytes, float], bytes]
"""Send a DER request to a URL within a timeout (seconds); return the DER reply."""


class TimestampError(Exception):
    """A time stamp could not be obtained or does not check out."""

    code = "timestamp_error"


class TimestampUnavailable(TimestampError):
    """The TSA could not be reached or declined; trying again later may work."""

    code = "timestamp_unavailable"


class InvalidTimestamp(TimestampError):
    """The TSA's answer or a stored token is malformed, forged or for other data."""

    code = "invalid_timestamp"


@dataclass(frozen=True)
class TimeStamp:
    """A checked time stamp; keep `token` (DER), the rest can be read back from it."""

    token: bytes
    gen_time: datetime
    serial_number: int
    policy: str
    tsa_certificate: x509.Certificate


class _TimeStampResp(core.Sequence):
    # asn1crypto's tsp.TimeStampResp makes the token mandatory, so it cannot read a
    # rejection; RFC 3161 §2.4.2 has `timeStampToken TimeStampToken OPTIONAL`.
    _fields = [
        ("status", tsp.PKIStatusInfo),
        ("time_stamp_token", cms.ContentInfo, {"optional": True}),
    ]


def build_request(digest: bytes, *, nonce: int, policy: str | None = None) -> bytes:
    """Return a DER TimeStampReq for a SHA-256 digest, asking for the TSA certificate."""
    _check_digest(digest)
    request = {
        "version": "v1",
        "message_imprint": {"hash_algorithm": {"algorithm": "sha256"}, "hashed_message": digest},
        "nonce": nonce,
        "cert_req": True,
    }
    if policy is not None:
        request["req_policy"] = policy
    return tsp.TimeStampReq(request).dump()


def http_transport(url: str, request: bytes, timeout: float) -> bytes:
    """POST a time-stamp query to an http(s) URL and return the reply body."""
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise TimestampUnavailable(f"TSA URL must be http or https: {url!r}")
    http_request = urllib.request.Request(  # noqa: S310 - scheme checked above
        url,
        data=request,
        method="POST",
        headers={"Content-Type": QUERY_CONTENT_TYPE, "Accept": REPLY_CONTENT_TYPE},
    )
    try:
        with urllib.request.urlopen(http_request, timeout=timeout) as reply:  # noqa: S310
            content_type = reply.headers.get_content_type()
            body = reply.read(MAX_REPLY_BYTES + 1)
    except (urllib.error.URLError, OSError) as exc:  # HTTPError, refused, timed out
        raise TimestampUnavailable(f"TSA request to {url} failed: {exc}") from exc
    if content_type != REPLY_CONTENT_TYPE:
        raise TimestampUnavailable(f"TSA answered {content_type}, not {REPLY_CONTENT_TYPE}")
    if len(body) > MAX_REPLY_BYTES:
        raise TimestampUnavailable("TSA reply is too large")
    return body


def request_timestamp(
    digest: bytes,
    *,
    url: str,
    timeout: float = 10.0,
    policy: str | None = None,
    tsa_certificate: x509.Certificate | None = None,
    transport: Transport = http_transport,
) -> TimeStamp:
    """Have the TSA at `url` time-stamp a SHA-256 digest; return the checked time stamp."""
    nonce = secrets.randbits(64)
    reply = transport(url, build_request(digest, nonce=nonce, policy=policy), timeout)
    return parse_response(
        reply, digest=digest, nonce=nonce, policy=policy, tsa_certificate=tsa_certificate
    )


def parse_response(
    reply: bytes,
    *,
    digest: bytes,
    nonce: int | None,
    policy: str | None = None,
    tsa_certificate: x509.Certificate | None = None,
) -> TimeStamp:
    """Check a DER TimeStampResp for our request and return its time stamp."""
    try:
        response = _TimeStampResp.load(reply, strict=True)
        status = response["status"]
        state = status["status"].native
        texts = status["status_string"].native or []
        failures = sorted(status["fail_info"].native or [])
        token = response["time_stamp_token"]
        present = not isinstance(token, core.Void)
        token_der = token.dump() if present else b""
    except (ValueError, TypeError, KeyError) as exc:
        raise InvalidTimestamp(f"reply is not a TimeStampResp: {exc}") from exc
    if state not in ("granted", "granted_with_mods"):
        raise TimestampUnavailable(f"TSA said {state}: {'; '.join(texts)} {failures}".strip())
    if not present:
        raise InvalidTimestamp("TSA granted the request but sent no token")
    return verify_token(
        token_der, digest=digest, nonce=nonce, policy=policy, tsa_certificate=tsa_certificate
    )


def verify_token(
    token: bytes,
    *,
    digest: bytes,
    nonce: int | None = None,
    policy: str | None = None,
    tsa_certificate: x509.Certificate | None = None,
) -> TimeStamp:
    """Check a DER TimeStampToken over a SHA-256 digest; raise InvalidTimestamp if it fails.

    `nonce` and `policy`, when given, must be the ones the token states.
    """
    _check_digest(digest)
    try:
        return _verify_token(token, digest, nonce, policy, tsa_certificate)
    except (ValueError, TypeError, KeyError, IndexError) as exc:
        # asn1crypto parses lazily, so malformed DER surfaces wherever it is read (an
        # empty certificate set is an IndexError).
        raise InvalidTimestamp(f"malformed time-stamp token: {exc}") from exc


def _verify_token(
    token: bytes,
    digest: bytes,
    nonce: int | None,
    policy: str | None,
    pinned: x509.Certificate | None,
) -> TimeStamp:
    content_info = cms.ContentInfo.load(token, strict=True)
    if content_info["content_type"].native != "signed_data":
        raise InvalidTimestamp("token is not CMS SignedData")
    signed_data = content_info["content"]
    encapsulated = signed_data["encap_content_info"]
    if encapsulated["content_type"].native != "tst_info":
        raise InvalidTimestamp("token does not carry a TSTInfo")
    tst_der = encapsulated["content"].contents
    tst_info = tsp.TSTInfo.load(tst_der, strict=True)

    signer_infos = signed_data["signer_infos"]
    if len(signer_infos) != 1:
        raise InvalidTimestamp("token must have exactly one signer")
    signer = signer_infos[0]
    certificate = _signer_certificate(signed_data, signer, pinned)
    digest_name = signer["digest_algorithm"]["algorithm"].native
    if digest_name not in _HASHES:
        raise InvalidTimestamp(f"unsupported signer digest {digest_name}")
    _check_signed_attributes(signer, tst_der, certificate, digest_name)
    _check_signature(signer, certificate, digest_name)

    gen_time: datetime = tst_info["gen_time"].native
    _check_tsa_certificate(certificate, gen_time)
    _check_tst_info(tst_info, digest, nonce, policy)
    return TimeStamp(
        token=token,
        gen_time=gen_time,
        serial_number=tst_info["serial_number"].native,
        policy=tst_info["policy"].dotted,
        tsa_certificate=certificate,
    )


def _signer_certificate(
    signed_data: cms.SignedData, signer: cms.SignerInfo, pinned: x509.Certificate | None
) -> x509.Certificate:
    """Return the certificate the signer identifier names: the pinned one, else an included one."""
    if pinned is not None:
        candidates = [asn1_x509.Certificate.load(pinned.public_bytes(Encoding.DER))]
    else:
        candidates = [
            choice.chosen
            for choice in signed_data["certificates"] or []
            if choice.name == "certificate"
        ]
    sid = signer["sid"]
    for candidate in candidates:
        if sid.name == "issuer_and_serial_number":
            matches = (
                sid.chosen["issuer"] == candidate.issuer
                and sid.chosen["serial_number"].native == candidate.serial_number
            )
        else:
            matches = sid.chosen.native == candidate.key_identifier
        if matches:
            return x509.load_der_x509_certificate(candidate.dump())
    raise InvalidTimestamp(
        "signer is not the pinned TSA certificate"
        if pinned is not None
        else "token does not include the signer's certificate"
    )


def _check_signed_attributes(
    signer: cms.SignerInfo, tst_der: bytes, certificate: x509.Certificate, digest_name: str
) -> None:
    attributes: dict[str, core.Asn1Value] = {}
    if isinstance(signer["signed_attrs"], core.Void):
        raise InvalidTimestamp("signer has no signed attributes")
    for attribute in signer["signed_attrs"]:
        name = attribute["type"].native
        if name in attributes or len(attribute["values"]) != 1:
            raise InvalidTimestamp(f"signed attribute {name} must occur once with one value")
        attributes[name] = attribute["values"][0]
    if "content_type" not in attributes or "message_digest" not in attributes:
        raise InvalidTimestamp("signed attributes lack content type or message digest")
    if attributes["content_type"].native != "tst_info":
        raise InvalidTimestamp("signed content type is not TSTInfo")
    if attributes["message_digest"].native != hashlib.new(digest_name, tst_der).digest():
        raise InvalidTimestamp("signed message digest does not match the TSTInfo")

    certificate_der = certificate.public_bytes(Encoding.DER)
    if "signing_certificate_v2" in attributes:
        first = attributes["signing_certificate_v2"]["certs"][0]
        algorithm = first["hash_algorithm"]["algorithm"].native
        if algorithm not in _HASHES:
            raise InvalidTimestamp(f"unsupported certificate hash {algorithm}")
        expected = hashlib.new(algorithm, certificate_der).digest()
    elif "signing_certificate" in attributes:
        # ESSCertID (v1) is defined with SHA-1; here it only names the certificate,
        # which the signature below must also verify against.
        first = attributes["signing_certificate"]["certs"][0]
        expected = hashlib.sha1(certificate_der, usedforsecurity=False).digest()
    else:
        raise InvalidTimestamp("signed attributes lack the signing certificate")
    if first["cert_hash"].native != expected:
        raise InvalidTimestamp("signing certificate attribute names another certificate")


def _check_signature(
    signer: cms.SignerInfo, certificate: x509.Certificate, digest_name: str
) -> None:
    encoded = signer["signed_attrs"].dump()
    # The signature covers the attributes DER-encoded as a SET OF (tag 0x31), not
    # with the [0] IMPLICIT tag (0xA0) they carry inside SignerInfo (RFC 5652 §5.4).
    if encoded[:1] != b"\xa0":
        raise InvalidTimestamp("signed attributes are not [0] IMPLICIT")
    signed_bytes = b"\x31" + encoded[1:]
    signature = signer["signature"].native
    algorithm = signer["signature_algorithm"]
    chosen = _HASHES[digest_name]()
    key = certificate.public_key()
    try:
        kind = algorithm.signature_algo
        if kind == "rsassa_pkcs1v15" and isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, signed_bytes, padding.PKCS1v15(), chosen)
        elif kind == "rsassa_pss" and isinstance(key, rsa.RSAPublicKey):
            params = algorithm["parameters"]
            pss_hash = _HASHES.get(params["hash_algorithm"]["algorithm"].native)
            mask = params["mask_gen_algorithm"]
            mgf_hash = _HASHES.get(mask["parameters"]["algorithm"].native)
            if pss_hash is None or mgf_hash is None or mask["algorithm"].native != "mgf1":
                raise InvalidTimestamp("unsupported RSA-PSS parameters")
            pss = padding.PSS(padding.MGF1(mgf_hash()), params["salt_length"].native)
            key.verify(signature, signed_bytes, pss, pss_hash())
        elif kind == "ecdsa" and isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, signed_bytes, ec.ECDSA(chosen))
        elif kind == "ed25519" and isinstance(key, ed25519.Ed25519PublicKey):
            key.verify(signature, signed_bytes)
        else:
            raise InvalidTimestamp(f"signature algorithm {kind} does not fit the TSA key")
    except InvalidSignature:
        raise InvalidTimestamp("TSA signature does not verify") from None


def _check_tsa_certificate(certificate: x509.Certificate, gen_time: datetime) -> None:
    try:
        usage = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    except x509.ExtensionNotFound:
        raise InvalidTimestamp("TSA certificate has no extended key usage") from None
    if not usage.critical or ExtendedKeyUsageOID.TIME_STAMPING not in usage.value:
        raise InvalidTimestamp("TSA certificate is not for time stamping (critical EKU)")
    if not certificate.not_valid_before_utc <= gen_time <= certificate.not_valid_after_utc:
        raise InvalidTimestamp("time stamp lies outside the TSA certificate's validity")


def _check_tst_info(
    tst_info: tsp.TSTInfo, digest: bytes, nonce: int | None, policy: str | None
) -> None:
    if tst_info["version"].native != "v1":
        raise InvalidTimestamp("TSTInfo version is not 1")
    imprint = tst_info["message_imprint"]
    if imprint["hash_algorithm"]["algorithm"].native != "sha256":
        raise InvalidTimestamp("time stamp is not over a SHA-256 digest")
    if imprint["hashed_message"].native != digest:
        raise InvalidTimestamp("time stamp is for other data")
    if nonce is not None and tst_info["nonce"].native != nonce:
        raise InvalidTimestamp("time stamp does not answer our nonce")
    if policy is not None and tst_info["policy"].dotted != policy:
        raise InvalidTimestamp("time stamp is under another policy")


def _check_digest(digest: bytes) -> None:
    if not isinstance(digest, bytes) or len(digest) != 32:
        raise ValueError("digest must be the 32-byte SHA-256 of the data")
