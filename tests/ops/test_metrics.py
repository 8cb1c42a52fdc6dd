"""/metrics: Prometheus text exposition; counters move with what happens."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from api.webhooks.services import webhook_endpoint_create
from tests.states import complaint_in


def scrape(client, **headers) -> dict[tuple[str, frozenset], float]:
    """Every sample of one scrape, keyed by (name, labels)."""
    response = client.get("/metrics", **headers)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=")
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def value(samples, metric: str, **labels) -> float:
    return samples.get((metric, frozenset(labels.items())), 0.0)


@pytest.mark.django_db
def test_metrics_refuse_other_addresses_without_the_token(client, settings):
    settings.METRICS_ALLOWED_IPS = ["127.0.0.1", "10.0.0.0/8"]
    settings.METRICS_TOKEN = "scrape-secret-1234"
    outsider = {"REMOTE_ADDR": "203.0.113.9"}
    assert client.get("/metrics", **outsider).status_code == 403
    wrong = client.get("/metrics", HTTP_AUTHORIZATION="Bearer nope", **outsider)
    assert wrong.status_code == 403
    # an allowed network, and any address with the token, may scrape
    assert client.get("/metrics", REMOTE_ADDR="10.20.30.40").status_code == 200
    ok = client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-secret-1234", **outsider)
    assert ok.status_code == 200


@pytest.mark.django_db
def test_without_a_token_configured_a_bearer_header_opens_nothing(client, settings):
    settings.METRICS_TOKEN = ""
    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer ", REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 403


@pytest.mark.django_db
def test_requests_are_counted_by_method_route_and_status(client):
    before = scrape(client)
    # when two probes, an API call without credentials and an unknown path come in
    client.get("/healthz")
    client.get("/healthz")
    client.get("/api/v1/complaints/")
    client.get("/no/such/page/")
    after = scrape(client)
    # then each is counted under its route name (never the raw path), with its status
    name = "weiquan_http_requests_total"
    for labels, added in [
        ({"method": "GET", "route": "healthz", "status": "200"}, 2),
        ({"method": "GET", "route": "complaint-list", "status": "401"}, 1),
        ({"method": "GET", "route": "unmatched", "status": "404"}, 1),
    ]:
        assert value(after, name, **labels) - value(before, name, **labels) == added, labels
    # and timed in the histogram
    count = "weiquan_http_request_duration_seconds_count"
    assert (
        value(after, count, method="GET", route="healthz")
        - value(before, count, method="GET", route="healthz")
        == 2
    )
    assert value(
        after,
        "weiquan_http_request_duration_seconds_bucket",
        method="GET",
        route="healthz",
        le="+Inf",
    ) >= value(after, count, method="GET", route="healthz")


@pytest.mark.django_db
def test_transitions_are_counted_by_name_from_the_database(client, consumer, platform):
    before = scrape(client)
    # when one complaint is filed, accepted and answered, and another is withdrawn
    complaint_in("responded", consumer=consumer, platform_code=platform.code)
    complaint_in("withdrawn", consumer=consumer, platform_code=platform.code)
    after = scrape(client)
    name = "weiquan_complaint_transitions_total"
    moved = {
        transition: value(after, name, name=transition) - value(before, name, name=transition)
        for transition in ("filed", "accept", "respond", "withdraw", "reject")
    }
    assert moved == {"filed": 2, "accept": 1, "respond": 1, "withdraw": 1, "reject": 0}
    assert value(after, "weiquan_metrics_database_up") == 1


@pytest.mark.django_db
def test_missed_deadlines_count_overdue_complaints(client, consumer, platform):
    assert value(scrape(client), "weiquan_deadlines_missed") == 0
    # given one complaint filed a month ago and never decided (7 working days to accept)
    complaint_in(
        "submitted",
        consumer=consumer,
        platform_code=platform.code,
        at=timezone.now() - timedelta(days=30),
    )
    # and one filed just now
    complaint_in("submitted", consumer=consumer, platform_code=platform.code)
    assert value(scrape(client), "weiquan_deadlines_missed") == 1


@pytest.mark.django_db
def test_outbox_lag_and_webhook_failures(client, consumer, platform, time_machine):
    start = timezone.now()
    time_machine.move_to(start, tick=False)
    # given a platform endpoint where nothing listens, and a complaint accepted for it
    webhook_endpoint_create(platform=platform, url="http://127.0.0.1:1/hook")
    complaint_in("awaiting_response", consumer=consumer, platform_code=platform.code)
    before = scrape(client)
    assert value(before, "weiquan_webhook_outbox_pending") >= 1
    assert value(before, "weiquan_webhook_outbox_lag_seconds") == 0
    # when ten minutes pass undelivered
    time_machine.move_to(start + timedelta(minutes=10), tick=False)
    lagging = scrape(client)
    assert value(lagging, "weiquan_webhook_outbox_lag_seconds") == pytest.approx(600, abs=1)
    # and a delivery run fails against the refusing receiver
    call_command("deliver_webhooks", "--once")
    after = scrape(client)
    failed = "weiquan_webhook_failed_attempts_total"
    assert value(after, failed) - value(before, failed) == value(
        before, "weiquan_webhook_outbox_pending"
    )
    # then the messages are still pending (retried with backoff), so the lag stays
    assert value(after, "weiquan_webhook_outbox_lag_seconds") == pytest.approx(600, abs=1)
    assert value(after, "weiquan_webhook_messages_given_up") == 0
