"""Writing the outbox: one message per subscribed endpoint, inside the transition's transaction.

Connected to `complaints.signals.complaint_transitioned` in `ApiConfig.ready()`. The
rows commit or roll back with the change; delivery is queued only after commit, so a
rolled-back transition sends nothing.
"""

from __future__ import annotations

import uuid

from api.models import WebhookEndpoint, WebhookMessage
from api.webhooks.events import event_type_for, payload_for
from complaints.queueing import enqueue_after_commit


def new_msg_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


def write_outbox(sender, *, complaint, event, **kwargs) -> list[WebhookMessage]:
    """Signal receiver: queue the event for each active endpoint of the platform that wants it."""
    event_type = event_type_for(event)
    if event_type is None:
        return []
    endpoints = WebhookEndpoint.objects.filter(platform_id=complaint.platform_id, is_active=True)
    messages = WebhookMessage.objects.bulk_create(
        WebhookMessage(
            endpoint=endpoint,
            event_type=event_type,
            msg_id=new_msg_id(),
            payload=payload_for(event_type, complaint, event),
            # created_at and next_attempt_at default to now, not the event's time: a
            # back-dated event (the sweep) must not start with its 24 hours half spent.
        )
        for endpoint in endpoints
        if endpoint.wants(event_type)
    )
    from api import tasks

    for message in messages:
        # A broker hiccup is logged; the beat sweep picks the message up anyway.
        enqueue_after_commit(tasks.deliver_message, message_id=message.pk)
    return messages
