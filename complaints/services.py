"""Complaint services: filing, firing transitions and the other recorded actions.

Each service owns its transaction: the row change, its `ComplaintEvent`, the
`complaint_transitioned` signal (evidence records it) and, after commit only, the
notifications. The API, the admin, the deadline sweep and the shell all come here.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django_fsm import ConcurrentTransition

from complaints import batching
from complaints.actors import Actor
from complaints.choices import Category, Channel, Demand, IssueType, Role, Status
from complaints.deadlines import RULES, Unit, compute_due, local_date, setting
from complaints.exceptions import (
    ConcurrentUpdate,
    DomainValidationError,
    NotFound,
    TransitionConflict,
    TransitionForbidden,
    UnknownTransition,
)
from complaints.models import (
    Complaint,
    ComplaintEvent,
    ComplaintMessage,
    Merchant,
    MessageReadCursor,
    Platform,
    Region,
    User,
)
from complaints.money import parse_amount
from complaints.queueing import enqueue_after_commit
from complaints.selectors import mediator_least_loaded
from complaints.signals import complaint_transitioned
from complaints.validators import (
    ErrorCollector,
    clean_choice,
    clean_text,
    validate_region_code,
)
from complaints.workdays import is_workday

STATUS_FIELD = Complaint._meta.get_field("status")
TRANSITION_NAMES: tuple[str, ...] = tuple(
    dict.fromkeys(t.name for t in STATUS_FIELD.get_all_transitions(Complaint))
)


# Reads about transitions.


def transitions_available(complaint: Complaint, actor: Actor) -> list[str]:
    """The transitions `actor` may fire on `complaint` now (state, conditions, permission)."""
    return [
        t.name for t in complaint.get_available_status_transitions() if t.has_perm(complaint, actor)
    ]


def require_transition(complaint: Complaint, name: str, actor: Actor) -> None:
    """Raise unless `actor` may fire `name` now: 409 for the state, 403 for the actor."""
    if name not in TRANSITION_NAMES:
        raise UnknownTransition(action=name)
    available = {t.name: t for t in complaint.get_available_status_transitions()}
    if name not in available:
        raise TransitionConflict(
            action=name,
            status=complaint.status,
            allowed=transitions_available(complaint, actor),
        )
    if not available[name].has_perm(complaint, actor):
        raise TransitionForbidden(action=name, role=actor.role)


def transition_parameters(name: str) -> dict[str, bool]:
    """The body fields a transition takes, each mapped to whether it is required."""
    method = getattr(Complaint, name)
    params = inspect.signature(inspect.unwrap(method)).parameters
    return {
        p.name: p.default is inspect.Parameter.empty
        for p in params.values()
        if p.kind is inspect.Parameter.KEYWORD_ONLY and p.name not in ("actor", "at")
    }


# Writing.


def _lock(complaint_id: int) -> Complaint:
    try:
        return (
            Complaint.objects.select_for_update(of=("self",))
            .select_related("platform", "merchant")
            .get(pk=complaint_id)
        )
    except Complaint.DoesNotExist:
        raise NotFound("No such complaint.") from None


def _record(
    complaint: Complaint,
    *,
    name: str,
    actor: Actor,
    from_status: str,
    payload: dict,
    at: datetime,
) -> ComplaintEvent:
    """Write the event, let evidence preserve it, and queue notifications after commit."""
    event = ComplaintEvent.objects.create(
        complaint=complaint,
        name=name,
        from_status=from_status,
        to_status=complaint.status,
        payload=payload,
        created_at=at,
        **actor.as_event_fields(),
    )
    complaint_transitioned.send(
        sender=Complaint, complaint=complaint, event=event, actor=actor, name=name
    )
    from complaints import tasks

    enqueue_after_commit(tasks.notify_event, event_id=event.pk)
    return event


def _save(complaint: Complaint) -> None:
    try:
        complaint.save()
    except ConcurrentTransition:
        raise ConcurrentUpdate("The complaint was changed by someone else; reload it.") from None


def _next_reference(day: date) -> str:
    """`TS` + the filing date + a per-day sequence; one atomic upsert, safe under concurrency.

    The upsert locks the day's counter row until its transaction ends, so every filing of
    the day waits for it: `complaint_file` draws the number in a transaction of its own.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO complaints_referencecounter (day, last) VALUES (%s, 1) "
            "ON CONFLICT (day) DO UPDATE SET last = complaints_referencecounter.last + 1 "
            "RETURNING last",
            [day],
        )
        (sequence,) = cursor.fetchone()
    return f"TS{day:%Y%m%d}{sequence:04d}"


def complaint_file(
    *,
    consumer: User,
    platform: str,
    merchant_name: str,
    order_number: str,
    order_date: date,
    category: str,
    issue_type: str,
    amount_paid: object,
    amount_claimed: object,
    demand: str,
    description: str,
    region: str,
    channel: str = Channel.WEB,
    at: datetime | None = None,
) -> Complaint:
    """File a complaint for `consumer`; the acceptance clock starts (Order 121 art. 15).

    The reference is drawn in a short transaction of its own, committed before the
    filing's (unless the caller holds a transaction already): the day's counter row is
    then locked for one statement, not for the whole filing, so filings no longer queue
    behind each other (docs/performance.md). A filing that fails after the draw leaves a
    gap in the day's numbers; references identify complaints, nothing counts on them
    being consecutive. Bad input is refused before the draw and leaves no gap.
    """
    at = at or timezone.now()
    if consumer.role != Role.CONSUMER or not consumer.is_active:
        raise TransitionForbidden(action="file", role=consumer.role)
    check = ErrorCollector()
    platform_obj = Platform.objects.filter(code=str(platform), is_active=True).first()
    if platform_obj is None:
        check.add("platform", f"Unknown platform code '{platform}'.")
    merchant_name = check.take(clean_text, merchant_name, "merchant_name", max_length=200)
    order_number = check.take(clean_text, order_number, "order_number", max_length=64)
    description = check.take(clean_text, description, "description", max_length=10000)
    category = check.take(clean_choice, category, "category", Category)
    issue_type = check.take(clean_choice, issue_type, "issue_type", IssueType)
    demand = check.take(clean_choice, demand, "demand", Demand)
    channel = check.take(clean_choice, channel, "channel", Channel)
    # A datetime is a date too, but not one a consumer can mean here.
    if not isinstance(order_date, date) or isinstance(order_date, datetime):
        check.add("order_date", "A date (YYYY-MM-DD) is required.")
    elif order_date > local_date(at):
        check.add("order_date", "The order date is in the future.")
    amount_paid = check.take(parse_amount, amount_paid, "amount_paid")
    amount_claimed = check.take(parse_amount, amount_claimed, "amount_claimed")
    region = region if isinstance(region, str) else ""
    region_unverified = False
    try:
        validate_region_code(region)
    except ValidationError:
        check.add("region", "A six-digit GB/T 2260 county code is required.")
    else:
        if not Region.objects.filter(code=region[:2]).exists():
            check.add("region", f"No province has the code {region[:2]}.")
        else:
            # A newer code than our copy of GB/T 2260: accept, and flag it for staff.
            region_unverified = not Region.objects.filter(code=region).exists()
    check.raise_if_any()
    with transaction.atomic():
        reference = _next_reference(local_date(at))
    with transaction.atomic():
        return _complaint_insert(
            reference=reference,
            consumer=consumer,
            platform=platform_obj,
            merchant_name=merchant_name,
            order_number=order_number,
            order_date=order_date,
            category=category,
            issue_type=issue_type,
            demand=demand,
            amount_paid=amount_paid,
            amount_claimed=amount_claimed,
            description=description,
            region=region,
            region_unverified=region_unverified,
            channel=channel,
            at=at,
        )


def _complaint_insert(*, platform: Platform, at: datetime, **fields) -> Complaint:
    """Write the checked complaint, its `filed` event and what the event brings with it."""
    complaint = Complaint(platform=platform, filed_at=at, **fields)
    complaint._set_due("acceptance_due", "acceptance", at)
    complaint.save()
    _record(
        complaint,
        name="filed",
        actor=Actor.of_user(complaint.consumer),
        from_status="",
        payload={
            "platform": platform.code,
            "merchant_name": complaint.merchant_name,
            "order_number": complaint.order_number,
            "order_date": complaint.order_date.isoformat(),
            "category": complaint.category,
            "issue_type": complaint.issue_type,
            "demand": complaint.demand,
            "amount_paid": str(complaint.amount_paid),
            "amount_claimed": str(complaint.amount_claimed),
            "description": complaint.description,
            "region": complaint.region,
            "channel": complaint.channel,
            "acceptance_due": complaint.acceptance_due.isoformat(),
        },
        at=at,
    )
    return complaint


@transaction.atomic
def complaint_transition(
    *,
    complaint_id: int,
    name: str,
    actor: Actor,
    at: datetime | None = None,
    params: dict | None = None,
) -> Complaint:
    """Fire transition `name` on a complaint as `actor`, with its body fields in `params`."""
    return complaint_transition_locked(
        _lock(complaint_id), name=name, actor=actor, at=at or timezone.now(), params=params
    )


def complaint_transition_locked(
    complaint: Complaint,
    *,
    name: str,
    actor: Actor,
    at: datetime,
    params: dict | None = None,
    choose_mediator=mediator_least_loaded,
) -> Complaint:
    """`complaint_transition` on a complaint the caller has already locked and loaded
    (with its platform and merchant), inside the caller's transaction: the deadline
    sweep locks a batch at once. `choose_mediator(category=...)` assigns a mediator."""
    from_status, payload = _fire_in_memory(
        complaint, name=name, actor=actor, at=at, params=params, choose_mediator=choose_mediator
    )
    _save(complaint)
    _record(complaint, name=name, actor=actor, from_status=from_status, payload=payload, at=at)
    return complaint


def _fire_in_memory(
    complaint: Complaint, *, name: str, actor: Actor, at: datetime, params: dict | None,
    choose_mediator,
) -> tuple[str, dict]:  # fmt: skip
    """Check and apply transition `name` to the instance, writing nothing; the status it
    came from and the event's payload."""
    params = dict(params or {})
    complaint.set_clock(at)
    require_transition(complaint, name, actor)
    # The platform's answer may identify the merchant (CRPL art. 44): name, credit
    # code, address, contact. Without it the merchant counts as unidentified.
    merchant_data = params.pop("merchant", None) if name == "respond" else None
    if merchant_data is not None and not isinstance(merchant_data, dict):
        raise DomainValidationError(
            {"merchant": "Must be an object with name, credit_code, address and contact."}
        )
    accepted = transition_parameters(name)
    unknown = sorted(set(params) - set(accepted))
    missing = sorted(k for k, required in accepted.items() if required and k not in params)
    if unknown or missing:
        errors = {k: "Unexpected field." for k in unknown}
        errors.update({k: "This field is required." for k in missing})
        raise DomainValidationError(errors)

    from_status = complaint.status
    payload = getattr(complaint, name)(actor=actor, at=at, **params)
    if merchant_data:
        complaint.merchant = _merchant_from(complaint.platform, merchant_data)
        payload["merchant"] = {k: getattr(complaint.merchant, k) for k in MERCHANT_FIELDS}
    if complaint.status == Status.MEDIATING and from_status != Status.MEDIATING:
        complaint.mediator = choose_mediator(category=complaint.category)
        payload["mediator"] = complaint.mediator.username if complaint.mediator else None
    return from_status, payload


# The fields a platform may send about the merchant, with their lengths.
MERCHANT_FIELDS = {"name": 200, "credit_code": 18, "address": 300, "contact": 100}


def _merchant_from(platform: Platform, data: dict) -> Merchant:
    """Find or record the merchant the platform names; a credit code identifies it."""
    values = {
        k: clean_text(data.get(k), f"merchant.{k}", required=k == "name", max_length=limit)
        for k, limit in MERCHANT_FIELDS.items()
    }
    values["credit_code"] = values["credit_code"].upper()
    merchant = None
    if values["credit_code"]:
        merchant = Merchant.objects.filter(
            platform=platform, credit_code=values["credit_code"]
        ).first()
    if merchant is None:
        merchant = Merchant(platform=platform)
    for key, value in values.items():
        if value:
            setattr(merchant, key, value)
    try:
        merchant.full_clean(exclude=["platform"], validate_unique=False)
    except ValidationError as exc:
        raise DomainValidationError(
            {f"merchant.{k}": v for k, v in exc.message_dict.items()}
        ) from None
    merchant.save()
    return merchant


def complaint_record_action(
    complaint_id: int,
    *,
    name: str,
    actor: Actor,
    allowed_status: tuple[str, ...],
    permitted,
    apply,
    at: datetime | None = None,
) -> Complaint:
    """A recorded action that is not a state change: check, apply, save, write the event."""
    return complaint_record_action_locked(
        _lock(complaint_id),
        name=name,
        actor=actor,
        allowed_status=allowed_status,
        permitted=permitted,
        apply=apply,
        at=at,
    )


def complaint_record_action_locked(
    complaint: Complaint,
    *,
    name: str,
    actor: Actor,
    allowed_status: tuple[str, ...],
    permitted,
    apply,
    at: datetime | None = None,
) -> Complaint:
    """`complaint_record_action` on a complaint the caller has locked and loaded."""
    payload = _act_in_memory(
        complaint,
        name=name,
        actor=actor,
        allowed_status=allowed_status,
        permitted=permitted,
        apply=apply,
    )
    _save(complaint)
    _record(
        complaint,
        name=name,
        actor=actor,
        from_status=complaint.status,
        payload=payload,
        at=at or timezone.now(),
    )
    return complaint


def _act_in_memory(
    complaint: Complaint, *, name: str, actor: Actor, allowed_status: tuple[str, ...],
    permitted, apply,
) -> dict:  # fmt: skip
    """Check and apply a recorded action to the instance, writing nothing; its payload."""
    if complaint.status not in allowed_status:
        raise TransitionConflict(
            action=name, status=complaint.status, allowed=transitions_available(complaint, actor)
        )
    if not permitted(complaint):
        raise TransitionForbidden(action=name, role=actor.role)
    return apply(complaint)


# Many complaints at once: the deadline sweep's batches.

_COLUMNS = [f for f in Complaint._meta.concrete_fields if not f.primary_key]


@dataclass
class PreparedChange:
    """One complaint changed in memory (not yet written) and its event's content."""

    complaint: Complaint
    from_status: str
    payload: dict
    fields: frozenset[str]  # the names of the fields the change set


def _changing(complaint: Complaint, change) -> tuple[dict, frozenset[str]]:
    before = {f.name: f.value_from_object(complaint) for f in _COLUMNS}
    result = change()
    after = {f.name: f.value_from_object(complaint) for f in _COLUMNS}
    return result, frozenset(name for name, value in after.items() if value != before[name])


def transition_prepare(
    complaint: Complaint, *, name: str, actor: Actor, at: datetime, params: dict | None = None,
    choose_mediator=mediator_least_loaded,
) -> PreparedChange:  # fmt: skip
    """Transition `name` applied to a locked complaint in memory, for
    `complaints_record_many`; raises as `complaint_transition` does, writing nothing."""
    (from_status, payload), fields = _changing(
        complaint,
        lambda: _fire_in_memory(
            complaint, name=name, actor=actor, at=at, params=params,
            choose_mediator=choose_mediator,
        ),
    )  # fmt: skip
    return PreparedChange(complaint, from_status, payload, fields)


def action_prepare(
    complaint: Complaint, *, name: str, actor: Actor, allowed_status: tuple[str, ...],
    permitted, apply,
) -> PreparedChange:  # fmt: skip
    """A recorded action applied to a locked complaint in memory (see `transition_prepare`)."""
    payload, fields = _changing(
        complaint,
        lambda: _act_in_memory(
            complaint, name=name, actor=actor, allowed_status=allowed_status,
            permitted=permitted, apply=apply,
        ),
    )  # fmt: skip
    return PreparedChange(complaint, complaint.status, payload, fields)


def complaints_record_many(
    changes: list[PreparedChange], *, name: str, actor: Actor, at: datetime
) -> list[ComplaintEvent]:
    """Write prepared changes of complaints the caller holds locked, in its transaction:
    one UPDATE of the complaints, one INSERT of their events, the signal for each event
    with the receivers' writes collected (complaints.batching), one notification task.

    What `_save` and `_record` do for one complaint, in a number of statements that does
    not grow with the batch (the sweep: docs/performance.md). The locks stand in for
    `_save`'s check that nobody changed the row meanwhile.
    """
    if not changes:
        return []
    now = timezone.now()
    complaints = [change.complaint for change in changes]
    for complaint in complaints:
        complaint.updated_at = now
    fields = sorted(frozenset().union(*(c.fields for c in changes)) | {"updated_at"})
    batching.bulk_set(complaints, fields)
    actor_fields = actor.as_event_fields()
    events = ComplaintEvent.objects.bulk_create(
        ComplaintEvent(
            complaint=change.complaint,
            name=name,
            from_status=change.from_status,
            to_status=change.complaint.status,
            payload=change.payload,
            created_at=at,
            **actor_fields,
        )
        for change in changes
    )
    with batching.collect():
        for complaint, event in zip(complaints, events, strict=True):
            complaint_transitioned.send(
                sender=Complaint, complaint=complaint, event=event, actor=actor, name=name
            )
    from complaints import tasks

    enqueue_after_commit(tasks.notify_events, event_ids=[event.pk for event in events])
    return events


def _pause_length(rule_key: str, start: date, end: date) -> int:
    """How many counted units (days or working days) lie in (start, end]."""
    if RULES[rule_key].unit is Unit.DAYS:
        return max((end - start).days, 0)
    return sum(1 for i in range(1, (end - start).days + 1) if is_workday(start + timedelta(i)))


@transaction.atomic
def mediation_pause(*, complaint_id: int, actor: Actor, reason: str, at: datetime | None = None):
    """Stop the mediation clock while testing or appraisal runs (Order 121 art. 22)."""
    at = at or timezone.now()
    reason = clean_text(reason, "reason")

    def apply(c: Complaint) -> dict:
        if c.mediation_paused_at is not None:
            raise DomainValidationError({"reason": "The mediation clock is already paused."})
        c.mediation_paused_at = at
        return {"reason": reason}

    return complaint_record_action(
        complaint_id,
        name="mediation_paused",
        actor=actor,
        allowed_status=(Status.MEDIATING,),
        permitted=lambda c: actor.is_mediator_of(c) or actor.is_staff_member,
        apply=apply,
        at=at,
    )


@transaction.atomic
def mediation_resume(*, complaint_id: int, actor: Actor, at: datetime | None = None):
    """Restart the mediation clock; the paused time is added to the mediation deadline."""
    at = at or timezone.now()

    def apply(c: Complaint) -> dict:
        if c.mediation_paused_at is None:
            raise DomainValidationError({"status": "The mediation clock is not paused."})
        rule = c.deadline_basis.get("mediation_due", "mediation")
        paused = _pause_length(rule, local_date(c.mediation_paused_at), local_date(at))
        c.mediation_paused_days += paused
        c.mediation_paused_at = None
        c.mediation_reminded_at = None  # the limit moved: remind again before the new one
        c.mediation_due = compute_due(
            rule,
            c.accepted_at or c.mediation_started_at,
            RULES[rule].count + c.mediation_paused_days,
        )
        return {
            "paused": paused,
            "unit": RULES[rule].unit.value,
            "mediation_due": c.mediation_due.isoformat(),
        }

    return complaint_record_action(
        complaint_id,
        name="mediation_resumed",
        actor=actor,
        allowed_status=(Status.MEDIATING,),
        permitted=lambda c: actor.is_mediator_of(c) or actor.is_staff_member,
        apply=apply,
        at=at,
    )


@transaction.atomic
def mediator_reassign(*, complaint_id: int, actor: Actor, mediator: User, reason: str):
    """Staff hand a case to another mediator, with a reason."""
    if not isinstance(mediator, User) or mediator.role != Role.MEDIATOR or not mediator.is_active:
        raise DomainValidationError({"mediator": "Not an active mediator."})
    reason = clean_text(reason, "reason")

    def apply(c: Complaint) -> dict:
        previous = c.mediator.username if c.mediator else None
        c.mediator = mediator
        return {"from": previous, "to": mediator.username, "reason": reason}

    return complaint_record_action(
        complaint_id,
        name="mediator_reassigned",
        actor=actor,
        # Settled and compensating cases keep a mediator for fulfilment and payout.
        allowed_status=(Status.MEDIATING, Status.SETTLED, Status.COMPENSATING),
        permitted=lambda c: actor.is_staff_member,
        apply=apply,
    )


@transaction.atomic
def fulfilment_report(
    *, complaint_id: int, actor: Actor, note: str = "", at: datetime | None = None
):
    """The platform reports the remedy done; the consumer may object within the window."""
    at = at or timezone.now()
    note = clean_text(note, "note", required=False)

    def apply(c: Complaint) -> dict:
        if c.fulfilment_reported_at is not None:
            raise DomainValidationError({"status": "Fulfilment has already been reported."})
        c.fulfilment_reported_at = at
        c._set_due(
            "objection_due", "fulfilment_objection", at, setting("FULFILMENT_OBJECTION_DAYS")
        )
        return {"note": note, "objection_due": c.objection_due.isoformat()}

    return complaint_record_action(
        complaint_id,
        name="fulfilment_reported",
        actor=actor,
        allowed_status=(Status.SETTLED,),
        permitted=lambda c: actor.is_platform_of(c),
        apply=apply,
        at=at,
    )


def bring_to_mediator(c: Complaint, choose_mediator=mediator_least_loaded) -> dict:
    """A settled case whose remedy did not arrive goes in front of a mediator.

    The case keeps its mediator, or gets the least loaded one; advance compensation
    is proposed when it is eligible and an amount was agreed (DESIGN: a missed
    fulfilment deadline or the consumer's objection).
    """
    if c.mediator is None:
        c.mediator = choose_mediator(category=c.category)
    return {
        "mediator": c.mediator.username if c.mediator else None,
        "advance_compensation_eligible": c.advance_compensation_eligible,
        "advance_compensation_proposed": c.advance_compensation_eligible
        and c.agreed_amount is not None,
    }


@transaction.atomic
def fulfilment_object(*, complaint_id: int, actor: Actor, reason: str, at: datetime | None = None):
    """The consumer says the remedy did not arrive; the case goes back to a person."""
    at = at or timezone.now()
    reason = clean_text(reason, "reason")

    def apply(c: Complaint) -> dict:
        c.objection_due = None
        c.fulfilment_reported_at = None
        c.fulfilment_missed = True
        return {"reason": reason, **bring_to_mediator(c)}

    return complaint_record_action(
        complaint_id,
        name="fulfilment_objected",
        actor=actor,
        allowed_status=(Status.SETTLED,),
        permitted=lambda c: actor.is_consumer_of(c),
        apply=apply,
        at=at,
    )


def thread_party(complaint: Complaint, actor: Actor) -> str | None:
    """Which side of the negotiation thread `actor` is on, if any."""
    if actor.is_consumer_of(complaint):
        return Role.CONSUMER
    if actor.is_platform_of(complaint):
        return Role.PLATFORM
    if actor.is_mediator_of(complaint):
        return Role.MEDIATOR
    return None


def _mark_read(complaint: Complaint, party: str, up_to: int) -> None:
    cursor, _ = MessageReadCursor.objects.get_or_create(complaint=complaint, party=party)
    if up_to > cursor.last_read_id:
        MessageReadCursor.objects.filter(pk=cursor.pk, last_read_id__lt=up_to).update(
            last_read_id=up_to
        )


@transaction.atomic
def message_post(
    *,
    complaint_id: int,
    actor: Actor,
    body: str,
    attachments: list[int] | None = None,
    at: datetime | None = None,
) -> ComplaintMessage:
    """Post to the negotiation thread (自行协商); preserved with its own event.

    `attachments` are evidence record ids the caller has already checked
    (evidence.services.evidence_attachments_check) inside this same transaction.
    """
    at = at or timezone.now()
    complaint = _lock(complaint_id)
    party = thread_party(complaint, actor)
    if party is None:
        raise TransitionForbidden(action="message", role=actor.role)
    if complaint.is_terminal:
        raise TransitionConflict(action="message", status=complaint.status, allowed=[])
    text = clean_text(body, "body")
    message = ComplaintMessage.objects.create(
        complaint=complaint,
        author=actor.user,
        author_role=party,
        author_label=actor.as_event_fields()["actor_label"],
        body=text,
        attachments=list(attachments or []),
        created_at=at,
    )
    _record(
        complaint,
        name="message_posted",
        actor=actor,
        from_status=complaint.status,
        payload={
            "message_id": message.pk,
            "author_role": party,
            "body": text,
            "attachments": message.attachments,
        },
        at=at,
    )
    _mark_read(complaint, party, message.pk)
    # A new message is a change of the case: pollers using updated_after must see it.
    Complaint.objects.filter(pk=complaint.pk).update(updated_at=timezone.now())
    return message


def thread_read(*, complaint: Complaint, actor: Actor) -> tuple[list[ComplaintMessage], int]:
    """The thread and how many messages were unread by the caller's side; marks them read."""
    party = thread_party(complaint, actor)
    if party is None and not actor.is_staff_member:  # e.g. a regulator: no personal data
        raise TransitionForbidden(action="read_messages", role=actor.role)
    messages = list(complaint.messages.order_by("id"))
    if party is None:  # staff read without moving anyone's cursor
        return messages, 0
    cursor = (
        MessageReadCursor.objects.filter(complaint=complaint, party=party)
        .values_list("last_read_id", flat=True)
        .first()
        or 0
    )
    unread = sum(1 for m in messages if m.pk > cursor and m.author_role != party)
    if messages:
        _mark_read(complaint, party, messages[-1].pk)
    return messages, unread


@transaction.atomic
def complaint_parties_notified(*, complaint_id: int, at: datetime | None = None) -> None:
    """The parties were told a mediation ended without agreement (Order 121 art. 23).

    Meets the notice deadline and records it (an event, hence evidence); once only.
    """
    at = at or timezone.now()
    if not Complaint.objects.filter(pk=complaint_id, parties_notified_at__isnull=True).exists():
        return

    def apply(c: Complaint) -> dict:
        c.parties_notified_at = at
        return {"notice_due": c.notice_due.isoformat() if c.notice_due else None}

    complaint_record_action(
        complaint_id,
        name="parties_notified",
        actor=Actor.system(),
        allowed_status=(Status.CLOSED,),
        permitted=lambda c: True,
        apply=apply,
        at=at,
    )
