"""The integrator's examples work: answer_complaint.py against a live server, the webhook
verifiers of docs/api.md and examples/verify_webhook.js against our own signatures."""

from __future__ import annotations

import json
import os
import re
import select
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from api.models import IdempotencyRecord, WebhookMessage
from api.webhooks.delivery import deliver_due
from api.webhooks.services import webhook_endpoint_create
from api.webhooks.signing import new_secret, sign
from complaints.models import Complaint, ComplaintMessage
from tests.states import complaint_in

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "examples" / "answer_complaint.py"
NODE_RECEIVER = ROOT / "examples" / "verify_webhook.js"
GUIDE = ROOT / "docs" / "api.md"


def mint_key(code: str) -> str:
    """A key as an operator issues it: `create_api_key`, last line of the output."""
    out = StringIO()
    call_command("create_api_key", code, "--name", "example script", stdout=out)
    return out.getvalue().rstrip("\n").splitlines()[-1]


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without proxies (the live server is on loopback) and a fixed key."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k.lower() not in ("http_proxy", "https_proxy", "all_proxy", "weiquan_api_key")
    }
    return {**env, "PYTHONIOENCODING": "utf-8", **extra}


def run_script(*args: str, api_key: str) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - our own script, fixed arguments
        [sys.executable, str(SCRIPT), *args],
        env=clean_env(WEIQUAN_API_KEY=api_key),
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        check=False,
    )


# examples/answer_complaint.py against a live server.

# live_server answers from another thread, so the data must be committed; the
# serialized rollback restores what migrations seeded (the GB/T 2260 regions) after
# each test flushes the tables.
live = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@live
def test_script_answers_the_complaint_awaiting_the_platform(live_server, consumer, platform):
    # given one complaint waiting for the platform's answer, and others that are not
    waiting = complaint_in("awaiting_response", consumer=consumer, platform_code=platform.code)
    submitted = complaint_in("submitted", consumer=consumer, platform_code=platform.code)
    answered = complaint_in("responded", consumer=consumer, platform_code=platform.code)
    key = mint_key(platform.code)
    # when the platform runs the example with only the server and its key
    result = run_script("--base-url", live_server.url, api_key=key)
    # then it exits 0 having answered the waiting complaint with a refund of the claim
    assert result.returncode == 0, result.stdout + result.stderr
    waiting.refresh_from_db()
    assert waiting.status == "responded"
    assert waiting.proposal_resolution == "refund"
    assert waiting.proposal_amount == waiting.amount_claimed
    assert waiting.events.filter(name="respond", actor_role="platform").count() == 1
    # and it printed what it saw and did
    assert waiting.reference in result.stdout
    assert "Allowed now: respond" in result.stdout
    assert "responded" in result.stdout
    # and it sent Idempotency-Keys: one for the answer, one for the message
    assert IdempotencyRecord.objects.filter(key__startswith=f"respond-{waiting.reference}-")
    assert IdempotencyRecord.objects.filter(key__startswith=f"message-{waiting.reference}-")
    # and it posted to the negotiation thread as the platform
    message = ComplaintMessage.objects.get(complaint=waiting)
    assert message.author_role == "platform"
    # and left the other complaints alone
    submitted.refresh_from_db()
    answered.refresh_from_db()
    assert (submitted.status, answered.status) == ("submitted", "responded")
    assert answered.proposal_amount == Decimal("500.00")


@live
def test_script_answers_a_given_reference_with_merchant_identity(live_server, consumer, platform):
    # given two complaints waiting, the platform picks the second
    complaint_in("awaiting_response", consumer=consumer, platform_code=platform.code)
    chosen = complaint_in("awaiting_response", consumer=consumer, platform_code=platform.code)
    # when it answers that one with an exchange and names the merchant (CRPL art. 44)
    result = run_script(
        "--base-url",
        live_server.url,
        "--reference",
        chosen.reference,
        "--resolution",
        "exchange",
        "--amount",
        "0.00",
        "--message",
        "同意换货，请寄回商品。",
        "--merchant-name",
        "优选数码专营店",
        "--merchant-address",
        "上海市浦东新区张江路88号",
        "--merchant-contact",
        "021-50801234",
        "--note",
        "",
        api_key=mint_key(platform.code),
    )
    # then that complaint carries the proposal and an identified merchant, and no message
    assert result.returncode == 0, result.stdout + result.stderr
    chosen.refresh_from_db()
    assert chosen.status == "responded"
    assert (chosen.proposal_resolution, chosen.proposal_message) == (
        "exchange",
        "同意换货，请寄回商品。",
    )
    assert chosen.merchant is not None and chosen.merchant.is_identified
    assert not ComplaintMessage.objects.exists()
    assert Complaint.objects.filter(status="awaiting_response").count() == 1


@live
def test_script_with_a_bad_key_exits_non_zero_with_the_401_problem(live_server, platform):
    # when the key is wrong
    result = run_script("--base-url", live_server.url, api_key="wq_0123456789ab_" + "x" * 43)
    # then the script says so, from the problem+json body, and exits 1
    assert result.returncode == 1
    assert "HTTP 401" in result.stderr
    assert "authentication_failed" in result.stderr
    assert "Invalid or revoked API key." in result.stderr
    assert "request id: " in result.stderr
    assert "Traceback" not in result.stderr


@live
def test_script_refuses_a_complaint_it_cannot_respond_to(live_server, consumer, platform):
    # given a complaint the platform has already answered
    answered = complaint_in("responded", consumer=consumer, platform_code=platform.code)
    before = answered.events.count()
    # when the script is pointed at it
    result = run_script(
        "--base-url", live_server.url, "--reference", answered.reference, api_key=mint_key("shop")
    )
    # then it explains and changes nothing
    assert result.returncode == 1
    assert "Allowed now: (none)" in result.stdout
    assert f"Cannot respond to {answered.reference} while it is responded" in result.stderr
    assert answered.events.count() == before


@live
def test_script_reports_other_platforms_complaints_as_not_found(
    live_server, consumer, platform, other_platform
):
    theirs = complaint_in("awaiting_response", consumer=consumer, platform_code=other_platform.code)
    result = run_script(
        "--base-url", live_server.url, "--reference", theirs.reference, api_key=mint_key("shop")
    )
    assert result.returncode == 1
    assert "HTTP 404" in result.stderr
    theirs.refresh_from_db()
    assert theirs.status == "awaiting_response"


@live
def test_script_with_nothing_to_answer_exits_zero(live_server, consumer, platform):
    complaint_in("submitted", consumer=consumer, platform_code=platform.code)
    result = run_script("--base-url", live_server.url, api_key=mint_key("shop"))
    assert result.returncode == 0, result.stderr
    assert "Nothing to answer." in result.stdout


def test_script_cannot_reach_the_server_exits_non_zero():
    # port 9 (discard) on loopback: nothing listens there
    result = run_script("--base-url", "http://127.0.0.1:9", "--retries", "0", api_key="wq_x")
    assert result.returncode == 1
    assert "Cannot reach http://127.0.0.1:9" in result.stderr


# The webhook verifiers: the Python snippets of docs/api.md.


def guide_snippet(title: str) -> str:
    """The fenced Python block of docs/api.md whose first line is `# Example: <title>`."""
    blocks = re.findall(r"```python\n(.*?)```", GUIDE.read_text(encoding="utf-8"), re.S)
    for block in blocks:
        if block.startswith(f"# Example: {title}\n"):
            return block
    raise AssertionError(f"docs/api.md has no Python example titled {title!r}")


def signed(secret: str, body: bytes, *, msg_id="msg_0123456789abcdef0123456789abcdef", ts=None):
    ts = int(time.time()) if ts is None else ts
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(ts),
        "webhook-signature": sign(secret=secret, msg_id=msg_id, timestamp=ts, body=body),
    }


BODY = json.dumps(
    {
        "type": "complaint.forwarded",
        "timestamp": "2026-11-22T10:00:00+08:00",
        "data": {"reference": "TS202611220001", "status": "awaiting_response"},
    },
    ensure_ascii=False,
    separators=(",", ":"),
).encode()


@pytest.mark.parametrize("title", ["verify with standardwebhooks", "verify with the stdlib"])
def test_guide_python_verifiers_accept_our_signature_and_refuse_forgeries(title, monkeypatch):
    # given the snippet as an integrator pastes it, with the secret in its environment
    secret = new_secret()
    monkeypatch.setenv("WEIQUAN_WEBHOOK_SECRET", secret)
    namespace: dict = {"__name__": "guide_example"}
    exec(compile(guide_snippet(title), str(GUIDE), "exec"), namespace)  # noqa: S102 - our docs
    verify = namespace["verify_webhook"]
    # a genuine message verifies and parses
    assert verify(BODY, signed(secret, BODY))["data"]["reference"] == "TS202611220001"
    # a changed body, another secret, a stale timestamp or a missing header do not
    forgeries = [
        (BODY.replace(b"TS2026", b"TS2025"), signed(secret, BODY)),
        (BODY, signed(new_secret(), BODY)),
        (BODY, signed(secret, BODY, ts=int(time.time()) - 3600)),
        (BODY, {k: v for k, v in signed(secret, BODY).items() if k != "webhook-signature"}),
    ]
    for body, headers in forgeries:
        with pytest.raises(Exception) as caught:  # noqa: PT011 - each snippet has its own class
            verify(body, headers)
        assert type(caught.value).__name__ in ("WebhookVerificationError", "InvalidWebhook")


def test_guide_quotes_the_tested_node_verifier_verbatim():
    # the JavaScript in docs/api.md is the function the Node tests below exercise
    (block,) = re.findall(r"```js\n(.*?)```", GUIDE.read_text(encoding="utf-8"), re.S)
    assert block.startswith("function verifyWebhook(")
    assert block in NODE_RECEIVER.read_text(encoding="utf-8")


# The Node receiver of examples/verify_webhook.js, fed by our signing and delivery code.

NODE = shutil.which("node")
needs_node = pytest.mark.skipif(NODE is None, reason="node is not on PATH")


class NodeReceiver:
    """examples/verify_webhook.js running as a server on a free loopback port."""

    def __init__(self, secret: str) -> None:
        self.process = subprocess.Popen(  # noqa: S603 - our own example, fixed arguments
            [NODE, str(NODE_RECEIVER)],
            env=clean_env(WEIQUAN_WEBHOOK_SECRET=secret, PORT="0", HOST="127.0.0.1"),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        ready, _, _ = select.select([self.process.stdout], [], [], 15)
        line = self.process.stdout.readline() if ready else ""
        match = re.match(r"listening on (http://127\.0\.0\.1:\d+/)", line)
        if not match:
            self.process.kill()
            raise AssertionError(f"node did not start: {line!r} {self.process.stderr.read()}")
        self.url = match[1]

    def post(self, body: bytes, headers: dict[str, str]) -> int:
        headers = {"Content-Type": "application/json", **headers}
        request = urllib.request.Request(self.url, data=body, headers=headers)  # noqa: S310
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(request, timeout=10) as response:
                return response.status
        except urllib.error.HTTPError as exc:
            return exc.code

    def stop(self) -> list[dict]:
        """Stop the server; the events it handled, as it logged them."""
        self.process.terminate()
        out, _err = self.process.communicate(timeout=10)
        return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


@pytest.fixture
def node_receiver():
    receivers: list[NodeReceiver] = []

    def start(secret: str) -> NodeReceiver:
        receivers.append(NodeReceiver(secret))
        return receivers[-1]

    yield start
    for receiver in receivers:
        if receiver.process.poll() is None:
            receiver.process.kill()
            receiver.process.communicate()


@needs_node
def test_node_receiver_accepts_our_signature_once_and_refuses_forgeries(node_receiver):
    secret = new_secret()
    receiver = node_receiver(secret)
    headers = signed(secret, BODY)
    # a genuine message is taken (204), and a redelivery of it is taken but not redone
    assert receiver.post(BODY, headers) == 204
    assert receiver.post(BODY, headers) == 204
    # a tampered body, another secret, a stale or future timestamp, a missing header: 400
    assert receiver.post(BODY.replace(b"TS2026", b"TS2025"), headers) == 400
    assert receiver.post(BODY, signed(new_secret(), BODY)) == 400
    assert receiver.post(BODY, signed(secret, BODY, ts=int(time.time()) - 600)) == 400
    assert receiver.post(BODY, signed(secret, BODY, ts=int(time.time()) + 600)) == 400
    assert receiver.post(BODY, {**headers, "webhook-signature": ""}) == 400
    # several signatures (a secret rotation): one valid is enough
    rotated = {**headers, "webhook-signature": "v1,AAAA " + headers["webhook-signature"]}
    assert receiver.post(BODY, {**rotated, "webhook-id": headers["webhook-id"]}) == 204
    handled = receiver.stop()
    assert handled == [
        {
            "id": headers["webhook-id"],
            "type": "complaint.forwarded",
            "reference": "TS202611220001",
            "status": "awaiting_response",
        }
    ]


@needs_node
@pytest.mark.django_db
def test_node_receiver_takes_a_real_delivery(node_receiver, consumer, platform, settings):
    # given the Node example registered as the platform's endpoint
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    secret = new_secret()
    receiver = node_receiver(secret)
    endpoint = webhook_endpoint_create(platform=platform, url=receiver.url)
    endpoint.secret = secret  # the receiver was started with it
    endpoint.save(update_fields=["secret"])
    # when staff forward a complaint and the outbox is delivered
    complaint = complaint_in("awaiting_response", consumer=consumer, platform_code=platform.code)
    outcome = deliver_due()
    # then the signed delivery verified in Node and was acknowledged
    assert (outcome.attempted, outcome.delivered) == (1, 1)
    message = WebhookMessage.objects.get()
    assert message.last_status == 204 and message.delivered_at is not None
    assert receiver.stop() == [
        {
            "id": message.msg_id,
            "type": "complaint.forwarded",
            "reference": complaint.reference,
            "status": "awaiting_response",
        }
    ]
