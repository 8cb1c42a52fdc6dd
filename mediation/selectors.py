"""Reads of mediation, scoped to the caller: cases, case files, the deposit ledger, recoveries."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.db.models import Count, DateTimeField, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, Least

from complaints.actors import Actor
from complaints.choices import Role, Status
from complaints.exceptions import DomainValidationError, NotFound, TransitionForbidden
from complaints.models import Complaint, Platform
from complaints.selectors import complaints_visible_to
from mediation.models import AdvanceCompensation, GuaranteeDepositEntry, Recovery

FAR_FUTURE = datetime.fromisoformat("9999-01-01T00:00:00+00:00")


def case_for(actor: Actor, reference: str, *, party_data: bool = True) -> Complaint:
    """The complaint `actor` may see (404 outside its scope, like a missing one).

    `party_data`: the answer holds the parties' own words or identities, which a
    regulator in scope does not get (403).
    """
    complaint = complaints_visible_to(actor).filter(reference=reference).first()
    if complaint is None:
        raise NotFound("No such complaint.")
    if party_data and actor.role == Role.REGULATOR:
        raise TransitionForbidden(action="read_case_file", role=actor.role)
    return complaint


def mediator_caseload(actor: Actor) -> QuerySet[Complaint]:
    """The mediator's open cases, the most urgent first (its next deadline)."""
    if actor.role != Role.MEDIATOR or actor.user is None:
        raise TransitionForbidden(action="list_cases", role=actor.role)
    far = Value(FAR_FUTURE, output_field=DateTimeField())
    due = [
        Coalesce(field, far)
        for field in ("mediation_due", "fulfilment_due", "objection_due", "notice_due")
    ]
    return (
        complaints_visible_to(actor)
        .filter(status__in=(Status.MEDIATING, Status.SETTLED, Status.COMPENSATING))
        .annotate(next_due=Least(*due))
        .order_by("next_due", "pk")
    )


def deposit_platform_for(actor: Actor, code: str | None) -> Platform:
    """Whose ledger: a platform its own; staff name one (`platform`); nobody else."""
    if actor.role == Role.PLATFORM and actor.platform is not None:
        if code and code != actor.platform.code:
            raise TransitionForbidden(action="read_deposit", role=actor.role)
        return actor.platform
    if not actor.is_staff_member:
        raise TransitionForbidden(action="read_deposit", role=actor.role)
    if not code:
        raise DomainValidationError({"platform": "Staff name the platform (its code)."})
    platform = Platform.objects.filter(code=code).first()
    if platform is None:
        raise NotFound("No such platform.")
    return platform


def deposit_summary(platform: Platform) -> dict:
    """The balance (the sum of the entries), totals per kind, and what waits on it."""
    totals = dict(
        GuaranteeDepositEntry.objects.filter(platform=platform)
        .values_list("kind")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    zero = Decimal("0.00")
    blocked = AdvanceCompensation.objects.filter(
        platform=platform, paid_at__isnull=True, complaint__status=Status.COMPENSATING
    ).exclude(blocked_reason="")
    waiting = blocked.aggregate(n=Count("pk"), total=Sum("amount"))
    return {
        "platform": platform.code,
        "balance": sum(totals.values(), zero).quantize(zero),
        "totals": {kind: totals.get(kind, zero) for kind in GuaranteeDepositEntry.Kind.values},
        "advance_compensation_committed": platform.advance_compensation_committed,
        "advance_compensation_cap": platform.advance_compensation_cap,
        "blocked_compensations": waiting["n"],
        "blocked_amount": waiting["total"] or zero,
    }


def recoveries_visible_to(actor: Actor) -> QuerySet[Recovery]:
    if actor.role == Role.PLATFORM and actor.platform is not None:
        qs = Recovery.objects.filter(platform=actor.platform)
    elif actor.is_staff_member:
        qs = Recovery.objects.all()
    else:
        raise TransitionForbidden(action="list_recoveries", role=actor.role)
    return qs.select_related("complaint", "platform")


def recovery_totals(qs: QuerySet[Recovery]) -> dict:
    """Counts and amounts per state of the recoveries in `qs` (its filters applied)."""
    zero = Decimal("0.00")
    rows = (
        qs.order_by()
        .values("state")
        .annotate(n=Count("pk"), amount=Sum("amount"), recovered=Sum("recovered_amount"))
    )
    totals = {
        state: {"count": 0, "amount": zero, "recovered": zero} for state in Recovery.State.values
    }
    for row in rows:
        totals[row["state"]] = {
            "count": row["n"],
            "amount": row["amount"] or zero,
            "recovered": row["recovered"] or zero,
        }
    return totals


def compensation_of(complaint: Complaint) -> AdvanceCompensation | None:
    return AdvanceCompensation.objects.filter(complaint=complaint).select_related("payout").first()
