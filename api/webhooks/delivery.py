"""Delivering the outbox: sign, POST, record every attempt, retry with backoff for 24 hours.

A batch is claimed in a short transaction (`SELECT ... FOR UPDATE SKIP LOCKED` where
the database has it) by pushing `next_attempt_at` a lease ahead, then each POST runs
outside any transaction, so a slow receiver never holds row locks. A worker that dies
mid-send leaves the message due again when the lease ends: delivery is at least once,
and receivers deduplicate on `webhook-id`.
"""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone

from api.models import WebhookAttempt, WebhookMessage
from api.webhooks.signing import sign
from api.webhooks.url_guard import check_webhook_url
from complaints.exceptions import DomainValidationError

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 10
# Standard Webhooks guidance: immediately, then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h...
BACKOFF = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
)
GIVE_UP_AFTER = timedelta(hours=24)
LEASE = timedelta(seconds=TIMEOUT_SECONDS * 6)
EXCERPT_CHARS = 1000


@dataclass(frozen=True)
class Outcome:
    attempted: int = 0
    delivered: int = 0


def backoff(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed attempt."""
    return BACKOFF[min(attempts, len(BACKOFF)) - 1]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect could point anywhere, past the URL check: treat 3xx as the answer."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


# No proxies from the environment: the URL check is about where the request goes.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())


def _due(now: datetime):
    return WebhookMessage.objects.filter(
        delivered_at__isnull=True, failed_at__isnull=True, next_attempt_at__lte=now
    )


def _claim(queryset, now: datetime, limit: int) -> list[int]:
    with transaction.atomic():
        queryset = queryset.order_by("next_attempt_at", "id")
        if connection.features.has_select_for_update_skip_locked:
            queryset = queryset.select_for_update(skip_locked=True)
        ids = list(queryset.values_list("pk", flat=True)[:limit])
        if ids:
            WebhookMessage.objects.filter(pk__in=ids).update(next_attempt_at=now + LEASE)
    return ids


def _post(url: str, headers: dict[str, str], body: bytes) -> tuple[int | None, str, str]:
    """POST once; return (status, response excerpt, error)."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 - URL checked
    try:
        with _opener.open(request, timeout=TIMEOUT_SECONDS) as response:
            return response.status, _excerpt(response), ""
    except urllib.error.HTTPError as exc:  # 3xx, 4xx, 5xx
        return exc.code, _excerpt(exc), ""
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return None, "", f"{type(exc).__name__}: {reason}"


def _excerpt(response) -> str:
    try:
        return response.read(EXCERPT_CHARS * 4).decode("utf-8", "replace")[:EXCERPT_CHARS]
    except OSError:
        return ""


def _attempt(message: WebhookMessage, now: datetime) -> bool:
    """Try one message once and record it; True when the receiver took it."""
    endpoint = message.endpoint
    if not endpoint.is_active:
        WebhookMessage.objects.filter(pk=message.pk).update(failed_at=now)
        return False
    body = json.dumps(message.payload, ensure_ascii=False, separators=(",", ":")).encode()
    # The signed timestamp is the wall clock (receivers reject stale ones), whatever `now` is.
    timestamp = int(time.time())
    started = time.monotonic()
    try:
        check_webhook_url(endpoint.url)
    except DomainValidationError as exc:
        status, excerpt, error = None, "", f"refused: {exc.errors.get('url')}"
    else:
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Weiquan-Webhooks/1",
            "webhook-id": message.msg_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(
                secret=endpoint.secret, msg_id=message.msg_id, timestamp=timestamp, body=body
            ),
        }
        status, excerpt, error = _post(endpoint.url, headers, body)
    latency_ms = int((time.monotonic() - started) * 1000)
    delivered = status is not None and 200 <= status < 300
    attempts = message.attempts + 1
    changes: dict = {"attempts": attempts, "last_status": status}
    if delivered:
        changes["delivered_at"] = now
    elif now - message.created_at >= GIVE_UP_AFTER:
        changes["failed_at"] = now
        logger.warning(
            "webhook %s to %s given up after %d attempts", message.msg_id, endpoint.url, attempts
        )
    else:
        changes["next_attempt_at"] = now + backoff(attempts)
    with transaction.atomic():
        WebhookAttempt.objects.create(
            message=message,
            attempted_at=now,
            status_code=status,
            latency_ms=latency_ms,
            response_excerpt=excerpt,
            error=error,
        )
        WebhookMessage.objects.filter(pk=message.pk).update(**changes)
    return delivered


def _deliver(ids: list[int], now: datetime) -> Outcome:
    delivered = 0
    for message in WebhookMessage.objects.filter(pk__in=ids).select_related("endpoint"):
        delivered += _attempt(message, now)
    return Outcome(attempted=len(ids), delivered=delivered)


BATCH = 100


def deliver_due(now: datetime | None = None, limit: int = BATCH) -> Outcome:
    """Try every message due by `now` (at most `limit`) once."""
    now = now or timezone.now()
    return _deliver(_claim(_due(now), now, limit), now)


def deliver_message(message_id: int, now: datetime | None = None) -> Outcome:
    """Try one message once if it is due (not delivered, not given up, not leased)."""
    now = now or timezone.now()
    return _deliver(_claim(_due(now).filter(pk=message_id), now, 1), now)
