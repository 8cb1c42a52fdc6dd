"""The complaint and its lifecycle (django-fsm-2), its event timeline and reference numbers.

Transition methods hold the rules: source states listed explicitly, pure conditions,
a permission callable `(complaint, actor)`, and a body that only validates its
arguments and sets fields on `self` (deadlines, outcome, amounts). Persisting, the
event row and side effects are the job of `complaints.services`.
"""

from __future__ import annotations

from datetime import datetime

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from complaints.actors import Actor
from complaints.choices import (
    Category,
    Channel,
    Demand,
    FailReason,
    IssueType,
    Outcome,
    ReferralRoute,
    RejectReason,
    Resolution,
    Role,
    Status,
)
from complaints.deadlines import RULES, compute_due, mediation_rule_for, setting
from complaints.exceptions import DomainValidationError
from complaints.money import parse_amount
from complaints.validators import clean_choice, clean_text

from .parties import Merchant, Platform, User

S = Status


# Permission callables: fsm calls them as permission(complaint, actor).


def _staff_or_system(c: Complaint, a: Actor) -> bool:
    return a.is_system or a.is_staff_member


def _staff(c: Complaint, a: Actor) -> bool:
    return a.is_staff_member


def _platform(c: Complaint, a: Actor) -> bool:
    return a.is_platform_of(c)


def _consumer(c: Complaint, a: Actor) -> bool:
    return a.is_consumer_of(c)


def _consumer_or_system(c: Complaint, a: Actor) -> bool:
    return a.is_system or a.is_consumer_of(c)


def _mediator(c: Complaint, a: Actor) -> bool:
    return a.is_mediator_of(c)


def _mediator_or_system(c: Complaint, a: Actor) -> bool:
    return a.is_system or a.is_mediator_of(c)


def _mediator_or_staff(c: Complaint, a: Actor) -> bool:
    return a.is_mediator_of(c) or a.is_staff_member


def _platform_or_staff(c: Complaint, a: Actor) -> bool:
    return a.is_platform_of(c) or a.is_staff_member


def _system(c: Complaint, a: Actor) -> bool:
    return a.is_system


# Conditions: pure functions of the complaint (and the clock the service set).


def _response_overdue(c: Complaint) -> bool:
    return c.response_due is not None and c.clock() > c.response_due


def _compensation_eligible(c: Complaint) -> bool:
    return c.advance_compensation_eligible


# A deadline stops binding while this field is set.
DEADLINE_SUSPENDED_BY = {
    "mediation_due": "mediation_paused_at",
    "fulfilment_due": "fulfilment_reported_at",
    "notice_due": "parties_notified_at",
}


class ReferenceCounter(models.Model):
    """The last sequence number issued for a day's complaint references."""

    day = models.DateField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("编号计数")
        verbose_name_plural = _("编号计数")

    def __str__(self) -> str:
        return f"{self.day} {self.last}"


class Complaint(ConcurrentTransitionMixin, models.Model):
    """A consumer's complaint against a platform or one of its merchants (投诉)."""

    reference = models.CharField(_("投诉编号"), max_length=24, unique=True, editable=False)
    consumer = models.ForeignKey(User, on_delete=models.PROTECT, related_name="complaints")
    platform = models.ForeignKey(Platform, on_delete=models.PROTECT, related_name="complaints")
    merchant = models.ForeignKey(
        Merchant, on_delete=models.PROTECT, null=True, blank=True, related_name="complaints"
    )
    merchant_name = models.CharField(_("商家名称（投诉时）"), max_length=200)
    order_number = models.CharField(_("订单号"), max_length=64)
    order_date = models.DateField(_("下单日期"))
    category = models.CharField(_("商品或服务类别"), max_length=32, choices=Category.choices)
    issue_type = models.CharField(_("问题类型"), max_length=32, choices=IssueType.choices)
    demand = models.CharField(_("诉求"), max_length=16, choices=Demand.choices)
    amount_paid = models.DecimalField(_("实付金额（元）"), max_digits=12, decimal_places=2)
    amount_claimed = models.DecimalField(_("诉求金额（元）"), max_digits=12, decimal_places=2)
    description = models.TextField(_("投诉内容"))
    region = models.CharField(_("地区代码"), max_length=6, db_index=True)
    # A well-formed code that is not (yet) in our copy of GB/T 2260: staff check it.
    region_unverified = models.BooleanField(_("地区代码待核实"), default=False)
    channel = models.CharField(_("渠道"), max_length=8, choices=Channel.choices, default="web")

    status = FSMField(
        _("状态"), max_length=20, choices=Status.choices, default=S.SUBMITTED, protected=True
    )
    outcome = models.CharField(_("结果"), max_length=20, choices=Outcome.choices, blank=True)

    filed_at = models.DateTimeField(_("提交时间"), default=timezone.now)
    accepted_at = models.DateTimeField(_("受理时间"), null=True, blank=True)
    responded_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    mediation_started_at = models.DateTimeField(_("转调解时间"), null=True, blank=True)
    settled_at = models.DateTimeField(_("达成协议时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)

    # Deadlines; `deadline_basis` records the rule (and so the article) of each one set.
    acceptance_due = models.DateTimeField(_("受理期限"), null=True, blank=True)
    response_due = models.DateTimeField(_("平台答复期限"), null=True, blank=True)
    proposal_due = models.DateTimeField(_("消费者决定期限"), null=True, blank=True)
    mediation_due = models.DateTimeField(_("调解期限"), null=True, blank=True)
    fulfilment_due = models.DateTimeField(_("履行期限"), null=True, blank=True)
    objection_due = models.DateTimeField(_("异议期限"), null=True, blank=True)
    notice_due = models.DateTimeField(_("终止告知期限"), null=True, blank=True)
    deadline_basis = models.JSONField(_("期限依据"), default=dict, blank=True)

    acceptance_overdue = models.BooleanField(_("受理已超期"), default=False)
    platform_late = models.BooleanField(_("平台超期未答复"), default=False)
    proposal_reminded_at = models.DateTimeField(null=True, blank=True)
    mediation_reminded_at = models.DateTimeField(null=True, blank=True)
    mediation_paused_at = models.DateTimeField(_("调解计时暂停于"), null=True, blank=True)
    mediation_paused_days = models.PositiveIntegerField(_("暂停天数"), default=0)
    fulfilment_reported_at = models.DateTimeField(null=True, blank=True)
    fulfilment_missed = models.BooleanField(_("逾期未履行"), default=False)
    parties_notified_at = models.DateTimeField(null=True, blank=True)

    reason_code = models.CharField(_("原因代码"), max_length=32, blank=True)
    reason = models.TextField(_("原因说明"), blank=True)
    referral_route = models.CharField(
        _("引导途径"), max_length=16, choices=ReferralRoute.choices, blank=True
    )

    proposal_resolution = models.CharField(
        _("平台方案"), max_length=16, choices=Resolution.choices, blank=True
    )
    proposal_amount = models.DecimalField(
        _("方案金额（元）"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    proposal_message = models.TextField(_("平台答复"), blank=True)
    agreed_amount = models.DecimalField(
        _("约定金额（元）"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    agreement_terms = models.TextField(_("协议条款"), blank=True)
    compensation_amount = models.DecimalField(
        _("先行赔付金额（元）"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    compensated_amount = models.DecimalField(
        _("已赔付金额（元）"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    compensation_ref = models.CharField(_("赔付流水号"), max_length=64, blank=True)

    mediator = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="mediated_complaints",
        limit_choices_to={"role": Role.MEDIATOR},
    )

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        verbose_name = _("投诉")
        verbose_name_plural = _("投诉")
        ordering = ["-filed_at"]
        indexes = [
            models.Index(fields=["platform", "updated_at"], name="complaint_platform_updated"),
            # The platform's work queue (`?status=awaiting_response`), in the list's order:
            # an index scan that stops after one page, however large the platform.
            models.Index(
                fields=["platform", "status", "-updated_at", "-id"], name="complaint_platform_queue"
            ),
            models.Index(fields=["consumer", "updated_at"], name="complaint_consumer_updated"),
            models.Index(fields=["mediator", "status"], name="complaint_mediator_status"),
            models.Index(fields=["status", "updated_at"], name="complaint_status_updated"),
            # The deadline sweep walks these, state by state.
            models.Index(fields=["status", "acceptance_due"], name="complaint_sweep_acceptance"),
            models.Index(fields=["status", "response_due"], name="complaint_sweep_response"),
            models.Index(fields=["status", "proposal_due"], name="complaint_sweep_proposal"),
            models.Index(fields=["status", "mediation_due"], name="complaint_sweep_mediation"),
            models.Index(fields=["status", "fulfilment_due"], name="complaint_sweep_fulfilment"),
            models.Index(fields=["status", "objection_due"], name="complaint_sweep_objection"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_paid__gte=0) & Q(amount_claimed__gte=0),
                name="complaint_amounts_not_negative",
            ),
            models.CheckConstraint(
                condition=(Q(status=S.CLOSED) & ~Q(outcome=""))
                | (~Q(status=S.CLOSED) & Q(outcome="")),
                name="complaint_outcome_iff_closed",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    # The clock of a transition: the service sets it, so `sweep_deadlines --as-of`
    # and the API agree on what "overdue" means.

    def clock(self) -> datetime:
        return getattr(self, "_clock", None) or timezone.now()

    def set_clock(self, at: datetime) -> None:
        self._clock = at

    def _set_due(
        self, field: str, rule_key: str, start: datetime, count: int | None = None
    ) -> None:
        setattr(self, field, compute_due(rule_key, start, count))
        self.deadline_basis = {**self.deadline_basis, field: rule_key}

    def _clear_due(self, *fields: str) -> None:
        for field in fields:
            setattr(self, field, None)

    @property
    def is_terminal(self) -> bool:
        return self.status in (S.REJECTED, S.CLOSED, S.WITHDRAWN)

    @property
    def merchant_identified(self) -> bool:
        return self.merchant is not None and self.merchant.is_identified

    @property
    def advance_compensation_eligible(self) -> bool:
        """CRPL art. 44: the platform's commitment, or a merchant it cannot identify."""
        return self.platform.advance_compensation_committed or not self.merchant_identified

    def deadlines(self) -> list[dict]:
        """The deadlines that bind now, each with its rule and legal basis.

        A paused mediation clock, fulfilment the platform has reported and a notice
        already sent do not bind; only the art. 23 notice outlives an open case.
        """
        result = []
        for field, rule_key in self.deadline_basis.items():
            due = getattr(self, field, None)
            suspended_by = DEADLINE_SUSPENDED_BY.get(field)
            if suspended_by and getattr(self, suspended_by) is not None:
                continue
            if field != "notice_due" and self.is_terminal:
                continue
            if due is not None:
                result.append(
                    {
                        "name": field.removesuffix("_due"),
                        "due_at": due,
                        "rule": rule_key,
                        "basis": RULES[rule_key].basis,
                    }
                )
        return sorted(result, key=lambda d: d["due_at"])

    def next_deadline(self) -> dict | None:
        """The earliest open deadline, for lists and the "next step" line."""
        if self.is_terminal and self.notice_due is None:
            return None
        pending = self.deadlines()
        return pending[0] if pending else None

    # Lifecycle. Each body returns the event payload.

    @transition(
        field=status, source=S.SUBMITTED, target=S.AWAITING_RESPONSE, permission=_staff_or_system
    )
    def accept(self, *, actor: Actor, at: datetime) -> dict:
        """Accept the complaint and forward it to the platform (受理)."""
        self.accepted_at = at
        self._clear_due("acceptance_due")
        self._set_due("response_due", "response", at, self.platform.response_days)
        return {"response_due": self.response_due.isoformat()}

    @transition(field=status, source=S.SUBMITTED, target=S.REJECTED, permission=_staff)
    def reject(self, *, actor: Actor, at: datetime, reason_code: str, reason: str) -> dict:
        """Refuse to accept, on one of the grounds of Order 121 art. 16 (不予受理)."""
        from complaints.choices import REMAINING_ROUTES

        self.reason_code = clean_choice(reason_code, "reason_code", RejectReason)
        self.reason = clean_text(reason, "reason")
        self.closed_at = at
        self._clear_due("acceptance_due")
        return {
            "reason_code": self.reason_code,
            "reason": self.reason,
            "remaining_routes": str(REMAINING_ROUTES[RejectReason(self.reason_code)]),
        }

    @transition(field=status, source=S.AWAITING_RESPONSE, target=S.RESPONDED, permission=_platform)
    def respond(
        self,
        *,
        actor: Actor,
        at: datetime,
        resolution: str,
        amount: object = None,
        message: str = "",
    ) -> dict:
        """Record the platform's proposal; the consumer has a window to decide (平台答复)."""
        self.proposal_resolution = clean_choice(resolution, "resolution", Resolution)
        self.proposal_message = clean_text(message, "message")
        if self.proposal_resolution == Resolution.DECLINE:
            self.proposal_amount = parse_amount(amount, "amount", required=False)
        else:
            self.proposal_amount = parse_amount(amount, "amount")
        self.responded_at = at
        if self.response_due and at > self.response_due:
            self.platform_late = True
        self._clear_due("response_due")
        self._set_due("proposal_due", "proposal_decision", at, setting("PROPOSAL_DECISION_DAYS"))
        return {
            "resolution": self.proposal_resolution,
            "amount": None if self.proposal_amount is None else str(self.proposal_amount),
            "message": self.proposal_message,
            "late": self.platform_late,
        }

    @transition(field=status, source=S.RESPONDED, target=S.SETTLED, permission=_consumer)
    def accept_proposal(self, *, actor: Actor, at: datetime) -> dict:
        """The consumer accepts the platform's proposal; it must now be fulfilled."""
        self.agreed_amount = self.proposal_amount
        self.agreement_terms = self.proposal_message
        self.settled_at = at
        self._clear_due("proposal_due")
        self._set_due("fulfilment_due", "fulfilment", at, setting("DEFAULT_FULFILMENT_DAYS"))
        return {"agreed_amount": None if self.agreed_amount is None else str(self.agreed_amount)}

    @transition(field=status, source=S.RESPONDED, target=S.MEDIATING, permission=_consumer)
    def decline_proposal(self, *, actor: Actor, at: datetime, reason: str = "") -> dict:
        """The consumer declines the proposal; a mediator takes the case."""
        self._clear_due("proposal_due")
        self._enter_mediation(at)
        return {"reason": clean_text(reason, "reason", required=False)}

    @transition(
        field=status,
        source=S.AWAITING_RESPONSE,
        target=S.MEDIATING,
        conditions=[_response_overdue],
        permission=_consumer_or_system,
    )
    def escalate(self, *, actor: Actor, at: datetime) -> dict:
        """The platform did not answer in time: the case goes to mediation (转调解)."""
        self.platform_late = True
        self._clear_due("response_due")
        self._enter_mediation(at)
        return {"platform_late": True}

    def _enter_mediation(self, at: datetime) -> None:
        self.mediation_started_at = at
        rule = mediation_rule_for(self.accepted_at or at)
        self._set_due("mediation_due", rule, self.accepted_at or at)

    @transition(field=status, source=S.MEDIATING, target=S.SETTLED, permission=_mediator)
    def sign_agreement(
        self,
        *,
        actor: Actor,
        at: datetime,
        terms: str,
        amount: object,
        fulfilment_days: object = None,
    ) -> dict:
        """Record the signed mediation agreement (调解协议书)."""
        self.agreement_terms = clean_text(terms, "terms")
        self.agreed_amount = parse_amount(amount, "amount")
        days = (
            setting("DEFAULT_FULFILMENT_DAYS") if fulfilment_days in (None, "") else fulfilment_days
        )
        if isinstance(days, str) and days.strip().isascii() and days.strip().isdigit():
            days = int(days)
        if isinstance(days, bool) or not isinstance(days, int):  # 1.9, "7.5", inf: refused
            raise DomainValidationError({"fulfilment_days": "A whole number of days."})
        if not 1 <= days <= 90:
            raise DomainValidationError({"fulfilment_days": "Between 1 and 90 days."})
        self.settled_at = at
        self._clear_due("mediation_due")
        self.mediation_paused_at = None
        self._set_due("fulfilment_due", "fulfilment", at, days)
        return {
            "terms": self.agreement_terms,
            "amount": str(self.agreed_amount),
            "fulfilment_days": days,
        }

    @transition(field=status, source=S.SETTLED, target=S.CLOSED, permission=_consumer_or_system)
    def confirm_fulfilment(self, *, actor: Actor, at: datetime) -> dict:
        """The remedy arrived: the consumer confirms, or did not object in time (履行完毕)."""
        self.outcome = Outcome.RESOLVED
        self.closed_at = at
        self._clear_due("fulfilment_due", "objection_due")
        return {
            "outcome": self.outcome,
            "confirmed_by": "system" if actor.is_system else "consumer",
        }

    @transition(
        field=status,
        source=[S.MEDIATING, S.SETTLED],
        target=S.COMPENSATING,
        conditions=[_compensation_eligible],
        permission=_mediator_or_staff,
    )
    def start_compensation(self, *, actor: Actor, at: datetime, amount: object) -> dict:
        """Approve advance compensation (先行赔付) of an agreed or determined amount."""
        value = parse_amount(amount, "amount")
        if value <= 0:
            raise DomainValidationError({"amount": "Must be more than zero."})
        ceiling = self.agreed_amount if self.agreed_amount is not None else self.amount_claimed
        if value > ceiling:
            raise DomainValidationError(
                {"amount": f"Must not exceed the agreed or claimed amount ({ceiling})."}
            )
        self.compensation_amount = value
        self._clear_due("mediation_due", "fulfilment_due", "objection_due")
        self.mediation_paused_at = None
        return {"amount": str(value), "agreed_amount": str(ceiling)}

    @transition(field=status, source=S.COMPENSATING, target=S.CLOSED, permission=_platform_or_staff)
    def pay_compensation(
        self, *, actor: Actor, at: datetime, amount: object, transaction_ref: str
    ) -> dict:
        """Record the advance-compensation payment; the case closes as compensated."""
        value = parse_amount(amount, "amount")
        if value <= 0:
            raise DomainValidationError({"amount": "Must be more than zero."})
        if value > self.compensation_amount:
            raise DomainValidationError(
                {"amount": f"Must not exceed the approved amount ({self.compensation_amount})."}
            )
        self.compensated_amount = value
        self.compensation_ref = clean_text(transaction_ref, "transaction_ref", max_length=64)
        self.outcome = Outcome.COMPENSATED
        self.closed_at = at
        return {"amount": str(value), "transaction_ref": self.compensation_ref}

    @transition(field=status, source=S.MEDIATING, target=S.CLOSED, permission=_mediator_or_system)
    def fail_mediation(self, *, actor: Actor, at: datetime, reason_code: str, reason: str) -> dict:
        """End mediation without agreement, on a ground of Order 121 art. 23 (调解终止)."""
        self.reason_code = clean_choice(reason_code, "reason_code", FailReason)
        self.reason = clean_text(reason, "reason")
        return self._end_mediation(at, Outcome.MEDIATION_FAILED)

    @transition(field=status, source=S.MEDIATING, target=S.CLOSED, permission=_mediator)
    def refer(self, *, actor: Actor, at: datetime, route: str, reason: str) -> dict:
        """Close by pointing the consumer to arbitration, a court, enforcement or legal aid."""
        self.referral_route = clean_choice(route, "route", ReferralRoute)
        self.reason = clean_text(reason, "reason")
        return {**self._end_mediation(at, Outcome.REFERRED), "route": self.referral_route}

    def _end_mediation(self, at: datetime, outcome: str) -> dict:
        self.outcome = outcome
        self.closed_at = at
        self.mediation_paused_at = None
        self._clear_due("mediation_due")
        # Order 121 art. 23: both parties are told within 7 working days.
        self._set_due("notice_due", "mediation_notice", at)
        return {"outcome": outcome, "reason_code": self.reason_code, "reason": self.reason}

    @transition(
        field=status,
        source=list(set(S) - {S.REJECTED, S.CLOSED, S.WITHDRAWN}),
        target=S.WITHDRAWN,
        permission=_consumer,
    )
    def withdraw(self, *, actor: Actor, at: datetime, reason: str = "") -> dict:
        """The consumer withdraws the complaint (撤回投诉)."""
        self.closed_at = at
        self.mediation_paused_at = None
        self._clear_due(
            "acceptance_due",
            "response_due",
            "proposal_due",
            "mediation_due",
            "fulfilment_due",
            "objection_due",
        )
        return {"reason": clean_text(reason, "reason", required=False)}

    @transition(field=status, source=S.RESPONDED, target=S.CLOSED, permission=_system)
    def close_no_reply(self, *, actor: Actor, at: datetime) -> dict:
        """The consumer did not answer the proposal in time, even after a reminder."""
        self.outcome = Outcome.NO_REPLY
        self.closed_at = at
        self._clear_due("proposal_due")
        return {
            "outcome": self.outcome,
            "reminded_at": self.proposal_reminded_at.isoformat()
            if self.proposal_reminded_at
            else None,
        }


class ComplaintEvent(models.Model):
    """One entry of a complaint's timeline: who did what, when, from which state to which."""

    complaint = models.ForeignKey(Complaint, on_delete=models.PROTECT, related_name="events")
    name = models.CharField(_("事件"), max_length=40)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    actor = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor_role = models.CharField(max_length=16, choices=Role.choices)
    actor_label = models.CharField(max_length=150)
    payload = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("投诉事件")
        verbose_name_plural = _("投诉事件")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["complaint", "created_at"], name="event_complaint_time")]

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.name}"
