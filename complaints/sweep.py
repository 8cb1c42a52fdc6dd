"""The deadline sweep: apply what each passed deadline means, idempotently and in batches.

Every rule selects complaints by state and due time (indexed), locks a batch with
`SKIP LOCKED` so that several sweeps share the work instead of repeating it, and
applies the rule to each complaint in memory through the ordinary transition code
(`transition_prepare`, `action_prepare`): a second run finds nothing left to do, and
a complaint the rule refuses is left out of the batch without stopping the rest.

The batch is then written set-based (docs/performance.md): its complaints are locked
and loaded with what the transitions need in one query, mediators are assigned from
one reading of their loads (`MediatorPool`), and `complaints_record_many` writes the
complaints, their events, evidence records, statistics, webhooks and notifications in
a fixed number of statements per batch, in the batch's transaction.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from complaints.actors import Actor
from complaints.choices import FailReason, Status
from complaints.deadlines import compute_due, setting
from complaints.exceptions import WeiquanError
from complaints.models import Complaint
from complaints.selectors import MediatorPool
from complaints.services import (
    PreparedChange,
    action_prepare,
    bring_to_mediator,
    complaints_record_many,
    transition_prepare,
)

logger = logging.getLogger(__name__)
SYSTEM = Actor.system("deadline-sweep")


@dataclass(frozen=True)
class SweepRule:
    name: str
    query: Callable[[datetime], Q]
    order_by: str
    # (the locked complaint, the sweep's time, the batch's mediator pool): the change
    # made in memory, or a WeiquanError
    prepare: Callable[[Complaint, datetime, MediatorPool], PreparedChange]


def _recorded(name: str, status: str, apply: Callable[[Complaint, datetime, MediatorPool], dict]):
    """A sweep step that records an event on a complaint without changing its state."""

    def run(complaint: Complaint, now: datetime, pool: MediatorPool) -> PreparedChange:
        return action_prepare(
            complaint,
            name=name,
            actor=SYSTEM,
            allowed_status=(status,),
            permitted=lambda c: True,
            apply=lambda c: apply(c, now, pool),
        )

    return run


def _flag_acceptance_overdue(c: Complaint, now: datetime, pool: MediatorPool) -> dict:
    c.acceptance_overdue = True
    return {"acceptance_due": c.acceptance_due.isoformat()}


def _remind_proposal(c: Complaint, now: datetime, pool: MediatorPool) -> dict:
    c.proposal_reminded_at = now
    # The consumer always gets the reminder window, even if the sweep ran late.
    floor = compute_due("proposal_decision", now, setting("PROPOSAL_REMINDER_DAYS_BEFORE"))
    if c.proposal_due < floor:
        c.proposal_due = floor
    return {"proposal_due": c.proposal_due.isoformat()}


def _flag_fulfilment_missed(c: Complaint, now: datetime, pool: MediatorPool) -> dict:
    c.fulfilment_missed = True
    return {"fulfilment_due": c.fulfilment_due.isoformat(), **bring_to_mediator(c, pool)}


def _remind_mediation(c: Complaint, now: datetime, pool: MediatorPool) -> dict:
    c.mediation_reminded_at = now
    return {"mediation_due": c.mediation_due.isoformat()}


def _fire(name: str, **params) -> Callable[[Complaint, datetime, MediatorPool], PreparedChange]:
    def run(complaint: Complaint, now: datetime, pool: MediatorPool) -> PreparedChange:
        return transition_prepare(
            complaint, name=name, actor=SYSTEM, at=now, params=params, choose_mediator=pool
        )

    return run


RULES: tuple[SweepRule, ...] = (
    SweepRule(
        "acceptance_overdue",
        lambda now: Q(status=Status.SUBMITTED, acceptance_due__lt=now, acceptance_overdue=False),
        "acceptance_due",
        _recorded("acceptance_overdue", Status.SUBMITTED, _flag_acceptance_overdue),
    ),
    SweepRule(
        "escalate",
        lambda now: Q(status=Status.AWAITING_RESPONSE, response_due__lt=now),
        "response_due",
        _fire("escalate"),
    ),
    SweepRule(
        "proposal_reminder",
        lambda now: Q(
            status=Status.RESPONDED,
            proposal_reminded_at__isnull=True,
            proposal_due__lt=now + timedelta(days=setting("PROPOSAL_REMINDER_DAYS_BEFORE")),
        ),
        "proposal_due",
        _recorded("proposal_reminder", Status.RESPONDED, _remind_proposal),
    ),
    SweepRule(
        "close_no_reply",
        lambda now: Q(
            status=Status.RESPONDED, proposal_reminded_at__isnull=False, proposal_due__lt=now
        ),
        "proposal_due",
        _fire("close_no_reply"),
    ),
    SweepRule(
        "mediation_reminder",
        lambda now: Q(
            status=Status.MEDIATING,
            mediation_paused_at__isnull=True,
            mediation_reminded_at__isnull=True,
            mediation_due__lt=now + timedelta(days=setting("MEDIATION_REMINDER_DAYS_BEFORE")),
            mediation_due__gte=now,
        ),
        "mediation_due",
        _recorded("mediation_reminder", Status.MEDIATING, _remind_mediation),
    ),
    SweepRule(
        "fail_mediation",
        lambda now: Q(
            status=Status.MEDIATING, mediation_paused_at__isnull=True, mediation_due__lt=now
        ),
        "mediation_due",
        _fire(
            "fail_mediation", reason_code=FailReason.TIME_LIMIT, reason="调解期限届满，调解终止。"
        ),
    ),
    SweepRule(
        "confirm_fulfilment",
        lambda now: Q(status=Status.SETTLED, objection_due__lt=now),
        "objection_due",
        _fire("confirm_fulfilment"),
    ),
    SweepRule(
        "fulfilment_missed",
        lambda now: Q(
            status=Status.SETTLED,
            fulfilment_due__lt=now,
            fulfilment_missed=False,
            fulfilment_reported_at__isnull=True,
        ),
        "fulfilment_due",
        _recorded("fulfilment_missed", Status.SETTLED, _flag_fulfilment_missed),
    ),
)


def rule_apply(rule: SweepRule, complaint: Complaint, now: datetime) -> None:
    """What the sweep does to one complaint the caller holds locked (the demo data
    replays the sweep on its cases this way)."""
    change = rule.prepare(complaint, now, MediatorPool())
    complaints_record_many([change], name=rule.name, actor=SYSTEM, at=now)


def _lock_batch(rule: SweepRule, now: datetime, size: int, failed: set[int]) -> list[Complaint]:
    """Lock and load the next batch: what the transitions need, in one query."""
    qs = (
        Complaint.objects.filter(rule.query(now))
        .exclude(pk__in=failed)
        # the consumer: the statistics mask their name in the merchant's label
        .select_related("platform", "merchant", "consumer")
        .order_by(rule.order_by)
    )
    if connection.features.has_select_for_update_skip_locked:
        qs = qs.select_for_update(skip_locked=True, of=("self",))
    else:
        qs = qs.select_for_update(of=("self",))
    return list(qs[:size])


def sweep_deadlines(*, now: datetime | None = None, batch_size: int | None = None) -> Counter:
    """Apply every deadline passed by `now`; return how many complaints each rule changed."""
    now = now or timezone.now()
    size = batch_size or setting("SWEEP_BATCH_SIZE")
    done: Counter = Counter()
    for rule in RULES:
        failed: set[int] = set()
        while True:
            with transaction.atomic():
                batch = _lock_batch(rule, now, size, failed)
                pool = MediatorPool()
                changes = []
                for complaint in batch:
                    try:
                        changes.append(rule.prepare(complaint, now, pool))
                    except WeiquanError as exc:
                        failed.add(complaint.pk)  # its instance is dropped, never saved
                        done["failed"] += 1
                        logger.warning(
                            "sweep %s skipped complaint %s: %s", rule.name, complaint.pk, exc
                        )
                if changes:
                    complaints_record_many(changes, name=rule.name, actor=SYSTEM, at=now)
                    done[rule.name] += len(changes)
            if len(batch) < size:
                break
    return done
