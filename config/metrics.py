"""Prometheus metrics at /metrics: HTTP requests from each process, the rest from the database.

Two kinds of series, for two reasons:

- Requests (`weiquan_http_requests_total`, `weiquan_http_request_duration_seconds`)
  are counted in the process that served them (prometheus-client). Under gunicorn
  with several workers, set `PROMETHEUS_MULTIPROC_DIR` (config/gunicorn.py wipes it
  at start and marks dead workers) so a scrape sums every worker of the machine;
  without it a scrape sees only the worker that answered it.
- Complaint transitions, missed deadlines, the webhook outbox and webhook failures
  are read from the database at scrape time. They then count the work of every
  machine, Celery workers included (the deadline sweep runs there and serves no
  HTTP), and survive restarts. They are the same on every target: aggregate them
  with max(), not sum(). Each is one indexed or grouped query; see
  docs/operations.md for their cost.

The endpoint answers only addresses in METRICS_ALLOWED_IPS or a request with
`Authorization: Bearer <METRICS_TOKEN>`.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import time

from django.conf import settings
from django.db import DatabaseError
from django.db.models import Count, F, Min, Q
from django.http import HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

# The `_created` twin of every counter doubles the series and no dashboard reads it.
disable_created_metrics()

REQUESTS = Counter(
    "weiquan_http_requests",
    "HTTP requests answered, by method, route name and status.",
    ["method", "route", "status"],
)
DURATION = Histogram(
    "weiquan_http_request_duration_seconds",
    "Time to answer an HTTP request, by method and route name.",
    ["method", "route"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
# Anything else is counted as "other", so a client cannot grow the label set.
METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}
UNMATCHED = "unmatched"  # no route: 404s, redirects to HTTPS, refused hosts


def _route(request) -> str:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return UNMATCHED
    return match.view_name or match.route or UNMATCHED


class RequestMetricsMiddleware:
    """Count every answer and time it, labelled by route name (bounded), not by path."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        status = 500
        try:
            response = self.get_response(request)
            status = response.status_code
            return response
        finally:
            method = request.method if request.method in METHODS else "other"
            route = _route(request)
            REQUESTS.labels(method, route, str(status)).inc()
            DURATION.labels(method, route).observe(time.perf_counter() - started)


class DatabaseCollector:
    """Series read from the database at scrape time (the same on every machine)."""

    def collect(self):
        from api.models import WebhookAttempt, WebhookMessage
        from complaints.models import Complaint, ComplaintEvent
        from complaints.selectors import binding_deadlines_q

        started = time.perf_counter()
        up = GaugeMetricFamily(
            "weiquan_metrics_database_up", "1 when the database series below could be read."
        )
        took = GaugeMetricFamily(
            "weiquan_metrics_database_seconds", "Time spent reading the database series."
        )
        now = timezone.now()
        try:
            transitions = CounterMetricFamily(
                "weiquan_complaint_transitions",
                "Complaint state changes by transition name (events that changed the status; "
                "`filed` is the first).",
                labels=["name"],
            )
            rows = (
                ComplaintEvent.objects.exclude(from_status=F("to_status"))
                .values("name")
                .annotate(n=Count("id"))
                .order_by("name")
            )
            for row in rows:
                transitions.add_metric([row["name"]], row["n"])

            missed = GaugeMetricFamily(
                "weiquan_deadlines_missed",
                "Complaints with a binding deadline already past (the sweep applies them; "
                "lasting values mean the sweep is not running).",
                value=Complaint.objects.filter(binding_deadlines_q(due_before=now)).count(),
            )

            outbox = WebhookMessage.objects.filter(
                delivered_at__isnull=True, failed_at__isnull=True
            ).aggregate(pending=Count("id"), oldest=Min("created_at"))
            pending = GaugeMetricFamily(
                "weiquan_webhook_outbox_pending",
                "Webhook messages not yet delivered and not given up.",
                value=outbox["pending"],
            )
            lag = GaugeMetricFamily(
                "weiquan_webhook_outbox_lag_seconds",
                "Age of the oldest webhook message not yet delivered (0 when none).",
                value=max(0.0, (now - outbox["oldest"]).total_seconds())
                if outbox["oldest"]
                else 0.0,
            )
            given_up = GaugeMetricFamily(
                "weiquan_webhook_messages_given_up",
                "Webhook messages given up after 24 hours of retries.",
                value=WebhookMessage.objects.filter(failed_at__isnull=False).count(),
            )
            failures = CounterMetricFamily(
                "weiquan_webhook_failed_attempts",
                "Webhook delivery attempts that failed (no answer, or not 2xx).",
                value=WebhookAttempt.objects.filter(
                    Q(status_code__isnull=True) | Q(status_code__lt=200) | Q(status_code__gte=300)
                ).count(),
            )
        except DatabaseError:
            up.add_metric([], 0)
            took.add_metric([], time.perf_counter() - started)
            yield from (up, took)
            return
        up.add_metric([], 1)
        took.add_metric([], time.perf_counter() - started)
        yield from (transitions, missed, pending, lag, given_up, failures, up, took)


def _client_allowed(request) -> bool:
    token = settings.METRICS_TOKEN
    header = request.headers.get("Authorization", "")
    if token and header.startswith("Bearer "):
        return hmac.compare_digest(header[len("Bearer ") :].encode(), token.encode())
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    for allowed in settings.METRICS_ALLOWED_IPS:
        try:
            if address in ipaddress.ip_network(allowed, strict=False):
                return True
        except ValueError:
            continue
    return False


def exposition() -> bytes:
    """The text exposition of this process (or machine, in multiprocess mode) and the database."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        process_part = generate_latest(registry)
    else:
        process_part = generate_latest(REGISTRY)
    database = CollectorRegistry(auto_describe=False)
    database.register(DatabaseCollector())
    return process_part + generate_latest(database)


@never_cache
def metrics(request):
    """GET /metrics: Prometheus text format, for allowed addresses or the bearer token."""
    if not _client_allowed(request):
        return HttpResponse(
            "Forbidden: not an allowed address and no valid bearer token.\n",
            status=403,
            content_type="text/plain; charset=utf-8",
        )
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)
