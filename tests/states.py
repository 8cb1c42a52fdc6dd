"""Reach any complaint state through the real services (the status field is protected)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from complaints.actors import Actor
from complaints.models import Complaint, User
from complaints.services import complaint_file, complaint_transition
from tests.helpers import FILING

PATHS: dict[str, list[tuple[str, str, dict]]] = {
    "submitted": [],
    "rejected": [
        ("reject", "staff", {"reason_code": "out_of_remit", "reason": "不属于本部门管辖"})
    ],
    "awaiting_response": [("accept", "staff", {})],
    "responded": [
        ("accept", "staff", {}),
        (
            "respond",
            "platform",
            {"resolution": "refund", "amount": "500.00", "message": "同意退款500元"},
        ),
    ],
    "settled": [
        ("accept", "staff", {}),
        (
            "respond",
            "platform",
            {"resolution": "refund", "amount": "500.00", "message": "同意退款500元"},
        ),
        ("accept_proposal", "consumer", {}),
    ],
    "mediating": [
        ("accept", "staff", {}),
        ("respond", "platform", {"resolution": "decline", "message": "商品无质量问题"}),
        ("decline_proposal", "consumer", {}),
    ],
    "withdrawn": [("withdraw", "consumer", {})],
}
PATHS["compensating"] = PATHS["mediating"] + [
    ("start_compensation", "mediator", {"amount": "300.00"})
]
PATHS["closed"] = PATHS["settled"] + [("confirm_fulfilment", "consumer", {})]


def actor_for(role: str, complaint: Complaint, staff: User | None = None) -> Actor:
    if role == "staff":
        return Actor.of_user(
            staff
            or User.objects.get_or_create(username="staff-auto", defaults={"role": "staff"})[0]
        )
    if role == "platform":
        return Actor.of_platform(complaint.platform)
    if role == "consumer":
        return Actor.of_user(complaint.consumer)
    if role == "mediator":
        complaint.refresh_from_db()
        return Actor.of_user(complaint.mediator)
    return Actor.system()


def complaint_in(
    state: str, *, consumer: User, platform_code: str, at: datetime | None = None, **overrides
) -> Complaint:
    """File a complaint and walk it to `state` through the services, one hour per step."""
    from django.utils import timezone

    # Without `at`, start far enough back that the last step is not in the future.
    when = at or timezone.now() - timedelta(hours=len(PATHS[state]) + 1)
    data = {**FILING, "order_date": timezone.localdate(when) - timedelta(days=5), **overrides}
    complaint = complaint_file(consumer=consumer, platform=platform_code, at=when, **data)
    for name, role, params in PATHS[state]:
        when = when + timedelta(hours=1)
        complaint = complaint_transition(
            complaint_id=complaint.pk,
            name=name,
            actor=actor_for(role, complaint),
            at=when,
            params=params,
        )
    complaint.refresh_from_db()
    return complaint


def agreement_confirmed(
    complaint: Complaint,
    *,
    terms: str,
    amount: str,
    fulfilment_days: int = 7,
    facts: str = "消费者购买的商品存在质量问题，双方就退款金额发生争议。",
) -> None:
    """The mediator drafts the agreement and both parties confirm it online, so that
    `sign_agreement` with the same terms may be fired."""
    from mediation.agreements import agreement_confirm, agreement_draft

    complaint.refresh_from_db()
    agreement = agreement_draft(
        complaint_id=complaint.pk,
        actor=Actor.of_user(complaint.mediator),
        facts=facts,
        terms=terms,
        amount=amount,
        fulfilment_days=fulfilment_days,
    )
    for party in (Actor.of_user(complaint.consumer), Actor.of_platform(complaint.platform)):
        agreement_confirm(
            complaint_id=complaint.pk,
            actor=party,
            version=agreement.version,
            ip="203.0.113.7",
            user_agent="Mozilla/5.0 (test)",
        )


def deposit(platform, amount: str = "100000.00") -> None:
    """Give a platform a guarantee deposit, as `manage.py deposit` does."""
    from mediation.models import GuaranteeDepositEntry
    from mediation.services import guarantee_deposit_record

    guarantee_deposit_record(
        platform=platform, amount=amount, kind=GuaranteeDepositEntry.Kind.DEPOSIT
    )


__all__ = ["Decimal", "PATHS", "actor_for", "agreement_confirmed", "complaint_in", "deposit"]
