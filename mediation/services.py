"""Mediation services: the guarantee deposit (保证金) ledger, and working a case.

Case work (recusal, reassignment, notes, sessions, proposals) is recorded on the
complaint through the core's `complaint_record_action`, so each step is a timeline
event and an evidence record, committed with it; private case notes are the one
exception (they are for mediators and staff only, so they are not shared evidence).
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from complaints.actors import Actor
from complaints.choices import Status
from complaints.exceptions import DomainValidationError, NotFound, TransitionForbidden
from complaints.models import Complaint, Platform, User
from complaints.money import parse_amount
from complaints.queueing import enqueue_after_commit
from complaints.selectors import mediator_least_loaded
from complaints.services import complaint_record_action, complaint_transition
from complaints.services import mediator_reassign as core_mediator_reassign
from complaints.validators import clean_choice, clean_text
from mediation.exceptions import CompensationBlocked
from mediation.models import (
    CaseNote,
    GuaranteeDepositEntry,
    MediationProposal,
    MediationSession,
    Recusal,
    deposit_balance,
)

Kind = GuaranteeDepositEntry.Kind


def lock_platform(platform_id: int) -> Platform:
    """Lock a platform's deposit account: its movements are serialised on the platform
    row, so two payouts cannot both see the same balance."""
    return Platform.objects.select_for_update().get(pk=platform_id)


def mediator_action(
    complaint_id: int,
    *,
    name: str,
    actor: Actor,
    apply,
    at: datetime | None,
    allowed_status: tuple[str, ...] = (Status.MEDIATING,),
):
    """A recorded step of the case that only its assigned mediator takes."""
    return complaint_record_action(
        complaint_id,
        name=name,
        actor=actor,
        allowed_status=allowed_status,
        permitted=lambda c: actor.is_mediator_of(c),
        apply=apply,
        at=at,
    )


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
    lock_platform(platform.pk)
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
    if value > 0:  # more money: a blocked advance compensation may be payable now
        from mediation import tasks

        enqueue_after_commit(tasks.compensation_recheck, platform_id=platform.pk)
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


# Working a case.

CASE_STATUSES = (Status.MEDIATING, Status.SETTLED, Status.COMPENSATING)


def _mediator_or_staff(actor: Actor):
    return lambda c: actor.is_mediator_of(c) or actor.is_staff_member


@transaction.atomic
def mediator_recuse(
    *, complaint_id: int, actor: Actor, reason: str, at: datetime | None = None
) -> Complaint:
    """The assigned mediator steps aside (回避); the least loaded other mediator takes over."""
    at = at or timezone.now()
    reason = clean_text(reason, "reason", max_length=500)

    def apply(c: Complaint) -> dict:
        Recusal.objects.create(complaint=c, mediator=actor.user, reason=reason, created_at=at)
        recused = Recusal.objects.filter(complaint=c).values_list("mediator_id", flat=True)
        c.mediator = mediator_least_loaded(category=c.category, exclude=recused)
        return {
            "from": actor.user.username,
            "to": c.mediator.username if c.mediator else None,
            "reason": reason,
        }

    return mediator_action(
        complaint_id,
        name="mediator_recused",
        actor=actor,
        apply=apply,
        at=at,
        allowed_status=CASE_STATUSES,
    )


@transaction.atomic
def mediator_reassign(*, complaint_id: int, actor: Actor, mediator: User, reason: str):
    """Staff hand a case to another mediator, never to one who recused from it."""
    if Recusal.objects.filter(complaint_id=complaint_id, mediator=mediator).exists():
        raise DomainValidationError({"mediator": "This mediator recused from the case."})
    return core_mediator_reassign(
        complaint_id=complaint_id, actor=actor, mediator=mediator, reason=reason
    )


@transaction.atomic
def case_note_add(
    *, complaint: Complaint, actor: Actor, body: str, at: datetime | None = None
) -> CaseNote:
    """A private working note of the mediator (or staff) on the case; never changed."""
    if not (actor.is_mediator_of(complaint) or actor.is_staff_member):
        raise TransitionForbidden(action="add_note", role=actor.role)
    return CaseNote.objects.create(
        complaint=complaint,
        author=actor.user,
        body=clean_text(body, "body", max_length=10000),
        created_at=at or timezone.now(),
    )


def case_notes(*, complaint: Complaint, actor: Actor) -> list[CaseNote]:
    if not (actor.is_mediator_of(complaint) or actor.is_staff_member):
        raise TransitionForbidden(action="read_notes", role=actor.role)
    return list(complaint.case_notes.select_related("author").order_by("created_at", "id"))


def _clean_participants(value: object) -> list[str]:
    if value in (None, ""):
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise DomainValidationError({"participants": "A list of names."})
    names = [clean_text(v, "participants", max_length=100) for v in value]
    if len(names) > 20:
        raise DomainValidationError({"participants": "At most 20 participants."})
    return names


@transaction.atomic
def session_schedule(
    *,
    complaint_id: int,
    actor: Actor,
    scheduled_at: datetime,
    channel: str,
    location: str = "",
    participants: object = None,
    at: datetime | None = None,
) -> MediationSession:
    """Schedule a mediation session; the parties are told when and how."""
    at = at or timezone.now()
    channel = clean_choice(channel, "channel", MediationSession.Channel)
    location = clean_text(location, "location", required=False, max_length=300)
    names = _clean_participants(participants)
    if not isinstance(scheduled_at, datetime) or timezone.is_naive(scheduled_at):
        raise DomainValidationError({"scheduled_at": "A date and time with its time zone."})
    if scheduled_at < at:
        raise DomainValidationError({"scheduled_at": "The session must be in the future."})
    created: list[MediationSession] = []

    def apply(c: Complaint) -> dict:
        session = MediationSession.objects.create(
            complaint=c,
            scheduled_at=scheduled_at,
            channel=channel,
            location=location,
            participants=names,
            created_by=actor.user,
            created_at=at,
        )
        created.append(session)
        return {
            "session": session.pk,
            "scheduled_at": scheduled_at.isoformat(),
            "channel": channel,
            "location": location,
            "participants": names,
        }

    mediator_action(complaint_id, name="session_scheduled", actor=actor, apply=apply, at=at)
    return created[0]


@transaction.atomic
def session_record(
    *,
    complaint_id: int,
    session_id: int,
    actor: Actor,
    minutes: str = "",
    cancelled: bool = False,
    at: datetime | None = None,
) -> MediationSession:
    """Record what was said at a session (调解笔录), or that it was called off."""
    at = at or timezone.now()
    minutes = clean_text(minutes, "minutes", required=not cancelled, max_length=20000)

    def apply(c: Complaint) -> dict:
        session = MediationSession.objects.select_for_update().filter(pk=session_id, complaint=c)
        session = session.first()
        if session is None:
            raise NotFound("No such session.")
        if session.state != MediationSession.State.SCHEDULED:
            raise DomainValidationError({"session": f"The session is already {session.state}."})
        if cancelled:
            session.state = MediationSession.State.CANCELLED
        else:
            session.state, session.minutes, session.held_at = (
                MediationSession.State.HELD,
                minutes,
                at,
            )
        session.save()
        return {"session": session.pk, "state": session.state, "minutes": minutes}

    mediator_action(
        complaint_id,
        name="session_cancelled" if cancelled else "session_held",
        actor=actor,
        apply=apply,
        at=at,
        allowed_status=CASE_STATUSES,
    )
    return MediationSession.objects.get(pk=session_id)


@transaction.atomic
def mediation_propose(
    *, complaint_id: int, actor: Actor, terms: str, amount: object, at: datetime | None = None
) -> MediationProposal:
    """The mediator puts a settlement to both parties (调解方案)."""
    at = at or timezone.now()
    terms = clean_text(terms, "terms", max_length=10000)
    value = parse_amount(amount, "amount")
    created: list[MediationProposal] = []

    def apply(c: Complaint) -> dict:
        proposal = MediationProposal.objects.create(
            complaint=c, terms=terms, amount=value, created_by=actor.user, created_at=at
        )
        created.append(proposal)
        return {"proposal": proposal.pk, "terms": terms, "amount": str(value)}

    mediator_action(complaint_id, name="mediation_proposed", actor=actor, apply=apply, at=at)
    return created[0]


@transaction.atomic
def mediation_proposal_reply(
    *,
    complaint_id: int,
    proposal_id: int,
    actor: Actor,
    reply: str,
    comment: str = "",
    at: datetime | None = None,
) -> MediationProposal:
    """A party accepts or declines the mediator's proposal, once."""
    at = at or timezone.now()
    reply = clean_choice(reply, "reply", MediationProposal.Reply)
    comment = clean_text(comment, "comment", required=False, max_length=1000)

    def apply(c: Complaint) -> dict:
        proposal = MediationProposal.objects.select_for_update().filter(pk=proposal_id, complaint=c)
        proposal = proposal.first()
        if proposal is None:
            raise NotFound("No such proposal.")
        party = "consumer" if actor.is_consumer_of(c) else "platform"
        if getattr(proposal, f"{party}_reply"):
            raise DomainValidationError({"reply": "You have already replied to this proposal."})
        setattr(proposal, f"{party}_reply", reply)
        setattr(proposal, f"{party}_comment", comment)
        setattr(proposal, f"{party}_replied_at", at)
        proposal.save()
        return {"proposal": proposal.pk, "party": party, "reply": reply, "comment": comment}

    complaint_record_action(
        complaint_id,
        name="mediation_proposal_replied",
        actor=actor,
        allowed_status=(Status.MEDIATING,),
        permitted=lambda c: actor.is_consumer_of(c) or actor.is_platform_of(c),
        apply=apply,
        at=at,
    )
    return MediationProposal.objects.get(pk=proposal_id)


def transition_fire(
    *,
    complaint_id: int,
    name: str,
    actor: Actor,
    params: dict | None = None,
    at: datetime | None = None,
) -> Complaint:
    """Fire a lifecycle transition; a payout a cap refuses is recorded before it is refused.

    The payment itself rolls back (mediation.compensation), then the block is recorded
    on the case in a transaction of its own, so the platform is told to top up.
    """
    from mediation.compensation import compensation_recheck

    try:
        return complaint_transition(
            complaint_id=complaint_id, name=name, actor=actor, params=params, at=at
        )
    except CompensationBlocked:
        platform_id = Complaint.objects.values_list("platform_id", flat=True).get(pk=complaint_id)
        compensation_recheck(platform_id=platform_id, at=at)
        raise
