"""Celery tasks of the core: they take ids, are idempotent and call services."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail

logger = logging.getLogger(__name__)

# Events that ask something of a person, and who is told.
NOTIFY = {
    "filed": ("consumer",),
    "accept": ("consumer", "platform"),
    "reject": ("consumer",),
    "respond": ("consumer",),
    "proposal_reminder": ("consumer",),
    "accept_proposal": ("platform",),
    "decline_proposal": ("platform", "mediator"),
    "escalate": ("consumer", "platform", "mediator"),
    "sign_agreement": ("consumer", "platform"),
    "fulfilment_reported": ("consumer",),
    "fulfilment_objected": ("platform", "mediator"),
    "fulfilment_missed": ("consumer", "platform", "mediator"),
    "start_compensation": ("consumer", "platform"),
    "pay_compensation": ("consumer",),
    # fail_mediation and refer: mediation sends the notice PDF itself (mediation.tasks).
    "mediation_reminder": ("consumer", "platform", "mediator"),
    "mediator_recused": ("mediator",),
    "session_scheduled": ("consumer", "platform"),
    "mediation_proposed": ("consumer", "platform"),
    "agreement_drafted": ("consumer", "platform"),
    "agreement_confirmed": ("mediator",),
    "compensation_blocked": ("platform", "mediator"),
    "compensation_unblocked": ("platform",),
    "recovery_recovered": ("platform",),
    "close_no_reply": ("consumer", "platform"),
    "withdraw": ("platform",),
    "mediator_reassigned": ("mediator",),
}


@shared_task
def notify_event(event_id: int) -> int:
    """Email the parties an event concerns; returns how many messages were sent."""
    from complaints.models import ComplaintEvent

    event = (
        ComplaintEvent.objects.select_related(
            "complaint", "complaint__consumer", "complaint__platform", "complaint__mediator"
        )
        .filter(pk=event_id)
        .first()
    )
    if event is None:
        return 0
    complaint = event.complaint
    addresses = {
        "consumer": complaint.consumer.email,
        "platform": complaint.platform.notice_email,
        "mediator": complaint.mediator.email if complaint.mediator else "",
    }
    recipients = sorted({addresses[p] for p in NOTIFY.get(event.name, ()) if addresses[p]})
    if not recipients:
        return 0
    subject = f"[维权] 投诉 {complaint.reference}：{complaint.get_status_display()}"
    body = (
        f"投诉编号：{complaint.reference}\n当前状态：{complaint.get_status_display()}\n"
        f"事件：{event.name}\n"
    )
    return send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients, fail_silently=True)


@shared_task
def sweep_deadlines() -> dict:
    """Beat runs this; the management command calls the same function."""
    from complaints.sweep import sweep_deadlines as run

    return dict(run())
