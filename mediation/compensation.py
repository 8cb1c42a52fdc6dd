"""Advance compensation (先行赔付) and recovery (追偿): the payout rules and the ledger.

The rules hold for every caller because they run in the receiver of the core's
`complaint_transitioned` signal, inside the transition's transaction:

- `start_compensation` records what was approved and on which basis;
- `pay_compensation` pays from the guarantee deposit, never above the approved
  amount (the transition checks that), the commitment cap or the balance, under
  the platform's row lock; a cap that bites rolls the payment back with
  `CompensationBlocked`, and every payout opens a recovery against the merchant.

Whether a case is blocked, and the platform asked to top up, is worked out by
`compensation_recheck` after commit, in transactions of its own: after an approval,
a refused payout, and every movement that raises the balance.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from complaints.actors import Actor
from complaints.choices import Role, Status
from complaints.exceptions import DomainValidationError, NotFound, TransitionForbidden
from complaints.models import Complaint, ComplaintEvent, Platform
from complaints.money import parse_amount
from complaints.queueing import enqueue_after_commit
from complaints.services import complaint_record_action
from complaints.validators import clean_text
from mediation.exceptions import CompensationBlocked, RecoveryClosed
from mediation.models import AdvanceCompensation, GuaranteeDepositEntry, Recovery, deposit_balance
from mediation.services import guarantee_deposit_record, lock_platform

Kind = GuaranteeDepositEntry.Kind
Basis = AdvanceCompensation.Basis
Block = AdvanceCompensation.Block
SYSTEM = Actor.system("advance-compensation")


def compensation_basis(complaint: Complaint) -> str:
    """CRPL art. 44: a merchant the platform cannot identify makes the platform liable in
    law, whatever it committed to; otherwise the platform's own commitment is the basis."""
    if not complaint.merchant_identified:
        return Basis.UNIDENTIFIED_MERCHANT
    return Basis.COMMITMENT


def commitment_cap(compensation: AdvanceCompensation, platform: Platform) -> Decimal | None:
    """The per-complaint cap of the platform's commitment, where the commitment is the basis."""
    if compensation.basis != Basis.COMMITMENT:
        return None
    return platform.advance_compensation_cap


def payout_block(
    compensation: AdvanceCompensation, platform: Platform, amount: Decimal, balance: Decimal
) -> CompensationBlocked | None:
    """The cap that a payout of `amount` would break, if any (the commitment cap first)."""
    cap = commitment_cap(compensation, platform)
    if cap is not None and amount > cap:
        return CompensationBlocked(
            reason=Block.COMMITMENT_CAP,
            detail=f"赔付金额 {amount} 元超出平台承诺的每件先行赔付上限 {cap} 元。",
            amount=amount,
            limit=cap,
        )
    if amount > balance:
        return CompensationBlocked(
            reason=Block.DEPOSIT_BALANCE,
            detail=f"保证金余额 {balance} 元不足以支付 {amount} 元，请平台补足保证金。",
            amount=amount,
            limit=balance,
        )
    return None


# Inside the transition's transaction (mediation.receivers).


def compensation_on_start(complaint: Complaint, event: ComplaintEvent) -> None:
    """Record the approval; whether a cap bites is checked after commit."""
    AdvanceCompensation.objects.update_or_create(
        complaint=complaint,
        defaults={
            "platform": complaint.platform,
            "basis": compensation_basis(complaint),
            "amount": complaint.compensation_amount,
            "approved_by": event.actor_label,
            "approved_at": event.created_at,
            "blocked_reason": "",
            "blocked_detail": "",
            "blocked_at": None,
        },
    )
    _recheck_after_commit(complaint.platform_id)


def compensation_on_pay(complaint: Complaint, event: ComplaintEvent) -> None:
    """Pay from the deposit under the platform's lock, and open the recovery."""
    platform = lock_platform(complaint.platform_id)
    compensation = (
        AdvanceCompensation.objects.select_for_update().filter(complaint=complaint).first()
    )
    if compensation is None:  # approved before this table existed: derive it now
        compensation = AdvanceCompensation.objects.create(
            complaint=complaint,
            platform=platform,
            basis=compensation_basis(complaint),
            amount=complaint.compensation_amount,
            approved_by="",
            approved_at=event.created_at,
        )
    amount = complaint.compensated_amount
    block = payout_block(compensation, platform, amount, deposit_balance(platform))
    if block is not None:
        raise block
    entry = guarantee_deposit_record(
        platform=platform,
        kind=Kind.PAYOUT,
        amount=-amount,
        complaint=complaint,
        reference=complaint.compensation_ref,
        reason=f"先行赔付 {complaint.reference}",
        actor_user=event.actor,
        at=event.created_at,
    )
    compensation.payout = entry
    compensation.paid_at = event.created_at
    compensation.blocked_reason, compensation.blocked_detail = "", ""
    compensation.blocked_at = None
    compensation.save()
    merchant = complaint.merchant.name if complaint.merchant else complaint.merchant_name
    Recovery.objects.create(
        complaint=complaint,
        platform=platform,
        merchant_name=merchant,
        amount=amount,
        opened_at=event.created_at,
    )


# After commit, each in its own transaction.


def _recheck_after_commit(platform_id: int) -> None:
    from mediation import tasks

    enqueue_after_commit(tasks.compensation_recheck, platform_id=platform_id)


def compensation_recheck(*, platform_id: int, at: datetime | None = None) -> dict[str, int]:
    """Work out which unpaid compensations of a platform a cap blocks now, oldest first.

    The balance is shared out in approval order, so a top-up unblocks only the cases
    it can pay. A change either way is an event on the case (hence evidence) and a
    notice to the platform: top up, or pay now.
    """
    at = at or timezone.now()
    platform = Platform.objects.get(pk=platform_id)
    remaining = deposit_balance(platform)
    changed = {"blocked": 0, "unblocked": 0}
    pending = AdvanceCompensation.objects.filter(
        platform=platform, paid_at__isnull=True, complaint__status=Status.COMPENSATING
    ).order_by("approved_at", "pk")
    for compensation in pending:
        block = payout_block(compensation, platform, compensation.amount, remaining)
        if block is None:
            remaining -= compensation.amount
        reason = block.reason if block else ""
        if reason == compensation.blocked_reason:
            continue
        if _record_block(compensation, block, at):
            changed["blocked" if block else "unblocked"] += 1
    return changed


@transaction.atomic
def _record_block(
    compensation: AdvanceCompensation, block: CompensationBlocked | None, at: datetime
) -> bool:
    """Record a change of block on the case; False if a payout closed it meanwhile.

    The list above was read without locks: by the time the case's row is ours, a payout
    in flight may have paid it and moved it on, and then there is nothing to record.
    """
    complaint = Complaint.objects.select_for_update().get(pk=compensation.complaint_id)
    if complaint.status != Status.COMPENSATING or (
        AdvanceCompensation.objects.filter(pk=compensation.pk, paid_at__isnull=False).exists()
    ):
        return False

    def apply(c: Complaint) -> dict:
        row = AdvanceCompensation.objects.select_for_update().get(pk=compensation.pk)
        row.blocked_reason = block.reason if block else ""
        row.blocked_detail = block.detail if block else ""
        row.blocked_at = at if block else None
        row.save(update_fields=["blocked_reason", "blocked_detail", "blocked_at"])
        if block is None:
            return {"amount": str(row.amount)}
        return {
            "reason": block.reason,
            "detail": block.detail,
            "amount": str(block.amount),
            "limit": str(block.limit),
        }

    complaint_record_action(
        compensation.complaint_id,
        name="compensation_blocked" if block else "compensation_unblocked",
        actor=SYSTEM,
        allowed_status=(Status.COMPENSATING,),
        permitted=lambda c: True,
        apply=apply,
        at=at,
    )
    return True


# Recovery (追偿) from the merchant.


def recovery_for(actor: Actor, recovery_id: int) -> Recovery:
    """A recovery `actor` may act on: staff any, a platform its own (another's is as if
    missing); nobody else (403)."""
    if not (actor.is_staff_member or actor.role == Role.PLATFORM):
        raise TransitionForbidden(action="recovery", role=actor.role)
    recovery = Recovery.objects.filter(pk=recovery_id).first()
    if recovery is None or not (
        actor.is_staff_member
        or (actor.platform is not None and actor.platform.pk == recovery.platform_id)
    ):
        raise NotFound("No such recovery.")
    return recovery


def _close_recovery(
    recovery: Recovery, *, actor: Actor, name: str, close, at: datetime | None
) -> Recovery:
    at = at or timezone.now()
    recovery_id = recovery.pk

    def apply(c: Complaint) -> dict:
        row = Recovery.objects.select_for_update().get(pk=recovery_id)
        if row.state != Recovery.State.PENDING:
            raise RecoveryClosed(state=row.state)
        payload = close(row)
        row.closed_at = at
        row.closed_by = actor.as_event_fields()["actor_label"]
        row.save()
        return {"recovery": row.pk, **payload}

    complaint_record_action(
        recovery.complaint_id,
        name=name,
        actor=actor,
        allowed_status=(Status.CLOSED,),
        permitted=lambda c: True,
        apply=apply,
        at=at,
    )
    return Recovery.objects.get(pk=recovery_id)


@transaction.atomic
def recovery_recover(
    *,
    recovery_id: int,
    actor: Actor,
    amount: object,
    reference: str = "",
    at: datetime | None = None,
) -> Recovery:
    """The merchant paid back (all or part): credit the deposit and close the recovery."""
    recovery = recovery_for(actor, recovery_id)
    value = parse_amount(amount, "amount")
    reference = clean_text(reference, "reference", required=False, max_length=64)
    if value <= 0:
        raise DomainValidationError({"amount": "Must be more than zero."})

    def close(row: Recovery) -> dict:
        if value > row.amount:
            raise DomainValidationError(
                {"amount": f"Must not exceed the amount to recover ({row.amount})."}
            )
        row.credit = guarantee_deposit_record(
            platform=row.platform,
            kind=Kind.RECOVERY,
            amount=value,
            complaint=row.complaint,
            reference=reference,
            reason=f"追偿回存 {row.complaint.reference}",
            actor_user=actor.user,
            at=at,
        )
        row.state = Recovery.State.RECOVERED
        row.recovered_amount = value
        return {"amount": str(value), "reference": reference, "ledger_entry": row.credit.pk}

    recovery = _close_recovery(recovery, actor=actor, name="recovery_recovered", close=close, at=at)
    _recheck_after_commit(recovery.platform_id)
    return recovery


@transaction.atomic
def recovery_write_off(
    *, recovery_id: int, actor: Actor, reason: str, at: datetime | None = None
) -> Recovery:
    """Give up the recovery, with a reason (the merchant is gone, the sum too small...)."""
    recovery = recovery_for(actor, recovery_id)
    reason = clean_text(reason, "reason", max_length=500)

    def close(row: Recovery) -> dict:
        row.state = Recovery.State.WRITTEN_OFF
        row.reason = reason
        return {"amount": str(row.amount), "reason": reason}

    return _close_recovery(recovery, actor=actor, name="recovery_written_off", close=close, at=at)
