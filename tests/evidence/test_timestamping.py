"""Checkpoints get RFC 3161 time stamps that are checked on receipt and again later."""

from __future__ import annotations

import base64
import hashlib
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from asn1crypto import tsp
from asn1crypto.cms import ContentInfo

from evidence.timestamping import (
    InvalidTimestamp,
    TimestampUnavailable,
    build_request,
    http_transport,
    parse_response,
    request_timestamp,
    verify_token,
)
from tests.evidence.tsa import POLICY, TestTSA

DIGEST = hashlib.sha256(b"weiquan.example/evidence\n42\nroot\n").digest()
URL = "https://tsa.example/rfc3161"


@pytest.fixture(scope="module")
def ec_tsa() -> TestTSA:
    return TestTSA(key_type="ec")


@pytest.fixture
def tsa(ec_tsa):
    """The module's EC TSA, behaving correctly with no past requests."""
    ec_tsa.reset()
    return ec_tsa


def stamp(tsa: TestTSA, **kwargs):
    return request_timestamp(DIGEST, url=URL, transport=tsa.transport, **kwargs)


# -- the request ------------------------------------------------------------------


def test_the_request_asks_for_a_sha256_imprint_with_a_nonce_and_the_certificate():
    request = tsp.TimeStampReq.load(build_request(DIGEST, nonce=2**63 + 5, policy="1.2.3"))
    assert request["version"].native == "v1"
    assert request["message_imprint"]["hash_algorithm"]["algorithm"].native == "sha256"
    assert request["message_imprint"]["hashed_message"].native == DIGEST
    assert request["nonce"].native == 2**63 + 5
    assert request["cert_req"].native is True
    assert request["req_policy"].dotted == "1.2.3"


def test_each_request_has_a_fresh_nonce(tsa):
    stamp(tsa)
    stamp(tsa)
    first, second = (r["nonce"].native for r in tsa.requests)
    assert first != second


def test_only_sha256_digests_are_stamped():
    with pytest.raises(ValueError):
        build_request(b"short", nonce=1)


# -- granted answers --------------------------------------------------------------


@pytest.mark.parametrize(
    ("key_type", "pss"), [("rsa", False), ("rsa", True), ("ec", False), ("ed25519", False)]
)
def test_a_granted_answer_yields_the_token_and_the_time(key_type, pss):
    # given a TSA with this kind of key
    tsa = TestTSA(key_type=key_type)
    tsa.pss = pss
    # when it stamps our digest
    before = datetime.now(UTC).replace(microsecond=0)
    result = stamp(tsa)
    # then the time, serial and policy are the TSA's and the token verifies later on its own
    assert before <= result.gen_time <= datetime.now(UTC)
    assert result.serial_number == 1
    assert result.policy == POLICY
    assert result.tsa_certificate == tsa.certificate
    again = verify_token(result.token, digest=DIGEST)
    assert again.gen_time == result.gen_time


def test_a_pinned_tsa_certificate_is_accepted(tsa):
    result = stamp(tsa, tsa_certificate=tsa.certificate)
    assert verify_token(result.token, digest=DIGEST, tsa_certificate=tsa.certificate)


def test_a_token_without_the_certificate_verifies_only_when_pinned(tsa):
    tsa.include_certificate = False
    with pytest.raises(InvalidTimestamp, match="include"):
        stamp(tsa)
    assert stamp(tsa, tsa_certificate=tsa.certificate).serial_number == 2


def test_another_pinned_certificate_is_refused(tsa):
    other = TestTSA(key_type="ed25519")
    with pytest.raises(InvalidTimestamp, match="pinned"):
        stamp(tsa, tsa_certificate=other.certificate)


def test_a_signer_named_by_key_identifier_is_found(tsa):
    tsa.sid = "subject_key_identifier"
    assert stamp(tsa).serial_number == 1


def test_the_older_signing_certificate_attribute_is_accepted(tsa):
    tsa.signing_certificate = "v1"
    assert stamp(tsa).serial_number == 1


def test_the_requested_policy_must_be_honoured(tsa):
    assert stamp(tsa, policy=POLICY).policy == POLICY
    tsa.policy = "2.999.1"
    with pytest.raises(InvalidTimestamp, match="policy"):
        stamp(tsa, policy=POLICY)


# -- answers that must be refused -------------------------------------------------


def test_a_stored_token_for_other_data_fails(tsa):
    token = stamp(tsa).token
    with pytest.raises(InvalidTimestamp, match="other data"):
        verify_token(token, digest=hashlib.sha256(b"other").digest())


def test_an_answer_for_another_digest_fails(tsa):
    tsa.imprint = hashlib.sha256(b"something else").digest()
    with pytest.raises(InvalidTimestamp, match="other data"):
        stamp(tsa)


def test_an_answer_to_another_nonce_fails(tsa):
    tsa.nonce_delta = 1
    with pytest.raises(InvalidTimestamp, match="nonce"):
        stamp(tsa)


def test_a_bad_signature_fails(tsa):
    tsa.corrupt_signature = True
    with pytest.raises(InvalidTimestamp, match="signature"):
        stamp(tsa)


def test_a_message_digest_that_does_not_match_the_tstinfo_fails(tsa):
    tsa.message_digest = bytes(32)
    with pytest.raises(InvalidTimestamp, match="message digest"):
        stamp(tsa)


def test_a_token_without_the_signing_certificate_attribute_fails(tsa):
    tsa.signing_certificate = "none"
    with pytest.raises(InvalidTimestamp, match="signing certificate"):
        stamp(tsa)


def test_every_flipped_byte_of_the_tstinfo_is_caught(tsa):
    token = stamp(tsa).token
    tst_info = ContentInfo.load(token)["content"]["encap_content_info"]["content"].contents
    start = token.index(tst_info)
    for position in range(start, start + len(tst_info)):
        tampered = bytearray(token)
        tampered[position] ^= 0x01
        with pytest.raises(InvalidTimestamp):
            verify_token(bytes(tampered), digest=DIGEST)


def test_trailing_bytes_after_a_token_fail(tsa):
    token = stamp(tsa).token
    with pytest.raises(InvalidTimestamp):
        verify_token(token + b"\x00", digest=DIGEST)


@pytest.mark.parametrize("eku", ["non-critical", "absent"])
def test_a_certificate_not_dedicated_to_time_stamping_fails(eku):
    tsa = TestTSA(key_type="ed25519", eku=eku)
    with pytest.raises(InvalidTimestamp, match="extended key usage|time stamping"):
        stamp(tsa)


def test_a_time_outside_the_certificate_validity_fails(tsa):
    tsa.clock = lambda: tsa.not_after + timedelta(days=1)
    with pytest.raises(InvalidTimestamp, match="validity"):
        stamp(tsa)


@pytest.mark.parametrize("reply", [b"", b"\x30\x00", b"not der at all", b"\x30\x03\x02\x01\x00"])
def test_garbage_replies_fail(reply):
    with pytest.raises(InvalidTimestamp):
        parse_response(reply, digest=DIGEST, nonce=1)


def test_a_rejection_is_reported_as_unavailable_with_the_tsa_reason(tsa):
    tsa.status = "rejection"
    with pytest.raises(TimestampUnavailable, match="rejection.*says no.*time_not_available"):
        stamp(tsa)


# -- over HTTP --------------------------------------------------------------------


def test_the_http_transport_posts_a_timestamp_query(tsa):
    with tsa.serve() as url:
        result = request_timestamp(DIGEST, url=url, timeout=5)
    assert verify_token(result.token, digest=DIGEST).serial_number == result.serial_number


class _Answer(BaseHTTPRequestHandler):
    status, content_type, delay = 200, "application/timestamp-reply", 0.0

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        time.sleep(self.delay)
        try:
            self.send_response(self.status)
            self.send_header("Content-Type", self.content_type)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"\x30\x00")
        except OSError:  # the client gave up (the timeout case)
            pass

    def log_message(self, format, *args):
        pass


@pytest.mark.parametrize(
    ("status", "content_type", "delay", "message"),
    [
        (500, "application/timestamp-reply", 0.0, "500"),
        (200, "text/html", 0.0, "text/html"),
        (200, "application/timestamp-reply", 0.3, "timed out"),
    ],
    ids=["server-error", "wrong-type", "timeout"],
)
def test_http_failures_are_unavailable(status, content_type, delay, message):
    handler = type(
        "H", (_Answer,), {"status": status, "content_type": content_type, "delay": delay}
    )
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.block_on_close = False
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        with pytest.raises(TimestampUnavailable, match=message):
            http_transport(f"http://127.0.0.1:{server.server_address[1]}/", b"\x30\x00", 0.1)
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://tsa.example/", "tsa.example"])
def test_only_http_urls_are_contacted(url):
    with pytest.raises(TimestampUnavailable, match="http"):
        http_transport(url, b"\x30\x00", 1)


# -- a production token -----------------------------------------------------------

VECTORS = Path(__file__).parent / "vectors"
DIGICERT_DIGEST = hashlib.sha256(b"argo-osint-rfc3161-scratch-test").digest()


@pytest.fixture(scope="module")
def digicert_reply() -> bytes:
    return base64.b64decode((VECTORS / "digicert_granted.tsr.b64").read_text())


def test_a_real_digicert_reply_verifies(digicert_reply):
    result = parse_response(digicert_reply, digest=DIGICERT_DIGEST, nonce=None)
    assert result.gen_time == datetime(2026, 7, 15, 5, 25, 4, tzinfo=UTC)
    assert result.policy == "2.16.840.1.114412.7.1"
    assert (
        "DigiCert SHA256 RSA4096 Timestamp Responder 2025 1"
        in result.tsa_certificate.subject.rfc4514_string()
    )
    again = verify_token(
        result.token, digest=DIGICERT_DIGEST, tsa_certificate=result.tsa_certificate
    )
    assert again.serial_number == result.serial_number


def test_the_real_digicert_token_fails_for_other_data_or_a_nonce_it_lacks(digicert_reply):
    with pytest.raises(InvalidTimestamp, match="other data"):
        parse_response(digicert_reply, digest=DIGEST, nonce=None)
    with pytest.raises(InvalidTimestamp, match="nonce"):
        parse_response(digicert_reply, digest=DIGICERT_DIGEST, nonce=1)
