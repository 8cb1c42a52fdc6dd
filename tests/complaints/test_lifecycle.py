"""Every transition of the lifecycle: the right actor succeeds, the wrong one and the wrong
state are refused, and a refusal or bad input changes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from complaints.actors import Actor
from complaints.choices import Outcome, Status
from complaints.exceptions import (
    DomainValidationError,
    TransitionConflict,
    TransitionForbidden,
    UnknownTransition,
)
from complaints.models import Complaint, ComplaintEvent
from complaints.services import TRANSITION_NAMES, complaint_transition, transitions_available
from tests.factories import MerchantFactory, PlatformFactory, UserFactory
from tests.states import agreement_confirmed, complaint_in, deposit

pytestmark = pytest.mark.django_db

# name: (source state, acting role, body, target state, outcome)
CASES = {
    "accept": ("submitted", "staff", {}, "awaiting_response", ""),
    "reject": (
        "submitted",
        "staff",
        {"reason_code": "time_barred", "reason": "已超过三年"},
        "rejected",
        "",
    ),
    "respond": (
        "awaiting_response",
        "platform",
        {"resolution": "refund", "amount": "99.50", "message": "同意退款"},
        "responded",
        "",
    ),
    "accept_proposal": ("responded", "consumer", {}, "settled", ""),
    "decline_proposal": ("responded", "consumer", {"reason": "金额太少"}, "mediating", ""),
    "sign_agreement": (
        "mediating",
        "mediator",
        {"terms": "商家退款800元", "amount": "800.00", "fulfilment_days": 5},
        "settled",
        "",
    ),
    "confirm_fulfilment": ("settled", "consumer", {}, "closed", Outcome.RESOLVED),
    "start_compensation": ("mediating", "mediator", {"amount": "300.00"}, "compensating", ""),
    "pay_compensation": (
        "compensating",
        "platform",
        {"amount": "300.00", "transaction_ref": "PAY-001"},
        "closed",
        Outcome.COMPENSATED,
    ),
    "fail_mediation": (
        "mediating",
        "mediator",
        {"reason_code": "party_absent", "reason": "商家拒绝参加调解"},
        "closed",
        Outcome.MEDIATION_FAILED,
    ),
    "refer": (
        "mediating",
        "mediator",
        {"route": "litigation", "reason": "建议起诉"},
        "closed",
        Outcome.REFERRED,
    ),
    "withdraw": ("awaiting_response", "consumer", {"reason": "已自行解决"}, "withdrawn", ""),
}
# Roles that may fire a transition besides the one CASES uses.
ALSO_ALLOWED = {
    "accept": ("system",),
    "confirm_fulfilment": ("system",),
    "fail_mediation": ("system",),
    "start_compensation": ("staff",),
    "pay_compensation": ("staff",),
}
ROLES = (
    "consumer",
    "other_consumer",
    "platform",
    "other_platform",
    "staff",
    "mediator",
    "other_mediator",
    "regulator",
    "system",
)


@pytest.fixture
def parties(consumer, other_consumer, platform, staff, mediator, regulator):
    return {
        "consumer": Actor.of_user(consumer),
        "other_consumer": Actor.of_user(other_consumer),
        "platform": Actor.of_platform(platform),
        "other_platform": Actor.of_platform(PlatformFactory(code="rival")),
        "staff": Actor.of_user(staff),
        "mediator": Actor.of_user(mediator),
        "other_mediator": Actor.of_user(
            UserFactory(username="med-other", role="mediator", mediator_categories=["food"])
        ),
        "regulator": Actor.of_user(regulator),
        "system": Actor.system(),
    }


@pytest.fixture(autouse=True)
def _deposit(platform):
    """Advance compensation is paid from the guarantee deposit (tests/mediation for caps)."""
    deposit(platform)


def snapshot(complaint: Complaint) -> tuple:
    complaint.refresh_from_db()
    return (
        complaint.status,
        complaint.outcome,
        complaint.updated_at,
        ComplaintEvent.objects.filter(complaint=complaint).count(),
    )


def test_every_transition_of_the_design_is_covered():
    assert set(TRANSITION_NAMES) == set(CASES) | {"escalate", "close_no_reply"}


@pytest.mark.parametrize("name", sorted(CASES))
def test_right_actor_fires_transition_and_writes_event(name, parties, consumer, platform):
    source, role, body, target, outcome = CASES[name]
    complaint = complaint_in(source, consumer=consumer, platform_code=platform.code)
    if name == "sign_agreement":  # both parties confirmed the draft first (tests/mediation)
        agreement_confirmed(complaint, **body)
    events_before = complaint.events.count()

    with_callbacks = complaint_transition(
        complaint_id=complaint.pk, name=name, actor=parties[role], params=body
    )

    complaint.refresh_from_db()
    assert with_callbacks.status == complaint.status == target
    assert complaint.outcome == outcome
    event = complaint.events.last()
    assert complaint.events.count() == events_before + 1
    assert (event.name, event.from_status, event.to_status) == (name, source, target)
    assert event.actor_role == parties[role].role


@pytest.mark.parametrize(
    ("name", "role"),
    [
        (name, role)
        for name, case in sorted(CASES.items())
        for role in ROLES
        if role != case[1] and role not in ALSO_ALLOWED.get(name, ())
    ],
)
def test_wrong_actor_is_forbidden_and_nothing_changes(name, role, parties, consumer, platform):
    source, _, body, _, _ = CASES[name]
    complaint = complaint_in(source, consumer=consumer, platform_code=platform.code)
    before = snapshot(complaint)

    with pytest.raises(TransitionForbidden):
        complaint_transition(complaint_id=complaint.pk, name=name, actor=parties[role], params=body)

    assert snapshot(complaint) == before


@pytest.mark.parametrize("name", sorted(CASES))
def test_transition_from_wrong_state_conflicts_with_allowed_list(name, parties, consumer, platform):
    source, role, body, _, _ = CASES[name]
    wrong = (
        "rejected"
        if name == "withdraw"
        else ("submitted" if source != "submitted" else "responded")
    )
    complaint = complaint_in(wrong, consumer=consumer, platform_code=platform.code)
    before = snapshot(complaint)

    with pytest.raises(TransitionConflict) as excinfo:
        complaint_transition(complaint_id=complaint.pk, name=name, actor=parties[role], params=body)

    assert excinfo.value.status == wrong
    assert excinfo.value.allowed == transitions_available(complaint, parties[role])
    assert snapshot(complaint) == before


@pytest.mark.parametrize("terminal", ["rejected", "closed", "withdrawn"])
def test_terminal_states_allow_nothing(terminal, parties, consumer, platform):
    complaint = complaint_in(terminal, consumer=consumer, platform_code=platform.code)
    for actor in parties.values():
        assert transitions_available(complaint, actor) == []
    with pytest.raises(TransitionConflict):
        complaint_transition(complaint_id=complaint.pk, name="withdraw", actor=parties["consumer"])


@pytest.mark.parametrize(
    ("name", "body", "field"),
    [
        ("reject", {"reason_code": "nonsense", "reason": "x"}, "reason_code"),
        ("reject", {"reason_code": "identity", "reason": "  "}, "reason"),
        ("reject", {"reason_code": "identity"}, "reason"),
        ("respond", {"resolution": "refund", "amount": 12.5, "message": "退款"}, "amount"),
        ("respond", {"resolution": "refund", "amount": "12.345", "message": "退款"}, "amount"),
        ("respond", {"resolution": "refund", "amount": "-1", "message": "退款"}, "amount"),
        ("respond", {"resolution": "refund", "message": "退款"}, "amount"),
        ("respond", {"resolution": "barter", "amount": "1", "message": "x"}, "resolution"),
        (
            "sign_agreement",
            {"terms": "退款", "amount": "10", "fulfilment_days": 0},
            "fulfilment_days",
        ),
        ("sign_agreement", {"terms": "退款", "amount": "abc"}, "amount"),
        ("start_compensation", {"amount": "99999.00"}, "amount"),
        ("start_compensation", {"amount": "0"}, "amount"),
        ("fail_mediation", {"reason_code": "bored", "reason": "x"}, "reason_code"),
        ("refer", {"route": "oracle", "reason": "x"}, "route"),
        ("accept", {"surprise": 1}, "surprise"),
    ],
)
def test_bad_body_is_a_field_error_and_changes_nothing(
    name, body, field, parties, consumer, platform
):
    source, role, _, _, _ = CASES[name]
    complaint = complaint_in(source, consumer=consumer, platform_code=platform.code)
    before = snapshot(complaint)

    with pytest.raises(DomainValidationError) as excinfo:
        complaint_transition(complaint_id=complaint.pk, name=name, actor=parties[role], params=body)

    assert field in excinfo.value.errors
    assert snapshot(complaint) == before


def test_pay_compensation_above_approved_amount_is_refused(parties, consumer, platform):
    complaint = complaint_in("compensating", consumer=consumer, platform_code=platform.code)
    before = snapshot(complaint)
    with pytest.raises(DomainValidationError) as excinfo:
        complaint_transition(
            complaint_id=complaint.pk,
            name="pay_compensation",
            actor=parties["platform"],
            params={"amount": "300.01", "transaction_ref": "P"},
        )
    assert "amount" in excinfo.value.errors
    assert snapshot(complaint) == before


def test_unknown_transition_name_is_refused(parties, consumer, platform):
    complaint = complaint_in("submitted", consumer=consumer, platform_code=platform.code)
    with pytest.raises(UnknownTransition):
        complaint_transition(complaint_id=complaint.pk, name="delete", actor=parties["staff"])


def test_escalate_only_after_response_deadline(parties, consumer, platform):
    # given a complaint forwarded to the platform
    complaint = complaint_in("awaiting_response", consumer=consumer, platform_code=platform.code)
    # when the consumer tries to escalate before the deadline, it is not allowed yet
    assert "escalate" not in transitions_available(complaint, parties["consumer"])
    with pytest.raises(TransitionConflict):
        complaint_transition(complaint_id=complaint.pk, name="escalate", actor=parties["consumer"])
    # then after the deadline the consumer may, and the platform is marked late
    later = complaint.response_due + timedelta(minutes=1)
    complaint = complaint_transition(
        complaint_id=complaint.pk, name="escalate", actor=parties["consumer"], at=later
    )
    assert complaint.status == Status.MEDIATING
    assert complaint.platform_late is True
    assert complaint.mediator is not None


def test_close_no_reply_is_for_the_system_only(parties, consumer, platform):
    complaint = complaint_in("responded", consumer=consumer, platform_code=platform.code)
    for role in ("consumer", "staff", "platform"):
        with pytest.raises(TransitionForbidden):
            complaint_transition(
                complaint_id=complaint.pk, name="close_no_reply", actor=parties[role]
            )
    complaint = complaint_transition(
        complaint_id=complaint.pk, name="close_no_reply", actor=parties["system"]
    )
    assert (complaint.status, complaint.outcome) == (Status.CLOSED, Outcome.NO_REPLY)


def test_compensation_needs_commitment_or_unidentified_merchant(parties, consumer, platform):
    # given a mediating complaint whose merchant the platform identified fully
    complaint = complaint_in("mediating", consumer=consumer, platform_code=platform.code)
    merchant = MerchantFactory(platform=platform)
    Complaint.objects.filter(pk=complaint.pk).update(merchant=merchant)
    complaint.refresh_from_db()
    # then advance compensation is not available
    assert "start_compensation" not in transitions_available(complaint, parties["mediator"])
    with pytest.raises(TransitionConflict):
        complaint_transition(
            complaint_id=complaint.pk,
            name="start_compensation",
            actor=parties["mediator"],
            params={"amount": "10"},
        )
    # when the platform signs a commitment, it is
    platform.advance_compensation_committed = True
    platform.save()
    complaint = complaint_transition(
        complaint_id=complaint.pk,
        name="start_compensation",
        actor=parties["mediator"],
        params={"amount": "10"},
    )
    assert complaint.status == Status.COMPENSATING


def test_staff_may_start_and_pay_compensation(parties, consumer, platform):
    complaint = complaint_in("settled", consumer=consumer, platform_code=platform.code)
    complaint_transition(
        complaint_id=complaint.pk,
        name="start_compensation",
        actor=parties["staff"],
        params={"amount": "500.00"},
    )
    complaint = complaint_transition(
        complaint_id=complaint.pk,
        name="pay_compensation",
        actor=parties["staff"],
        params={"amount": "500.00", "transaction_ref": "FUND-9"},
    )
    assert complaint.compensated_amount == complaint.agreed_amount


def test_mediator_is_least_loaded_of_those_handling_the_category(
    parties, consumer, platform, mediator
):
    # given a food-only mediator and a general mediator who already has a case
    complaint_in("mediating", consumer=consumer, platform_code=platform.code)
    general_load = Complaint.objects.filter(mediator=mediator, status="mediating").count()
    assert general_load == 1
    # when an electronics complaint enters mediation, the food mediator is not chosen
    second = complaint_in("mediating", consumer=consumer, platform_code=platform.code)
    assert second.mediator == mediator
    # and a food complaint goes to the idle food mediator
    food = complaint_in(
        "mediating", consumer=consumer, platform_code=platform.code, category="food"
    )
    assert food.mediator.username == "med-other"


def test_inactive_staff_cannot_act(parties, consumer, platform, staff):
    complaint = complaint_in("submitted", consumer=consumer, platform_code=platform.code)
    staff.is_active = False
    staff.save()
    with pytest.raises(TransitionForbidden):
        complaint_transition(complaint_id=complaint.pk, name="accept", actor=Actor.of_user(staff))


def test_notifications_are_sent_only_after_commit(
    parties, consumer, platform, django_capture_on_commit_callbacks
):
    complaint = complaint_in("submitted", consumer=consumer, platform_code=platform.code)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        complaint_transition(complaint_id=complaint.pk, name="accept", actor=parties["staff"])
    assert mail.outbox == []
    assert len(callbacks) == 1
    callbacks[0]()
    assert sorted(r for m in mail.outbox for r in m.to) == [
        "notice@shop.example",
        "zhangsan@example.com",
    ]


def test_a_failed_transition_queues_nothing(
    parties, consumer, platform, django_capture_on_commit_callbacks
):
    complaint = complaint_in("submitted", consumer=consumer, platform_code=platform.code)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(DomainValidationError),
    ):
        complaint_transition(
            complaint_id=complaint.pk,
            name="reject",
            actor=parties["staff"],
            params={"reason_code": "identity", "reason": ""},
        )
    assert callbacks == []


def test_status_cannot_be_assigned_directly(consumer, platform):
    complaint = complaint_in("submitted", consumer=consumer, platform_code=platform.code)
    with pytest.raises(AttributeError):
        complaint.status = Status.CLOSED


def test_accepted_before_order_121_keeps_order_20_mediation_limit(parties, consumer, platform):
    # given a complaint accepted on 2026-04-14, the day before Order 121 came into force
    from tests.helpers import at

    complaint = complaint_in(
        "mediating",
        consumer=consumer,
        platform_code=platform.code,
        at=at(2026, 4, 13),
        order_date=at(2026, 4, 1).date(),
    )
    # then mediation ends 45 working days after acceptance (Order 20), not 60 days
    assert complaint.deadline_basis["mediation_due"] == "mediation_order20"
    assert timezone.localtime(complaint.mediation_due).date().isoformat() == "2026-06-17"


def test_telling_the_parties_of_a_failed_mediation_meets_the_notice_deadline(
    parties, consumer, platform, django_capture_on_commit_callbacks
):
    complaint = complaint_in("mediating", consumer=consumer, platform_code=platform.code)
    with django_capture_on_commit_callbacks(execute=True):
        complaint = complaint_transition(
            complaint_id=complaint.pk,
            name="fail_mediation",
            actor=Actor.of_user(complaint.mediator),
            params={"reason_code": "no_agreement_possible", "reason": "双方分歧过大"},
        )
    assert complaint.notice_due is not None
    complaint.refresh_from_db()
    assert complaint.parties_notified_at is not None
    assert complaint.events.filter(name="parties_notified").count() == 1
    assert "notice" not in [d["name"] for d in complaint.deadlines()]
    assert mail.outbox  # the notice itself went out
