"""Malformed requests to the evidence upload and the transitions: a clear 4xx, nothing changed.

Hypothesis sends what a broken client, a proxy that cut the connection or an attacker
would: random bytes as files, odd file names (path traversal, NUL bytes, thousands of
characters, bytes that are not UTF-8), wrong field names, truncated multipart bodies,
missing or wrong Content-Type, Content-Length that lies, random JSON and non-JSON bodies,
malformed Idempotency-Key headers and transitions that do not exist.

Whatever arrives, the answer is never a 5xx; a refusal is `application/problem+json`
with `type`, `title` and `status`; and a refused request changes nothing: the complaint's
status and `updated_at`, its events, the evidence records and stored files, the webhook
outbox and the idempotency records are as before. Each example runs in a savepoint
rolled back afterwards, so an input that happens to be valid (random bytes that read as
plain text) does not leak into the next example.

Derandomized and bounded: CI sends the same requests every run.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote_to_bytes

import pytest
from django.core import signals
from django.core.cache import cache
from django.db import close_old_connections, transaction
from django.middleware.csrf import _get_new_csrf_string
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context

from api.idempotency import MAX_KEY_LENGTH
from api.keys import api_key_create
from api.models import IdempotencyRecord, WebhookMessage
from api.serializers import TRANSITION_SERIALIZERS
from api.webhooks.services import webhook_endpoint_create
from complaints.models import Complaint, ComplaintEvent
from config.wsgi import application
from evidence.models import EvidenceRecord
from tests.api.clients import client_for
from tests.helpers import PNG, PROBLEM
from tests.states import complaint_in

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    database=None,
    # The fixtures are built once per test and each example is rolled back to them.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
BOUNDARY = b"wq-fuzz-boundary"
TRANSITIONS = sorted(TRANSITION_SERIALIZERS)


# --- the world and what must not change ------------------------------------------------


STATES = ["submitted", "awaiting_response", "responded", "closed"]
CALLERS = ["platform", "consumer", "staff"]
# Mostly a complaint in one of STATES; sometimes a reference no complaint has, as sent.
TARGETS = st.sampled_from(STATES) | st.sampled_from(["%00", "TS2026%0012", "%2e%2e", "a" * 300])


@dataclass
class World:
    complaints: dict[str, Complaint]
    callers: dict[str, dict[str, str]]  # the WSGI environ keys that authenticate each
    evidence_dir: Path


@pytest.fixture
def world(consumer, platform, staff, tmp_path, _in_process_requests) -> World:
    """Complaints in states where each party has something to do (and a closed one), a
    webhook endpoint so that anything getting through would fill the outbox, and the
    credentials of each party: the platform's key, the consumer's and staff's sessions
    with the CSRF pair that DRF asks of sessions on unsafe methods."""
    complaints = {
        state: complaint_in(state, consumer=consumer, platform_code="shop") for state in STATES
    }
    webhook_endpoint_create(platform=platform, url="https://hooks.shop.example/wq")
    callers = {
        "platform": {"HTTP_AUTHORIZATION": f"Api-Key {api_key_create(platform=platform)[1]}"}
    }
    for name, user in (("consumer", consumer), ("staff", staff)):
        session = client_for(user).cookies["sessionid"].value
        csrf = _get_new_csrf_string()
        callers[name] = {
            "HTTP_COOKIE": f"sessionid={session}; csrftoken={csrf}",
            "HTTP_X_CSRFTOKEN": csrf,
        }
    return World(complaints=complaints, callers=callers, evidence_dir=tmp_path / "evidence")


@pytest.fixture
def _in_process_requests():
    """Let the WSGI application run on the test's connection, inside its transaction, as
    Django's test client does: `close_old_connections` would close it after each request."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@dataclass
class Answer:
    status_code: int
    headers: dict[str, str]
    content: bytes

    def __getitem__(self, name: str) -> str:
        return self.headers[name.lower()]


def wsgi_call(method: str, path: str, body: bytes, environ: dict) -> Answer:
    """One request through the WSGI application gunicorn serves (config.wsgi), not the
    test client, which builds the request its own way and reads bodies more strictly
    than a socket. What the application raises, gunicorn answers with a bare 500."""
    environ = {
        "REQUEST_METHOD": method,
        # As a server hands it over: percent-decoded, the bytes as latin-1.
        "PATH_INFO": unquote_to_bytes(path).decode("latin-1"),
        "QUERY_STRING": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "testserver",
        "REMOTE_ADDR": "203.0.113.9",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": io.StringIO(),
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "CONTENT_LENGTH": str(len(body)),
        **environ,
    }
    started: dict = {}

    def start_response(status, headers, exc_info=None):
        started["status"] = int(status.split(" ", 1)[0])
        started["headers"] = {name.lower(): value for name, value in headers}

    try:
        result = application(environ, start_response)
        try:
            content = b"".join(result)
        finally:
            if hasattr(result, "close"):
                result.close()
    except Exception:  # what a WSGI server does with it
        return Answer(500, {"content-type": "text/html"}, b"Internal Server Error")
    return Answer(started["status"], started["headers"], content)


def snapshot(world: World) -> dict:
    files = sorted(p for p in world.evidence_dir.rglob("*") if p.is_file())
    return {
        "complaints": list(
            Complaint.objects.order_by("pk").values_list("reference", "status", "updated_at")
        ),
        "events": ComplaintEvent.objects.count(),
        "evidence": EvidenceRecord.objects.count(),
        "files": files,
        "outbox": WebhookMessage.objects.count(),
        "idempotency": IdempotencyRecord.objects.count(),
    }


def reference(world: World, target: str) -> str:
    complaint = world.complaints.get(target)
    return complaint.reference if complaint is not None else target


def send(world: World, who: str, method: str, path: str, body: bytes, **environ):
    """One request, in a savepoint rolled back after it; returns (response, before, after)."""
    cache.clear()  # throttle counts: the fuzzers send more than a person would
    with transaction.atomic():
        before = snapshot(world)
        response = wsgi_call(method, path, body, {**world.callers[who], **environ})
        after = snapshot(world)
        transaction.set_rollback(True)
    return response, before, after


def assert_clear_answer(response, before: dict, after: dict) -> None:
    """Never a 5xx; a refusal is a problem+json naming itself and changes nothing."""
    status = response.status_code
    assert status < 500, response.content[:500]
    if status < 400:
        _event(f"{status}")
        return
    assert response["Content-Type"] == PROBLEM, (status, response.content[:500])
    problem = json.loads(response.content)
    _event(f"{status} {problem.get('code')}")
    assert problem["status"] == status
    assert problem["type"].startswith("https://") and problem["title"]
    assert after == before, f"{status} {problem.get('code')} changed something"


def _event(name: str) -> None:
    """Count answers per kind, as `--hypothesis-show-statistics` shows them."""
    if currently_in_test_context():
        event(name)


# --- the evidence upload ----------------------------------------------------------------

ODD_NAMES = [
    b"../../../../etc/passwd",
    b"..\\..\\windows\\win.ini",
    b"/absolute/path.png",
    b"photo\x00.png",
    b"\x00",
    b"\xff\xfe\xfd.png",
    b"\xe5\x9b\xbe.png",  # a valid UTF-8 name: 图.png
    b"\xc3(.png",  # an invalid UTF-8 sequence
    b"a" * 5000 + b".png",
    b"x." + b"y" * 300,
    b"",
    b".",
    b"..",
    b"CON",
    b'name with "quotes".png',
    b"semi;colon=.png",
    b"\xe2\x80\xaegnp.exe",  # right-to-left override
    b"%2e%2e%2fpasswd",
    b"line\r\nbreak.png",
]
FIELD_NAMES = [b"file", b"kind", b"description", b"files", b"File", b"file[]", b"", b"\xff"]
FILE_CONTENT = st.one_of(
    st.binary(max_size=2048),
    st.sampled_from([PNG, b"", b"%PDF-1.7\n%%EOF\n", b"MZ\x90\x00" + b"\x00" * 60]),
)


def part(name: bytes, content: bytes, filename: bytes | None = None) -> bytes:
    disposition = b'Content-Disposition: form-data; name="' + name + b'"'
    if filename is not None:
        disposition += b'; filename="' + filename + b'"'
    head = disposition + b"\r\n"
    if filename is not None:
        head += b"Content-Type: application/octet-stream\r\n"
    return b"--" + BOUNDARY + b"\r\n" + head + b"\r\n" + content + b"\r\n"


def multipart(parts: list[bytes]) -> bytes:
    return b"".join(parts) + b"--" + BOUNDARY + b"--\r\n"


MULTIPART = f"multipart/form-data; boundary={BOUNDARY.decode()}"


@st.composite
def uploads(draw) -> tuple[bytes, dict]:
    """A multipart body with a file part among others, some of them wrong."""
    parts = [
        part(
            draw(st.sampled_from(FIELD_NAMES) | st.binary(max_size=20)),
            draw(FILE_CONTENT),
            draw(st.sampled_from(ODD_NAMES) | st.binary(max_size=300)),
        ),
        part(b"kind", draw(st.sampled_from([b"photo", b"receipt", b"", b"nonsense"]))),
    ]
    if draw(st.booleans()):
        parts.append(part(b"description", draw(st.binary(max_size=300))))
    if draw(st.booleans()):  # a second file, or the same field twice
        parts.append(part(b"file", draw(FILE_CONTENT), b"second.png"))
    body = multipart(draw(st.permutations(parts)))
    return body, {"CONTENT_TYPE": MULTIPART}


@FUZZ
@given(upload=uploads(), who=st.sampled_from(CALLERS), target=TARGETS)
def test_random_files_and_odd_names_get_a_clear_answer(world, upload, who, target):
    body, meta = upload
    path = f"/api/v1/complaints/{reference(world, target)}/evidence/"
    response, before, after = send(world, who, "POST", path, body, **meta)
    assert_clear_answer(response, before, after)
    if response.status_code == 201:
        # Whatever the name sent, what is kept is a label: no path, nothing unprintable.
        name = json.loads(response.content)["file_name"]
        assert "/" not in name and "\\" not in name and name.isprintable(), name


CONTENT_TYPES = st.sampled_from(
    [
        MULTIPART,
        "multipart/form-data",  # no boundary
        "multipart/form-data; boundary=",  # an empty one
        "multipart/form-data; boundary=another-boundary",
        'multipart/form-data; boundary="unterminated',
        "multipart/mixed; boundary=" + BOUNDARY.decode(),
        "application/json",
        "application/x-www-form-urlencoded",
        "text/plain",
        "image/png",
        "",
        ";;;",
        # Parameters Django has to decode: RFC 2231 with charsets that do not exist or
        # are not text, and charsets for the body that are not text either.
        "multipart/form-data; boundary*=bogus''%77q-fuzz-boundary",
        "multipart/form-data; boundary*=utf-8''%ff%fe",
        "application/json; charset*=zlib''%ff",
        "application/json; charset=zlib",
        "application/json; charset=utf-16",
        "application/json; charset=rot13",
        f"{MULTIPART}; charset=bz2",
    ]
) | st.text(st.characters(max_codepoint=255), max_size=60)  # WSGI's latin-1


@st.composite
def broken_uploads(draw) -> tuple[bytes, dict]:
    """A good upload spoiled: cut short, a Content-Type or a Content-Length that lies."""
    body = multipart([part(b"file", PNG, b"photo.png"), part(b"kind", b"photo")])
    meta: dict = {"CONTENT_TYPE": draw(CONTENT_TYPES)}
    cut = draw(st.none() | st.integers(min_value=0, max_value=len(body)))
    if cut is not None:
        body = body[:cut]
    length = draw(st.sampled_from([None, "huge", "short", "long", "junk", "negative"]))
    if length is not None:
        declared = {
            "huge": str(10**12),
            "short": str(max(len(body) // 2, 0)),
            "long": str(len(body) + 4096),
            "junk": "twelve",
            "negative": "-1",
        }[length]
        # What arrived is all the socket gives, whatever the header said.
        meta["CONTENT_LENGTH"] = declared
    return body, meta


@FUZZ
@given(upload=broken_uploads(), who=st.sampled_from(CALLERS), target=TARGETS)
def test_truncated_and_mislabelled_uploads_get_a_clear_answer(world, upload, who, target):
    body, meta = upload
    path = f"/api/v1/complaints/{reference(world, target)}/evidence/"
    assert_clear_answer(*send(world, who, "POST", path, body, **meta))


# --- the transitions ----------------------------------------------------------------------

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=50),
    lambda children: (
        st.lists(children, max_size=5)
        | st.dictionaries(
            st.sampled_from(["reason", "reason_code", "amount", "message", "resolution", "terms"])
            | st.text(max_size=10),
            children,
            max_size=5,
        )
    ),
    max_leaves=20,
)
NOT_JSON = st.one_of(
    st.binary(max_size=200),
    st.sampled_from(
        [
            b"",
            b"{",
            b'{"reason": "x"',
            b"[" * 100_000,  # deeper than the parser recurses
            b"1" * 5000,  # more digits than Python converts
            b'{"amount": NaN}',
            b'{"amount": Infinity}',
            b"\xef\xbb\xbf{}",  # a byte order mark
            b'{"reason": "\\ud800"}',  # a lone surrogate
            b"\x00\x00\x00{",
            '{"reason": "退款"}'.encode("gb18030"),
        ]
    ),
)
IDEMPOTENCY_KEYS = st.one_of(
    st.uuids().map(str),
    st.sampled_from(
        [
            "",
            " ",
            "a" * (MAX_KEY_LENGTH + 1),
            "key\x00",
            "key\tx",
            "\x7f",
            "ключ".encode().decode("latin-1"),
        ]
    ),
    st.text(st.characters(max_codepoint=255), max_size=300),
)


@st.composite
def transition_requests(draw) -> tuple[str, bytes, dict]:
    name = draw(
        st.sampled_from(TRANSITIONS)
        if draw(st.integers(0, 3))
        else st.sampled_from(
            ["ACCEPT", "accept_", "no_such_transition", "", "%00", "..", "a" * 300]
        )
        | st.from_regex(r"[a-z_]{1,30}", fullmatch=True)
    )
    if draw(st.booleans()):
        body = json.dumps(draw(JSON), ensure_ascii=draw(st.booleans())).encode()
    else:
        body = draw(NOT_JSON)
    meta: dict = {
        "CONTENT_TYPE": draw(
            st.sampled_from(["application/json", "application/json; charset=latin-1"])
            if draw(st.integers(0, 3))
            else CONTENT_TYPES
        )
    }
    if draw(st.integers(0, 3)) == 0:  # most requests carry no key, so the body is read
        meta["HTTP_IDEMPOTENCY_KEY"] = draw(IDEMPOTENCY_KEYS)
    return name, body, meta


@FUZZ
@given(call=transition_requests(), who=st.sampled_from(CALLERS), target=TARGETS)
def test_malformed_transitions_get_a_clear_answer(world, call, who, target):
    name, body, meta = call
    path = f"/api/v1/complaints/{reference(world, target)}/transitions/{name}/"
    assert_clear_answer(*send(world, who, "POST", path, body, **meta))


# --- what the fuzzers found -------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type",
    [
        "multipart/form-data; boundary*=bogus''%77q-fuzz-boundary",
        "application/json; charset*=bogus''%ff",
    ],
)
@pytest.mark.parametrize("target", ["evidence/", "transitions/respond/"])
def test_a_content_type_parameter_in_an_unknown_charset_is_a_415_not_a_crash(
    world, content_type, target
):
    # given a body labelled with an RFC 2231 parameter Django cannot decode (it used to
    # raise while building the request, and gunicorn answered a bare 500)
    body = multipart([part(b"file", PNG, b"photo.png"), part(b"kind", b"photo")])
    if target != "evidence/":
        body = b'{"resolution": "decline", "message": "no"}'
    path = f"/api/v1/complaints/{world.complaints['awaiting_response'].reference}/{target}"
    # when the platform sends it
    response, before, after = send(world, "platform", "POST", path, body, CONTENT_TYPE=content_type)
    # then the API says it cannot read the body, and nothing is filed
    assert response.status_code == 415
    assert_clear_answer(response, before, after)


@pytest.mark.parametrize(
    ("url", "status"),
    [
        # On PostgreSQL these reached a query with the NUL and failed there (a 500).
        ("/api/v1/complaints/%00/evidence/", 404),
        ("/api/v1/complaints/TS2026%0012/transitions/accept/", 404),
        ("/api/v1/complaints/TS202612020001/transitions/%00/", 404),
        ("/api/v1/deposit/?platform=%00", 400),
        ("/api/v1/recoveries/?platform=sh%00p", 400),
    ],
)
def test_a_nul_byte_in_the_url_is_refused_before_any_query(world, url, status):
    path, _, query = url.partition("?")
    for method in ("GET", "POST"):
        response, before, after = send(
            world,
            "staff",
            method,
            path,
            b"{}",
            QUERY_STRING=query,
            CONTENT_TYPE="application/json",
            HTTP_IDEMPOTENCY_KEY="nul-in-the-url",
        )
        assert response.status_code == status
        assert_clear_answer(response, before, after)
