"""Reads of the staff pages and the workbench: the queues, the overdue lists, a case file.

Each list costs a fixed number of queries whatever its length (tests pin them).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Case, Count, DateTimeField, F, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce, Least
from django.utils import timezone

from complaints.actors import Actor
from complaints.choices import Role, Status
from complaints.exceptions import TransitionForbidden
from complaints.models import Complaint
from complaints.selectors import DEADLINE_FIELDS, complaints_visible_to, deadline_binding_q
from complaints.services import thread_read
from evidence.models import Store
from evidence.selectors import evidence_of
from mediation.models import Agreement, MediationSession
from mediation.selectors import FAR_FUTURE, compensation_of, mediator_caseload
from mediation.services import CASE_STATUSES, case_notes

FAR = Value(FAR_FUTURE, output_field=DateTimeField())
# The deadline kinds of the overdue list, in the order of the lifecycle.
OVERDUE_KINDS: tuple[str, ...] = tuple(f.removesuffix("_due") for f in DEADLINE_FIELDS)


def acceptance_queue(actor: Actor) -> QuerySet[Complaint]:
    """Complaints waiting for the acceptance decision, the nearest deadline first."""
    if not actor.is_staff_member:
        raise TransitionForbidden(action="list_acceptance_queue", role=actor.role)
    return (
        complaints_visible_to(actor)
        .filter(status=Status.SUBMITTED)
        # Filing sets acceptance_due, so no NULLs: plain order, served by the sweep's index.
        .order_by("acceptance_due", "pk")
    )


def workbench_cases(actor: Actor) -> QuerySet[Complaint]:
    """A mediator's own cases; for staff every case with a mediator's work open. The most
    urgent first (the earliest of their deadlines)."""
    if actor.role == Role.MEDIATOR:
        return mediator_caseload(actor)
    if not actor.is_staff_member:
        raise TransitionForbidden(action="list_cases", role=actor.role)
    due = [
        Coalesce(field, FAR)
        for field in ("mediation_due", "fulfilment_due", "objection_due", "notice_due")
    ]
    return (
        complaints_visible_to(actor)
        .filter(status__in=CASE_STATUSES)
        .annotate(next_due=Least(*due))
        .order_by("next_due", "pk")
    )


def _overdue_q(field: str, now: datetime) -> Q:
    """The deadline `field` binds and has passed."""
    return deadline_binding_q(field) & Q(**{f"{field}__lt": now})


def _overdue_at(field: str, now: datetime):
    """The deadline `field` where it is overdue, else far in the future (for ordering)."""
    return Case(
        When(_overdue_q(field, now), then=F(field)), default=FAR, output_field=DateTimeField()
    )


def _any_overdue_q(fields, now: datetime) -> Q:
    # One condition per deadline, each served by its (status, <deadline>) index.
    where = Q()
    for field in fields:
        where |= _overdue_q(field, now)
    return where


def overdue_complaints(
    actor: Actor, *, kind: str | None = None, now: datetime | None = None
) -> QuerySet[Complaint]:
    """Complaints past a binding deadline (of `kind`, or any), the longest overdue first."""
    if not actor.is_staff_member:
        raise TransitionForbidden(action="list_overdue", role=actor.role)
    now = now or timezone.now()
    fields = [f"{kind}_due"] if kind else list(DEADLINE_FIELDS)
    overdue_since = (
        _overdue_at(fields[0], now)
        if len(fields) == 1
        else Least(*(_overdue_at(f, now) for f in fields))
    )
    return (
        complaints_visible_to(actor)
        .filter(_any_overdue_q(fields, now))
        .annotate(overdue_since=overdue_since)
        .order_by("overdue_since", "pk")
    )


def overdue_counts(actor: Actor, *, now: datetime | None = None) -> dict[str, int]:
    """How many complaints are past each kind of deadline (one query)."""
    if not actor.is_staff_member:
        raise TransitionForbidden(action="list_overdue", role=actor.role)
    now = now or timezone.now()
    # Filtered first, so that only overdue rows are counted, not the whole table.
    counts = (
        complaints_visible_to(actor)
        .filter(_any_overdue_q(DEADLINE_FIELDS, now))
        .aggregate(
            **{kind: Count("pk", filter=_overdue_q(f"{kind}_due", now)) for kind in OVERDUE_KINDS}
        )
    )
    return {kind: counts[kind] or 0 for kind in OVERDUE_KINDS}


@dataclass
class CaseFile:
    """Everything the case page shows of one complaint."""

    complaint: Complaint
    events: list
    messages: list
    evidence: list
    proposals: list
    notes: list
    sessions: list
    agreement: Agreement | None
    confirmed_parties: set[str]
    compensation: object


def agreement_and_confirmed_parties(complaint: Complaint) -> tuple[Agreement | None, set[str]]:
    """The case's agreement (if drafted) and the parties who confirmed its current version."""
    agreement = (
        Agreement.objects.filter(complaint=complaint).prefetch_related("confirmations").first()
    )
    if agreement is None:
        return None, set()
    return agreement, {
        c.party for c in agreement.confirmations.all() if c.version == agreement.version
    }


def case_file(complaint: Complaint, actor: Actor) -> CaseFile:
    """The whole file of a case for its mediator or staff (notes are theirs alone)."""
    messages, _unread = thread_read(complaint=complaint, actor=actor)
    agreement, confirmed = agreement_and_confirmed_parties(complaint)
    return CaseFile(
        complaint=complaint,
        events=list(complaint.events.order_by("created_at", "id")),
        messages=messages,
        evidence=list(evidence_of(complaint).filter(store=Store.FILE)),
        proposals=list(complaint.mediation_proposals.order_by("created_at", "id")),
        notes=case_notes(complaint=complaint, actor=actor),
        sessions=list(
            MediationSession.objects.filter(complaint=complaint).order_by("scheduled_at", "id")
        ),
        agreement=agreement,
        confirmed_parties=confirmed,
        compensation=compensation_of(complaint),
    )
