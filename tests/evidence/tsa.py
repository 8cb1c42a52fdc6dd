"""An in-process RFC 3161 time-stamping authority for tests, with switches to misbehave.

It makes a throwaway CA and a TSA certificate (critical EKU timeStamping) with
`cryptography`, answers DER TimeStampReqs with signed tokens built with asn1crypto,
and serves them either as a transport callable or over a local HTTP server.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from asn1crypto import cms, core, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

POLICY = "2.999.3161"  # under the ITU-T X.660 example arc

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey


class _TimeStampResp(core.Sequence):
    _fields = [
        ("status", tsp.PKIStatusInfo),
        ("time_stamp_token", cms.ContentInfo, {"optional": True}),
    ]


def _new_key(kind: str) -> PrivateKey:
    if kind == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if kind == "ec":
        return ec.generate_private_key(ec.SECP256R1())
    return ed25519.Ed25519PrivateKey.generate()


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


class TestTSA:
    """A TSA whose behaviour tests switch through attributes before a request."""

    __test__ = False  # not a pytest test class

    def __init__(self, *, key_type: str = "ec", eku: str = "critical") -> None:
        now = datetime.now(UTC)
        self.not_before, self.not_after = now - timedelta(days=1), now + timedelta(days=30)
        ca_key = ec.generate_private_key(ec.SECP256R1())
        self.ca_certificate = (
            x509.CertificateBuilder()
            .subject_name(_name("Weiquan Test Root"))
            .issuer_name(_name("Weiquan Test Root"))
            .public_key(ca_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(self.not_before)
            .not_valid_after(self.not_after)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .sign(ca_key, hashes.SHA256())
        )
        self.key = _new_key(key_type)
        builder = (
            x509.CertificateBuilder()
            .subject_name(_name("Weiquan Test TSA"))
            .issuer_name(self.ca_certificate.subject)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(self.not_before)
            .not_valid_after(self.not_after)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(self.key.public_key()), critical=False
            )
        )
        if eku != "absent":
            builder = builder.add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]),
                critical=eku == "critical",
            )
        self.certificate = builder.sign(ca_key, hashes.SHA256())
        self.reset()

    def reset(self) -> None:
        """Forget past requests and behave correctly again."""
        self.serial = 0
        self.requests: list[tsp.TimeStampReq] = []
        # Switches: each makes one thing about the next answers wrong.
        self.status = "granted"
        self.include_certificate: bool | None = None  # None: as the request asks
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC).replace(microsecond=0)
        self.policy = POLICY
        self.nonce_delta = 0
        self.imprint: bytes | None = None  # answer for this digest instead
        self.corrupt_signature = False
        self.message_digest: bytes | None = None
        self.signing_certificate = "v2"  # "v2", "v1" or "none"
        self.sid = "issuer_and_serial_number"  # or "subject_key_identifier"
        self.pss = False

    def respond(self, request_der: bytes) -> bytes:
        """Answer a DER TimeStampReq with a DER TimeStampResp."""
        request = tsp.TimeStampReq.load(request_der)
        self.requests.append(request)
        if self.status != "granted":
            return _TimeStampResp(
                {
                    "status": {
                        "status": self.status,
                        "status_string": ["the test TSA says no"],
                        "fail_info": {"time_not_available"},
                    }
                }
            ).dump()
        imprint = request["message_imprint"]
        nonce = request["nonce"].native
        self.serial += 1
        tst_info = tsp.TSTInfo(
            {
                "version": "v1",
                "policy": self.policy,
                "message_imprint": {
                    "hash_algorithm": {"algorithm": imprint["hash_algorithm"]["algorithm"].native},
                    "hashed_message": self.imprint or imprint["hashed_message"].native,
                },
                "serial_number": self.serial,
                "gen_time": self.clock(),
                "nonce": None if nonce is None else nonce + self.nonce_delta,
            }
        )
        include = (
            request["cert_req"].native
            if self.include_certificate is None
            else self.include_certificate
        )
        token = self._sign(tst_info.dump(), include_certificate=include)
        return _TimeStampResp({"status": {"status": "granted"}, "time_stamp_token": token}).dump()

    def transport(self, url: str, request: bytes, timeout: float) -> bytes:
        """Stand in for `timestamping.http_transport`."""
        return self.respond(request)

    @contextmanager
    def serve(self) -> Iterator[str]:
        """Serve RFC 3161 over HTTP on localhost; yield the URL."""
        tsa = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if self.headers.get_content_type() != "application/timestamp-query":
                    self.send_error(415)
                    return
                reply = tsa.respond(body)
                self.send_response(200)
                self.send_header("Content-Type", "application/timestamp-reply")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, format: str, *args: object) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}/tsa"
        finally:
            server.shutdown()
            server.server_close()
            thread.join()

    def _sign(self, tst_der: bytes, *, include_certificate: bool) -> cms.ContentInfo:
        certificate = asn1_x509.Certificate.load(self.certificate.public_bytes(Encoding.DER))
        certificate_der = certificate.dump()
        attributes = [
            {"type": "content_type", "values": ["tst_info"]},
            {
                "type": "message_digest",
                "values": [self.message_digest or hashlib.sha256(tst_der).digest()],
            },
        ]
        if self.signing_certificate == "v2":
            cert_id = {
                "hash_algorithm": {"algorithm": "sha256"},
                "cert_hash": hashlib.sha256(certificate_der).digest(),
            }
            attributes.append({"type": "signing_certificate_v2", "values": [{"certs": [cert_id]}]})
        elif self.signing_certificate == "v1":
            cert_hash = hashlib.sha1(certificate_der, usedforsecurity=False).digest()
            attributes.append(
                {"type": "signing_certificate", "values": [{"certs": [{"cert_hash": cert_hash}]}]}
            )
        signed_attrs = cms.CMSAttributes(attributes)
        signature, algorithm = self._signature(signed_attrs.dump())  # the SET OF encoding
        if self.corrupt_signature:
            signature = bytes([signature[0] ^ 1]) + signature[1:]
        if self.sid == "issuer_and_serial_number":
            sid = cms.SignerIdentifier(
                {
                    "issuer_and_serial_number": {
                        "issuer": certificate.issuer,
                        "serial_number": certificate.serial_number,
                    }
                }
            )
        else:
            sid = cms.SignerIdentifier({"subject_key_identifier": certificate.key_identifier})
        signer_info = cms.SignerInfo(
            {
                "version": "v1" if self.sid == "issuer_and_serial_number" else "v3",
                "sid": sid,
                "digest_algorithm": {"algorithm": "sha256"},
                "signed_attrs": signed_attrs,
                "signature_algorithm": algorithm,
                "signature": signature,
            }
        )
        signed_data = cms.SignedData(
            {
                "version": "v3",
                "digest_algorithms": [{"algorithm": "sha256"}],
                "encap_content_info": {
                    "content_type": "tst_info",
                    "content": core.ParsableOctetString(tst_der),
                },
                "certificates": [certificate] if include_certificate else [],
                "signer_infos": [signer_info],
            }
        )
        return cms.ContentInfo({"content_type": "signed_data", "content": signed_data})

    def _signature(self, data: bytes) -> tuple[bytes, dict]:
        key = self.key
        if isinstance(key, rsa.RSAPrivateKey) and self.pss:
            pss = padding.PSS(padding.MGF1(hashes.SHA256()), 32)
            parameters = {
                "hash_algorithm": {"algorithm": "sha256"},
                "mask_gen_algorithm": {
                    "algorithm": "mgf1",
                    "parameters": {"algorithm": "sha256"},
                },
                "salt_length": 32,
            }
            return key.sign(data, pss, hashes.SHA256()), {
                "algorithm": "rsassa_pss",
                "parameters": parameters,
            }
        if isinstance(key, rsa.RSAPrivateKey):
            return key.sign(data, padding.PKCS1v15(), hashes.SHA256()), {"algorithm": "sha256_rsa"}
        if isinstance(key, ec.EllipticCurvePrivateKey):
            return key.sign(data, ec.ECDSA(hashes.SHA256())), {"algorithm": "sha256_ecdsa"}
        return key.sign(data), {"algorithm": "ed25519"}
