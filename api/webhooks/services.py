"""Webhook services: register and disable endpoints, re-deliver a message."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from api.models import WebhookEndpoint, WebhookMessage
from api.webhooks.events import WEBHOOK_EVENT_TYPES
from api.webhooks.signing import new_secret
from api.webhooks.url_guard import check_webhook_url
from complaints.actors import Actor
from complaints.exceptions import DomainValidationError, NotFound, TransitionForbidden
from complaints.models import Platform
from complaints.queueing import enqueue_after_commit


def webhook_endpoint_create(
    *, platform: Platform, url: str, events: list[str] | None = None
) -> WebhookEndpoint:
    """Register an endpoint; the caller shows its `secret` once."""
    events = list(dict.fromkeys(events or []))
    unknown = [e for e in events if e not in WEBHOOK_EVENT_TYPES]
    if unknown:
        raise DomainValidationError(
            {
                "events": f"Unknown event types: {', '.join(unknown)}."
                f" Known: {', '.join(WEBHOOK_EVENT_TYPES)}."
            }
        )
    check_webhook_url(url)  # resolves the host: not inside a transaction
    return WebhookEndpoint.objects.create(
        platform=platform, url=url, events=events, secret=new_secret()
    )


@transaction.atomic
def webhook_endpoint_disable(
    *, endpoint_id: int, platform: Platform, at: datetime | None = None
) -> WebhookEndpoint:
    """Stop sending to an endpoint; the row and its message history stay."""
    try:
        endpoint = WebhookEndpoint.objects.select_for_update().get(
            pk=endpoint_id, platform=platform
        )
    except WebhookEndpoint.DoesNotExist:
        raise NotFound("No such webhook endpoint.") from None
    if endpoint.is_active:
        endpoint.is_active = False
        endpoint.disabled_at = at or timezone.now()
        endpoint.save(update_fields=["is_active", "disabled_at"])
    return endpoint


@transaction.atomic
def webhook_redeliver(*, message_id: int, actor: Actor) -> WebhookMessage:
    """Staff: send a message again now, delivered or given up; past attempts stay recorded.

    A re-delivered message that fails again is given up after that one attempt (its
    24 hours are spent); staff can re-deliver again.
    """
    if not actor.is_staff_member:
        raise TransitionForbidden(action="webhook_redeliver", role=actor.role)
    try:
        message = WebhookMessage.objects.select_for_update().get(pk=message_id)
    except WebhookMessage.DoesNotExist:
        raise NotFound("No such webhook message.") from None
    message.delivered_at = None
    message.failed_at = None
    message.next_attempt_at = timezone.now()
    message.save(update_fields=["delivered_at", "failed_at", "next_attempt_at"])
    from api import tasks

    enqueue_after_commit(tasks.deliver_message, message_id=message.pk)
    return message
