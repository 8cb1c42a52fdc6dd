"""Webhooks to platforms: the outbox written with the change, signed delivery, retries, SSRF."""

from __future__ import annotations

import json
import socket
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from standardwebhooks import Webhook

from api.keys import api_key_create
from api.models import WebhookAttempt, WebhookEndpoint, WebhookMessage
from api.webhooks.delivery import GIVE_UP_AFTER, deliver_due
from api.webhooks.services import webhook_endpoint_create, webhook_redeliver
from api.webhooks.url_guard import check_webhook_url
from complaints.actors import Actor
from complaints.exceptions import DomainValidationError, TransitionForbidden
from complaints.services import complaint_transition
from tests.api.clients import client_for
from tests.factories import UserFactory
from tests.states import complaint_in

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _private_urls_allowed(settings):
    """The receiver below listens on loopback; the SSRF tests switch this off again."""
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True


class Receiver:
    """A real HTTP server on 127.0.0.1 that records requests and answers `status`."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.status = 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.requests.append(
                    {
                        "path": self.path,
                        "body": body,
                        "headers": {k.lower(): v for k, v in self.headers.items()},
                    }
                )
                self.send_response(receiver.status)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"ok" if receiver.status < 300 else b"boom " * 500)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/weiquan"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def endpoint(platform, receiver):
    return webhook_endpoint_create(platform=platform, url=receiver.url)


def forwarded(consumer, platform):
    """A complaint accepted by staff: one `complaint.forwarded` for the platform."""
    return complaint_in("awaiting_response", consumer=consumer, platform_code=platform.code)


# The outbox.


def test_a_transition_writes_one_message_per_subscribed_endpoint(
    consumer, platform, other_platform, receiver
):
    # given endpoints: all events, only closings, a disabled one, another platform's
    every = webhook_endpoint_create(platform=platform, url=receiver.url)
    closings = webhook_endpoint_create(
        platform=platform, url=receiver.url, events=["complaint.closed"]
    )
    disabled = webhook_endpoint_create(platform=platform, url=receiver.url)
    WebhookEndpoint.objects.filter(pk=disabled.pk).update(is_active=False)
    theirs = webhook_endpoint_create(platform=other_platform, url=receiver.url)
    # when staff accept a complaint against the platform (filing itself sends nothing)
    complaint = forwarded(consumer, platform)
    # then only the endpoint subscribed to everything has a message
    message = WebhookMessage.objects.get()
    assert message.endpoint == every
    assert message.event_type == "complaint.forwarded"
    assert message.msg_id.startswith("msg_") and len(message.msg_id) == 36
    assert message.payload["type"] == "complaint.forwarded"
    assert message.payload["data"]["reference"] == complaint.reference
    assert message.payload["data"]["status"] == "awaiting_response"
    assert message.payload["data"]["event"] == "accept"
    assert message.payload["data"]["event_id"] == complaint.events.get(name="accept").pk
    assert not closings.messages.exists() and not theirs.messages.exists()


def test_closing_reaches_endpoints_subscribed_to_closed(consumer, platform, receiver):
    closings = webhook_endpoint_create(
        platform=platform, url=receiver.url, events=["complaint.closed"]
    )
    complaint_in("closed", consumer=consumer, platform_code=platform.code)
    assert list(closings.messages.values_list("event_type", "payload__data__event")) == [
        ("complaint.closed", "confirm_fulfilment")
    ]


def test_a_rolled_back_transition_writes_and_sends_nothing(
    consumer, platform, endpoint, receiver, django_capture_on_commit_callbacks
):
    complaint = complaint_in("submitted", consumer=consumer, platform_code=platform.code)
    written = []
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        complaint_transition(
            complaint_id=complaint.pk,
            name="accept",
            actor=Actor.of_user(UserFactory(role="staff")),
        )
        written.append(WebhookMessage.objects.count())
        transaction.set_rollback(True)  # a later step of the same transaction fails
    assert written == [1]  # written with the change...
    # ...and gone with it; nothing was queued or sent
    assert WebhookMessage.objects.count() == 0
    assert callbacks == []
    assert receiver.requests == []


def test_after_commit_the_message_is_delivered_at_once(
    consumer, platform, endpoint, receiver, django_capture_on_commit_callbacks
):
    complaint = complaint_in("submitted", consumer=consumer, platform_code=platform.code)
    with django_capture_on_commit_callbacks(execute=True):
        complaint_transition(
            complaint_id=complaint.pk, name="accept", actor=Actor.of_user(UserFactory(role="staff"))
        )
    assert WebhookMessage.objects.get().delivered_at is not None
    assert len(receiver.requests) == 1


# Delivery.


def test_delivery_is_signed_so_the_standard_library_verifies_it(
    consumer, platform, endpoint, receiver
):
    complaint = forwarded(consumer, platform)
    outcome = deliver_due()
    assert (outcome.attempted, outcome.delivered) == (1, 1)
    (request,) = receiver.requests
    assert request["path"] == "/hooks/weiquan"
    payload = Webhook(endpoint.secret).verify(request["body"], request["headers"])
    assert payload["data"]["reference"] == complaint.reference
    assert request["headers"]["webhook-id"] == WebhookMessage.objects.get().msg_id
    # the consumer's contact details never leave
    assert b"zhangsan" not in request["body"] and consumer.email.encode() not in request["body"]
    attempt = WebhookAttempt.objects.get()
    assert attempt.status_code == 200 and attempt.response_excerpt == "ok"


def test_a_wrong_secret_fails_verification(consumer, platform, endpoint, receiver):
    from standardwebhooks.webhooks import WebhookVerificationError

    forwarded(consumer, platform)
    deliver_due()
    (request,) = receiver.requests
    other = webhook_endpoint_create(platform=platform, url=receiver.url)
    with pytest.raises(WebhookVerificationError):
        Webhook(other.secret).verify(request["body"], request["headers"])


def test_failing_receiver_gets_retries_with_growing_delays_then_is_given_up(
    consumer, platform, endpoint, receiver
):
    # given a receiver that always answers 500
    receiver.status = 500
    forwarded(consumer, platform)
    message = WebhookMessage.objects.get()
    now = timezone.now()
    # when the sweep runs each time the message is due again
    delays = []
    for _attempt in range(20):  # bounded: a message never given up fails, not hangs
        assert deliver_due(now=now).attempted == 1
        message.refresh_from_db()
        if message.failed_at is not None:
            break
        delays.append(message.next_attempt_at - now)
        # not due a moment before its time
        assert deliver_due(now=message.next_attempt_at - timedelta(seconds=1)).attempted == 0
        now = message.next_attempt_at
    else:
        pytest.fail("the message was never given up")
    # then the delays grow (5 s, 5 min, 30 min, 2 h, 5 h, 10 h) and it is given up only
    # after 24 hours, with every attempt recorded
    assert delays == sorted(delays) and delays[0] == timedelta(seconds=5)
    assert delays[-1] == timedelta(hours=10)
    assert message.failed_at - message.created_at >= GIVE_UP_AFTER
    assert now - delays[-1] - message.created_at < GIVE_UP_AFTER
    attempts = list(message.delivery_attempts.all())
    assert len(attempts) == message.attempts == len(receiver.requests) == len(delays) + 1
    assert all(a.status_code == 500 for a in attempts)
    assert all(len(a.response_excerpt) == 1000 for a in attempts)
    assert message.delivered_at is None and message.last_status == 500
    # and nothing is tried again
    assert deliver_due(now=now + timedelta(days=3)).attempted == 0


def test_a_receiver_that_comes_back_gets_the_message(consumer, platform, endpoint, receiver):
    receiver.status = 503
    forwarded(consumer, platform)
    message = WebhookMessage.objects.get()
    now = timezone.now()
    deliver_due(now=now)
    message.refresh_from_db()
    deliver_due(now=message.next_attempt_at)
    # when the receiver is back
    receiver.status = 204
    message.refresh_from_db()
    assert deliver_due(now=message.next_attempt_at).delivered == 1
    # then it got the same message, the third try
    message.refresh_from_db()
    assert message.delivered_at is not None and message.attempts == 3
    assert len({r["headers"]["webhook-id"] for r in receiver.requests}) == 1
    assert [a.status_code for a in message.delivery_attempts.all()] == [503, 503, 204]


def test_an_unreachable_receiver_is_recorded_as_an_error(consumer, platform):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed once the block ends: nothing listens
    webhook_endpoint_create(platform=platform, url=f"http://127.0.0.1:{port}/")
    forwarded(consumer, platform)
    deliver_due()
    attempt = WebhookAttempt.objects.get()
    assert attempt.status_code is None and "URLError" in attempt.error
    assert WebhookMessage.objects.get().next_attempt_at > timezone.now()


def test_redirects_are_not_followed(consumer, platform, endpoint, receiver):
    receiver.status = 302
    forwarded(consumer, platform)
    assert deliver_due().delivered == 0
    assert WebhookAttempt.objects.get().status_code == 302
    assert len(receiver.requests) == 1


def test_staff_redeliver_a_given_up_message(consumer, platform, endpoint, receiver, staff):
    forwarded(consumer, platform)
    message = WebhookMessage.objects.get()
    WebhookMessage.objects.filter(pk=message.pk).update(failed_at=timezone.now())
    assert deliver_due().attempted == 0
    webhook_redeliver(message_id=message.pk, actor=Actor.of_user(staff))
    assert deliver_due().delivered == 1
    with pytest.raises(TransitionForbidden, match="webhook_redeliver"):
        webhook_redeliver(message_id=message.pk, actor=Actor.of_user(consumer))


def test_deliver_webhooks_once_delivers_due_messages(consumer, platform, endpoint, receiver):
    forwarded(consumer, platform)
    out = StringIO()
    call_command("deliver_webhooks", "--once", stdout=out)
    assert "delivered 1" in out.getvalue()
    assert WebhookMessage.objects.get().delivered_at is not None
    assert len(receiver.requests) == 1


# SSRF.


def _resolves_to(monkeypatch, address: str) -> None:
    def fake(host, port, *args, **kwargs):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr("api.webhooks.url_guard.socket.getaddrinfo", fake)


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",
        "https://localhost/hook",
        "https://10.0.0.5/hook",
        "https://192.168.1.1/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/hook",
        "https://0.0.0.0/hook",
        "http://example.com/hook",
        "ftp://example.com/hook",
    ],
)
def test_private_and_plain_http_urls_are_refused_when_not_allowed(settings, url):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    with pytest.raises(DomainValidationError) as exc:
        check_webhook_url(url)
    assert "url" in exc.value.errors


def test_a_name_resolving_to_a_private_address_is_refused(settings, monkeypatch):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    _resolves_to(monkeypatch, "10.1.2.3")
    with pytest.raises(DomainValidationError):
        check_webhook_url("https://hooks.shop.example/weiquan")
    _resolves_to(monkeypatch, "93.184.216.34")
    check_webhook_url("https://hooks.shop.example/weiquan")


def test_delivery_checks_the_url_again(settings, consumer, platform, endpoint, receiver):
    # given an endpoint registered while private URLs were allowed
    forwarded(consumer, platform)
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    # when it is due, the URL is refused before anything is sent, and that is recorded
    assert deliver_due().delivered == 0
    assert receiver.requests == []
    assert WebhookAttempt.objects.get().error.startswith("refused")
    assert WebhookMessage.objects.get().failed_at is None  # retried: DNS may change


# The endpoints API.


URL = "/api/v1/webhook-endpoints/"


def test_secret_is_shown_once_and_never_listed(platform):
    client = client_for(api_key=api_key_create(platform=platform)[1])
    response = client.post(
        URL, {"url": "https://127.0.0.1:9/h", "events": ["complaint.closed"]}, format="json"
    )
    assert response.status_code == 201, response.content
    secret = response.json()["secret"]
    assert secret.startswith("whsec_")
    assert WebhookEndpoint.objects.get().secret == secret
    listed = client.get(URL).json()
    assert [e["id"] for e in listed] == [response.json()["id"]]
    assert "secret" not in listed[0] and secret not in json.dumps(listed)


def test_platform_users_manage_endpoints_too(platform):
    user = UserFactory(username="shop-admin", role="platform", platform=platform)
    response = client_for(user).post(URL, {"url": "https://127.0.0.1/h"}, format="json")
    assert response.status_code == 201
    assert response.json()["events"] == []


def test_bad_bodies_and_refused_urls_are_problems(platform, settings):
    client = client_for(api_key=api_key_create(platform=platform)[1])
    response = client.post(
        URL, {"url": "https://127.0.0.1/h", "events": ["complaint.eaten"]}, format="json"
    )
    assert response.status_code == 400 and "events.0" in response.json()["errors"]
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    response = client.post(URL, {"url": "https://127.0.0.1/h"}, format="json")
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert "url" in response.json()["errors"]
    assert WebhookEndpoint.objects.count() == 0


def test_consumers_are_403_and_other_platforms_are_404(consumer, platform, other_platform):
    mine = webhook_endpoint_create(platform=platform, url="https://127.0.0.1/h")
    assert client_for(consumer).get(URL).status_code == 403
    assert (
        client_for(consumer).post(URL, {"url": "https://127.0.0.1/h"}, format="json").status_code
        == 403
    )
    theirs = client_for(api_key=api_key_create(platform=other_platform)[1])
    assert theirs.get(URL).json() == []
    assert theirs.delete(f"{URL}{mine.pk}/").status_code == 404
    mine.refresh_from_db()
    assert mine.is_active


def test_delete_disables_and_keeps_the_history(consumer, platform, endpoint):
    forwarded(consumer, platform)
    client = client_for(api_key=api_key_create(platform=platform)[1])
    assert client.delete(f"{URL}{endpoint.pk}/").status_code == 204
    endpoint.refresh_from_db()
    assert not endpoint.is_active and endpoint.disabled_at is not None
    assert endpoint.messages.count() == 1
    assert client.get(URL).json()[0]["is_active"] is False
    # nothing more is written for it
    complaint_in("awaiting_response", consumer=consumer, platform_code=platform.code)
    assert endpoint.messages.count() == 1
