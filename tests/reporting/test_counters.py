"""The statistics tables follow every complaint event, and a rebuild gives the same cells."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from complaints.actors import Actor
from complaints.choices import Status
from complaints.models import Complaint
from complaints.services import complaint_file, complaint_record_action, complaint_transition
from reporting.counters import counters_add, event_deltas, shanghai_date, statistics_fold_all
from reporting.models import Grain, StatCounter, StatRollup
from reporting.rebuild import counters_snapshot, rollups_snapshot, statistics_rebuild
from reporting.services import rating_record
from tests.helpers import FILING, at, run_command
from tests.reporting.dataset import agreement_ready, deposit_ready
from tests.states import actor_for, complaint_in

pytestmark = pytest.mark.django_db


def cell(metric: str, bucket: str = "", grain: str = Grain.CUBE, **filters) -> tuple[int, int]:
    statistics_fold_all()
    rows = StatCounter.objects.filter(grain=grain, metric=metric, bucket=bucket, **filters)
    return sum(r.n for r in rows), sum(r.fen for r in rows)


def test_filing_counts_the_complaint_on_its_beijing_filing_day(consumer, platform):
    # given a complaint filed at 01:30 Beijing time on 2 Nov (still 1 Nov in UTC)
    complaint = complaint_in(
        "submitted", consumer=consumer, platform_code="shop", at=at(2026, 11, 2, 1, 30)
    )
    # then it counts once, on 2 Nov, with its claimed amount in fen
    statistics_fold_all()
    row = StatCounter.objects.get(grain=Grain.CUBE, metric="filed")
    assert (row.day.isoformat(), row.region, row.platform_id) == (
        "2026-11-02",
        "310115",
        platform.pk,
    )
    assert (row.category, row.issue_type, row.n, row.fen) == ("electronics", "quality", 1, 129900)
    merchant = StatCounter.objects.get(grain=Grain.MERCHANT, metric="filed")
    assert (merchant.merchant, merchant.issue_type, merchant.n) == (complaint.merchant_name, "", 1)
    assert cell("status", Status.SUBMITTED) == (1, 0)


def test_a_transition_moves_the_complaint_between_status_cells(consumer, platform):
    complaint = complaint_in("submitted", consumer=consumer, platform_code="shop")
    # when staff accept it
    complaint_transition(
        complaint_id=complaint.pk, name="accept", actor=actor_for("staff", complaint)
    )
    # then submitted went down and awaiting_response up
    assert cell("status", Status.SUBMITTED) == (0, 0)
    assert cell("status", Status.AWAITING_RESPONSE) == (1, 0)


def test_a_rolled_back_transition_leaves_no_increment(consumer, platform):
    complaint = complaint_in("submitted", consumer=consumer, platform_code="shop")
    before = counters_snapshot()
    with transaction.atomic():
        complaint_transition(
            complaint_id=complaint.pk, name="accept", actor=actor_for("staff", complaint)
        )
        transaction.set_rollback(True)
    assert counters_snapshot() == before


def test_respond_closing_and_compensation_figures(consumer, platform):
    # given a complaint accepted on Mon 2 Nov, answered on Thu 5 Nov, settled and confirmed
    complaint = complaint_in(
        "submitted", consumer=consumer, platform_code="shop", at=at(2026, 11, 2, 9)
    )
    steps = [
        ("accept", "staff", {}, at(2026, 11, 2, 10)),
        ("respond", "platform", {"resolution": "refund", "amount": "500.00", "message": "退"},
         at(2026, 11, 5, 10)),
        ("accept_proposal", "consumer", {}, at(2026, 11, 6, 10)),
        ("confirm_fulfilment", "consumer", {}, at(2026, 11, 12, 10)),
    ]  # fmt: skip
    for name, role, params, when in steps:
        complaint_transition(
            complaint_id=complaint.pk,
            name=name,
            actor=actor_for(role, complaint),
            params=params,
            at=when,
        )
    assert cell("respond", "in_time") == (1, 0)
    assert cell("respond_days", "3") == (1, 0)
    assert cell("close_days", "10") == (1, 0)
    assert cell("outcome", "resolved") == (1, 0)
    assert cell("outcome", "resolved", grain=Grain.MERCHANT) == (1, 0)
    assert cell("status", Status.CLOSED) == (1, 0)


def test_counters_add_sums_into_one_row_per_cell(consumer, platform):
    complaint = complaint_in("submitted", consumer=consumer, platform_code="shop")
    from reporting.counters import ComplaintFacts

    deltas = event_deltas(
        ComplaintFacts.of(complaint),
        name="pay_compensation",
        from_status="compensating",
        to_status="compensating",
        payload={"amount": "12.34"},
        at=complaint.filed_at,
    )
    counters_add(deltas)
    counters_add(deltas)
    assert cell("compensated") == (2, 2468)
    assert StatCounter.objects.filter(grain=Grain.CUBE, metric="compensated").count() == 1


def test_rebuild_statistics_command_recomputes_the_same_cells(consumer, platform, mediator):
    deposit_ready(platform)
    complaint_in("closed", consumer=consumer, platform_code="shop")
    complaint_in("compensating", consumer=consumer, platform_code="shop")
    kept, rollups = counters_snapshot(), rollups_snapshot()
    StatCounter.objects.update(n=999)  # damage them
    StatRollup.objects.filter(dimension="").delete()
    assert "Rebuilt" in run_command("rebuild_statistics")
    assert counters_snapshot() == kept
    assert rollups_snapshot() == rollups


# The property: any sequence of transitions, rebuilt == incremental.

# What can happen next in each state: (transition, role, body). "rate" and "recover"
# are the rating and the mediation app's recovery event on a closed complaint.
MOVES: dict[str, list[tuple[str, str, dict]]] = {
    "submitted": [
        ("accept", "staff", {}),
        ("reject", "staff", {"reason_code": "out_of_remit", "reason": "不属于本部门管辖"}),
        ("withdraw", "consumer", {}),
    ],
    "awaiting_response": [
        ("respond", "platform", {"resolution": "refund", "amount": "80.00", "message": "退"}),
        ("respond", "platform", {"resolution": "decline", "message": "不支持"}),
        ("escalate", "system", {}),
        ("withdraw", "consumer", {}),
    ],
    "responded": [
        ("accept_proposal", "consumer", {}),
        ("decline_proposal", "consumer", {}),
        ("close_no_reply", "system", {}),
    ],
    "mediating": [
        ("sign_agreement", "mediator", {"terms": "退款", "amount": "60.00"}),
        ("fail_mediation", "mediator", {"reason_code": "party_absent", "reason": "未到"}),
        ("refer", "mediator", {"route": "arbitration", "reason": "仲裁"}),
        ("start_compensation", "mediator", {"amount": "40.00"}),
        ("withdraw", "consumer", {}),
    ],
    "settled": [
        ("confirm_fulfilment", "consumer", {}),
        ("start_compensation", "staff", {"amount": "30.00"}),
    ],
    "compensating": [
        ("pay_compensation", "platform", {"amount": "25.50", "transaction_ref": "P1"})
    ],
    "closed": [("rate", "consumer", {}), ("recover", "system", {})],
}


def _apply(complaint: Complaint, move: tuple[str, str, dict], when, score: int) -> None:
    name, role, params = move
    if name == "rate":
        rating_record(
            complaint_id=complaint.pk, actor=Actor.of_user(complaint.consumer), score=score, at=when
        )
        return
    if name == "recover":  # what mediation.services records when a recovery succeeds
        complaint_record_action(
            complaint.pk,
            name="recovery_recovered",
            actor=Actor.system(),
            allowed_status=(Status.CLOSED,),
            permitted=lambda c: True,
            apply=lambda c: {"recovery": 1, "amount": "10.05"},
            at=when,
        )
        return
    if name == "sign_agreement":
        agreement_ready(complaint, terms=params["terms"], amount=params["amount"])
    if name == "escalate":  # only once the platform's deadline has passed
        when = max(when, complaint.response_due + timedelta(hours=1))
    complaint_transition(
        complaint_id=complaint.pk,
        name=name,
        actor=actor_for(role, complaint),
        params=params,
        at=when,
    )


complaint_plans = st.lists(
    st.tuples(
        st.sampled_from(["310115", "310104", "440305"]),
        st.sampled_from(["electronics", "food"]),
        st.integers(min_value=0, max_value=40),  # days after 1 Nov 2026 filed
        st.lists(
            st.tuples(st.integers(0, 4), st.integers(1, 60), st.integers(1, 5)), max_size=6
        ),  # (which move, hours later, rating)
    ),
    min_size=1,
    max_size=3,
)


@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(plans=complaint_plans)
def test_rebuilt_statistics_equal_the_incremental_ones(plans, consumer, platform, mediator):
    with transaction.atomic():
        deposit_ready(platform)
        for region, category, day_offset, steps in plans:
            when = at(2026, 11, 1, 9) + timedelta(days=day_offset, hours=day_offset % 7 * 3)
            complaint = complaint_file(
                consumer=consumer,
                platform="shop",
                at=when,
                **{**FILING, "region": region, "category": category,
                   "order_date": shanghai_date(when) - timedelta(days=3)},
            )  # fmt: skip
            rated = recovered = False
            for choice, hours, score in steps:
                complaint.refresh_from_db()
                moves = MOVES.get(complaint.status, [])
                if complaint.status == Status.CLOSED:
                    moves = [m for m in moves if not (m[0] == "rate" and rated)]
                    recoverable = complaint.outcome == "compensated" and not recovered
                    moves = [m for m in moves if m[0] != "recover" or recoverable]
                if not moves:
                    break
                move = moves[choice % len(moves)]
                when = when + timedelta(hours=hours)
                _apply(complaint, move, when, score)
                rated = rated or move[0] == "rate"
                recovered = recovered or move[0] == "recover"
        incremental = counters_snapshot()
        rollups = rollups_snapshot()
        statistics_rebuild()
        assert counters_snapshot() == incremental
        # and so are the summary's rollups
        assert rollups_snapshot() == rollups
        assert rollups
        # and the cube's status cells add up to the complaints by status
        for status in Status:
            expected = Complaint.objects.filter(status=status).count()
            assert cell("status", status)[0] == expected, status
        assert cell("filed")[1] == sum(int(c.amount_claimed * 100) for c in Complaint.objects.all())
        transaction.set_rollback(True)


def test_money_in_fen_is_exact(consumer, platform):
    complaint_in(
        "submitted", consumer=consumer, platform_code="shop", amount_claimed=Decimal("0.10")
    )
    complaint_in(
        "submitted", consumer=consumer, platform_code="shop", amount_claimed=Decimal("0.20")
    )
    assert cell("filed") == (2, 30)
