"""Writing the outbox: one message per subscribed endpoint, inside the transition's transaction.

Connected to `complaints.signals.complaint_transitioned` in `ApiConfig.ready()`. The
rows commit or roll back with the change; delivery is queued only after commit, so a
rolled-back transition sends nothing.
"""

from __future__ import annotations

import uuid
from collections import defaultdict

from api.models import WebhookEndpoint, WebhookMessage
from api.webhooks.events import event_type_for, payload_for
from complaints.batching import defer
from complaints.models import Complaint, ComplaintEvent
from complaints.queueing import enqueue_after_commit


def new_msg_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


def write_outbox(sender, *, complaint, event, **kwargs) -> None:
    """Signal receiver: queue the event for each active endpoint of the platform that
    wants it (a batch's events at once: complaints.batching)."""
    defer(outbox_write, (complaint, event))


def outbox_write(items: list[tuple[Complaint, ComplaintEvent]]) -> list[WebhookMessage]:
    """The messages of some events: one query for the endpoints, one INSERT."""
    typed = [(c, e, t) for c, e in items if (t := event_type_for(e)) is not None]
    if not typed:
        return []
    endpoints: dict[int, list[WebhookEndpoint]] = defaultdict(list)
    for endpoint in WebhookEndpoint.objects.filter(
        platform_id__in={c.platform_id for c, _, _ in typed}, is_active=True
    ).order_by("pk"):
        endpoints[endpoint.platform_id].append(endpoint)
    messages = WebhookMessage.objects.bulk_create(
        WebhookMessage(
            endpoint=endpoint,
            event_type=event_type,
            msg_id=new_msg_id(),
            payload=payload_for(event_type, complaint, event),
            # created_at and next_attempt_at default to now, not the event's time: a
            # back-dated event (the sweep) must not start with its 24 hours half spent.
        )
        for complaint, event, event_type in typed
        for endpoint in endpoints[complaint.platform_id]
        if endpoint.wants(event_type)
    )
    from api import tasks

    for message in messages:
        # A broker hiccup is logged; the beat sweep picks the message up anyway.
        enqueue_after_commit(tasks.deliver_message, message_id=message.pk)
    return messages
