"""Celery tasks of the core: they take ids, are idempotent and call services."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings
from django.utils import translation

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
def notify_events(event_ids: list[int]) -> int:
    """`notify_event` for each event of a batch (the sweep's): one message on the broker
    instead of a thousand; returns how many e-mails were sent."""
    return sum(notify_event(event_id) for event_id in event_ids)


@shared_task
def notify_event(event_id: int) -> int:
    """Email the parties an event concerns, each in their language; returns how many
    messages were sent. Templates: web/email/event*.{txt,html} (complaints/templates)."""
    from complaints.emails import send_templated_mail, user_language
    from complaints.models import ComplaintEvent

    event = (
        ComplaintEvent.objects.select_related(
            "complaint",
            "complaint__consumer",
            "complaint__platform",
            "complaint__mediator",
        )
        .filter(pk=event_id)
        .first()
    )
    if event is None:
        return 0
    complaint = event.complaint
    # Who is told, with the address and the language they read. A platform has no
    # personal language: its notices go out in the site's (Chinese).
    parties = {
        "consumer": (complaint.consumer.email, user_language(complaint.consumer)),
        "platform": (complaint.platform.notice_email, settings.LANGUAGE_CODE),
        "mediator": (
            (complaint.mediator.email, user_language(complaint.mediator))
            if complaint.mediator
            else ("", "")
        ),
    }
    sent = 0
    seen: set[str] = set()
    for party in NOTIFY.get(event.name, ()):
        address, language = parties[party]
        if not address or address in seen:
            continue
        seen.add(address)
        with translation.override(language):
            context = _event_context(event, party)
        sent += send_templated_mail(
            to=[address],
            name="event",
            context=context,
            language=language,
            fail_silently=True,
        )
    return sent


def _event_context(event, party: str) -> dict:
    """What the event email says to `party`: what happened, the next deadline, the link.
    Called inside the reader's language (translation.override)."""
    from complaints.web.timeline import deadline_sentence, event_entry

    entry = event_entry(event, party)
    sentence = deadline_sentence(event.complaint)
    return {
        "complaint": event.complaint,
        "party": party,
        "who": str(entry["who"]),
        "what": str(entry["what"]),
        "details": [str(d) for d in entry["details"]],
        "status": event.complaint.get_status_display(),
        "deadline": str(sentence["text"]) if sentence else "",
        "link": settings.SITE_URL + "/",
    }


@shared_task
def sweep_deadlines() -> dict:
    """Beat runs this; the management command calls the same function."""
    from complaints.sweep import sweep_deadlines as run

    return dict(run())


@shared_task
def purge_login_failures() -> int:
    """Beat (daily): failed logins older than six months go (complaints/security/lockout.py)."""
    from complaints.security.lockout import login_failures_purge

    return login_failures_purge()
