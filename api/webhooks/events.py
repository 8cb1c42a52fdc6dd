"""Which complaint events a platform hears about, and what the webhook says."""

from __future__ import annotations

from complaints.choices import Status
from complaints.models import Complaint, ComplaintEvent

# One webhook type per event name; events not listed (reminders, reassignments,
# filing before acceptance) are internal and send nothing.
EVENT_TYPE_BY_NAME: dict[str, str] = {
    "accept": "complaint.forwarded",
    "escalate": "complaint.escalated",
    "decline_proposal": "complaint.proposal_declined",
    "accept_proposal": "complaint.proposal_accepted",
    "sign_agreement": "complaint.settled",
    "withdraw": "complaint.withdrawn",
    "fulfilment_objected": "complaint.fulfilment_objected",
    "start_compensation": "complaint.compensation_started",
    "fulfilment_missed": "complaint.fulfilment_missed",
    "message_posted": "message.created",
    # Mediation asks something of the platform: confirm a draft, answer a proposal,
    # attend a session, top up the deposit (or pay now that it was topped up).
    "agreement_drafted": "mediation.agreement_drafted",
    "mediation_proposed": "mediation.proposed",
    "session_scheduled": "mediation.session_scheduled",
    "compensation_blocked": "compensation.blocked",
    "compensation_unblocked": "compensation.unblocked",
}
# Any other change that ends in `closed` (confirm_fulfilment, pay_compensation,
# fail_mediation, refer, close_no_reply).
CLOSED = "complaint.closed"

# Every type an endpoint may subscribe to; the API schema lists these.
WEBHOOK_EVENT_TYPES: tuple[str, ...] = tuple(sorted({*EVENT_TYPE_BY_NAME.values(), CLOSED}))


def event_type_for(event: ComplaintEvent) -> str | None:
    """The webhook type an event is sent as, or None when platforms are not told."""
    if event.name in EVENT_TYPE_BY_NAME:
        return EVENT_TYPE_BY_NAME[event.name]
    if event.to_status == Status.CLOSED and event.from_status != Status.CLOSED:
        return CLOSED
    return None


def payload_for(event_type: str, complaint: Complaint, event: ComplaintEvent) -> dict:
    """The webhook body: the case and the event, never the consumer's contact details."""
    return {
        "type": event_type,
        "timestamp": event.created_at.isoformat(),
        "data": {
            "reference": complaint.reference,
            "status": complaint.status,
            "outcome": complaint.outcome,
            "from_status": event.from_status,
            "event": event.name,
            "event_id": event.pk,
            "platform": complaint.platform.code,
            # For message.created: which side wrote it (a platform may skip its own).
            **{k: event.payload[k] for k in ("message_id", "author_role") if k in event.payload},
        },
    }
