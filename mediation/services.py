"""Mediation services: guarantee deposit (保证金) ledger movements."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from complaints.exceptions import DomainValidationError
from complaints.models import Complaint, Platform, User
from complaints.money import parse_amount
from mediation.models import GuaranteeDepositEntry, deposit_balance

Kind = GuaranteeDepositEntry.Kind


@transaction.atomic
def guarantee_deposit_record(
    *,
    platform: Platform,
    amount: object,
    kind: str,
    reason: str = "",
    reference: str = "",
    actor_user: User | None = None,
    complaint: Complaint | None = None,
    at: datetime | None = None,
) -> GuaranteeDepositEntry:
    """Append one movement to a platform's deposit ledger; `amount` is signed as stored.

    Deposits and recoveries are positive, payouts negative, adjustments either way
    with a reason (the same rule as the table's check constraint). A movement out
    never takes the balance below zero.
    """
    # One account's movements are serialised on the platform row, so two payouts
    # cannot both see the same balance.
    list(Platform.objects.select_for_update().filter(pk=platform.pk).values_list("pk"))
    errors: dict[str, str] = {}
    if kind not in Kind.values:
        errors["kind"] = f"Must be one of: {', '.join(Kind.values)}."
    value = parse_amount(amount, "amount", signed=True)
    reason = str(reason or "").strip()
    reference = str(reference or "").strip()
    if kind in (Kind.DEPOSIT, Kind.RECOVERY) and value <= 0:
        errors["amount"] = "Must be more than zero."
    elif kind == Kind.PAYOUT and value >= 0:
        errors["amount"] = "A payout is recorded as a negative amount."
    elif kind == Kind.ADJUSTMENT:
        if value == 0:
            errors["amount"] = "Must not be zero."
        if not reason:
            errors["reason"] = "An adjustment needs a reason."
    if len(reason) > 300:
        errors["reason"] = "At most 300 characters."
    if len(reference) > 64:
        errors["reference"] = "At most 64 characters."
    if complaint is not None and complaint.platform_id != platform.pk:
        errors["complaint"] = "The complaint is not against this platform."
    if errors:
        raise DomainValidationError(errors)
    if value < 0 and deposit_balance(platform) + value < 0:
        raise DomainValidationError({"amount": "Exceeds the deposit balance."})
    return GuaranteeDepositEntry.objects.create(
        platform=platform,
        kind=kind,
        amount=value,
        complaint=complaint,
        reference=reference,
        reason=reason,
        created_by=actor_user,
        created_at=at or timezone.now(),
    )
