"""Payouts racing for one platform's deposit: the platform's row lock serialises them.

Real threads, each on its own connection, released at one barrier; PostgreSQL only,
since SQLite serialises writers and cannot show a race. A watcher on a connection of
its own reads the balance all through the race.
"""

from __future__ import annotations

import threading
import time
from decimal import Decimal
from functools import partial

import pytest
from django.db import connection

from complaints.actors import Actor
from complaints.choices import Status
from complaints.exceptions import WeiquanError
from complaints.models import Complaint
from complaints.services import complaint_transition
from mediation import compensation
from mediation.exceptions import CompensationBlocked
from mediation.models import (
    AdvanceCompensation,
    GuaranteeDepositEntry,
    Recovery,
    deposit_balance,
)
from mediation.services import guarantee_deposit_record, transition_fire
from tests.mediation.test_ledger_properties import raw_sum
from tests.states import complaint_in, deposit

# serialized_rollback: the flush after a transactional test empties the regions and the
# calendar the migrations seeded; later tests need them back.
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

Kind = GuaranteeDepositEntry.Kind
BLOCKED = "compensation_blocked:deposit_balance"
# The API fires transitions through the core service; mediation's own entry point also
# records the block on the case after the refusal.
ENTRY_POINTS = {"complaint_transition": complaint_transition, "transition_fire": transition_fire}


def race(platform, *calls) -> tuple[list[str], list[Decimal]]:
    """Start every call at one barrier, each on its own connection, while a watcher reads
    the balance; return each call's outcome and every balance the watcher saw."""
    barrier = threading.Barrier(len(calls) + 1)
    outcomes: list[str] = ["not run"] * len(calls)
    seen: list[Decimal] = []
    done = threading.Event()

    def worker(i, call):
        try:
            barrier.wait(timeout=30)
            call()
            outcomes[i] = "ok"
        except CompensationBlocked as exc:
            outcomes[i] = f"{exc.code}:{exc.reason}"
        except WeiquanError as exc:
            outcomes[i] = exc.code
        except Exception as exc:  # reported in the assertion, not lost in the thread
            outcomes[i] = repr(exc)
        finally:
            connection.close()

    def watcher():
        try:
            barrier.wait(timeout=30)
            while not done.is_set():
                seen.append(deposit_balance(platform))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    watching = threading.Thread(target=watcher)
    for t in [watching, *threads]:
        t.start()
    for t in threads:
        t.join(timeout=120)
    done.set()
    watching.join(timeout=30)
    assert not any(t.is_alive() for t in [watching, *threads]), "a thread hung"
    return outcomes, seen


def ledger_has(platform, kind: str, count: int):
    return lambda: (
        GuaranteeDepositEntry.objects.filter(platform=platform, kind=kind).count() >= count
    )


def once(condition, call):
    """`call`, as soon as `condition` holds (polled on the thread's own connection)."""

    def wait_then_call():
        deadline = time.monotonic() + 30
        while not condition():
            assert time.monotonic() < deadline, "the condition never held"
            time.sleep(0.001)
        call()

    return wait_then_call


def pay(fire, complaint: Complaint, platform) -> None:
    fire(
        complaint_id=complaint.pk,
        name="pay_compensation",
        actor=Actor.of_platform(platform),
        params={"amount": "300.00", "transaction_ref": f"PAY-{complaint.pk}"},
    )


def top_up(platform, amount: str, reference: str) -> None:
    guarantee_deposit_record(
        platform=platform, kind=Kind.DEPOSIT, amount=amount, reference=reference
    )


def assert_ledger_consistent(platform) -> list[GuaranteeDepositEntry]:
    """The balance is the sum of the entries however read, and no prefix of the ledger,
    in the order the platform lock let the entries in, is below zero."""
    entries = list(GuaranteeDepositEntry.objects.filter(platform=platform).order_by("id"))
    balance = deposit_balance(platform)
    assert balance == sum((e.amount for e in entries), Decimal("0.00")) == raw_sum(platform.pk)
    running = Decimal("0.00")
    for entry in entries:
        running += entry.amount
        assert running >= 0, f"negative after entry {entry.pk}"
    return entries


@pytest.mark.parametrize("entry_point", sorted(ENTRY_POINTS))
def test_six_payouts_racing_for_room_for_three_pay_exactly_three(
    entry_point, consumer, platform, mediator
):
    # given six cases each approved for 300 yuan and a deposit of 1000
    deposit(platform, "1000.00")
    complaints = [
        complaint_in("compensating", consumer=consumer, platform_code=platform.code)
        for _ in range(6)
    ]
    assert {c.compensation_amount for c in complaints} == {Decimal("300.00")}

    # when the platform pays all six at the same instant
    fire = ENTRY_POINTS[entry_point]
    outcomes, seen = race(platform, *[partial(pay, fire, c, platform) for c in complaints])

    # then three are paid and three refused for the balance, which is 100 and never was
    # below zero
    assert sorted(outcomes) == [BLOCKED] * 3 + ["ok"] * 3, outcomes
    assert deposit_balance(platform) == Decimal("100.00")
    assert seen and min(seen) >= 0
    entries = assert_ledger_consistent(platform)
    payouts = [e for e in entries if e.kind == Kind.PAYOUT]
    assert [e.amount for e in payouts] == [Decimal("-300.00")] * 3
    # and each paid case has its one recovery; the refused ones are still open
    paid = {c.pk for c, outcome in zip(complaints, outcomes, strict=True) if outcome == "ok"}
    assert {e.complaint_id for e in payouts} == paid
    assert set(Recovery.objects.values_list("complaint_id", flat=True)) == paid
    assert Recovery.objects.count() == 3
    statuses = dict(
        Complaint.objects.filter(pk__in=[c.pk for c in complaints]).values_list("pk", "status")
    )
    assert {pk for pk, s in statuses.items() if s == Status.CLOSED} == paid
    assert {pk for pk, s in statuses.items() if s == Status.COMPENSATING} == set(statuses) - paid


@pytest.mark.parametrize("entry_point", sorted(ENTRY_POINTS))
def test_top_ups_interleaved_with_payouts_keep_the_balance_the_sum_of_the_entries(
    entry_point, consumer, platform, mediator
):
    # given six cases approved for 300 yuan each and a deposit of 500
    deposit(platform, "500.00")
    complaints = [
        complaint_in("compensating", consumer=consumer, platform_code=platform.code)
        for _ in range(6)
    ]

    # when three payouts start, two top-ups of 400 follow the first payout and three more
    # payouts follow the first top-up, so that money goes in while payouts wait for it
    fire = ENTRY_POINTS[entry_point]
    first, second = complaints[:3], complaints[3:]
    outcomes, seen = race(
        platform,
        *[partial(pay, fire, c, platform) for c in first],
        once(ledger_has(platform, Kind.PAYOUT, 1), partial(top_up, platform, "400.00", "A")),
        once(ledger_has(platform, Kind.PAYOUT, 1), partial(top_up, platform, "400.00", "B")),
        *[
            once(ledger_has(platform, Kind.DEPOSIT, 2), partial(pay, fire, c, platform))
            for c in second
        ],
    )

    # then both top-ups land, and the balance is what went in less what was paid out,
    # never below zero at any point
    payouts = outcomes[:3] + outcomes[5:]
    assert outcomes[3:5] == ["ok", "ok"], outcomes
    paid = payouts.count("ok")
    assert 1 <= paid <= 4, outcomes  # 500 pays one before any top-up; 1300 four at most
    assert deposit_balance(platform) == Decimal("1300.00") - 300 * paid
    assert seen and min(seen) >= 0
    entries = assert_ledger_consistent(platform)
    kinds = [e.kind for e in entries]
    assert kinds[:2] == [Kind.DEPOSIT, Kind.PAYOUT]  # the money did go in between payouts
    assert kinds.count(Kind.DEPOSIT) == 3 and kinds.count(Kind.PAYOUT) == paid
    assert Recovery.objects.count() == paid
    # and every payout not paid was refused for the balance
    assert set(payouts) <= {"ok", BLOCKED}, outcomes


def test_a_recheck_that_meets_a_payout_in_flight_skips_the_case_it_closed(
    consumer, platform, mediator, monkeypatch
):
    # given a case approved while the deposit could pay it, then the deposit drawn down
    # (a movement out does not recheck, so the case is still recorded as payable)
    deposit(platform, "300.00")
    complaint = complaint_in("compensating", consumer=consumer, platform_code=platform.code)
    guarantee_deposit_record(
        platform=platform, kind=Kind.ADJUSTMENT, amount="-300.00", reason="退还保证金"
    )
    assert AdvanceCompensation.objects.get(complaint=complaint).blocked_reason == ""
    # and the platform paying it, paused once it holds the case's row lock
    holding, resume = threading.Event(), threading.Event()
    real_lock_platform = compensation.lock_platform

    def paused_lock_platform(platform_id):
        holding.set()
        resume.wait(timeout=30)
        return real_lock_platform(platform_id)

    monkeypatch.setattr(compensation, "lock_platform", paused_lock_platform)
    # (the top-up below must not start a recheck of its own: this test runs one by hand)
    monkeypatch.setattr("mediation.services.enqueue_after_commit", lambda task, **kw: None)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (recheck_pid,) = cursor.fetchone()
    outcomes: list[str] = []

    def payer():
        try:
            pay(complaint_transition, complaint, platform)
            outcomes.append("ok")
        except WeiquanError as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    def top_up_then_resume():
        """Once the recheck waits for the case's lock, top up and let the payout go on."""
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s",
                        [recheck_pid],
                    )
                    if cursor.fetchone() == ("Lock",):
                        break
                time.sleep(0.01)
            top_up(platform, "300.00", "BANK-LATE")
        finally:
            resume.set()
            connection.close()

    paying = threading.Thread(target=payer)
    paying.start()
    assert holding.wait(timeout=30)
    releasing = threading.Thread(target=top_up_then_resume)
    releasing.start()
    try:
        # when the recheck runs: it reads a balance of 0, so the case looks blocked, and
        # it waits for the case's lock while the top-up lands and the payout completes
        compensation.compensation_recheck(platform_id=platform.pk)
    finally:
        resume.set()
        paying.join(timeout=60)
        releasing.join(timeout=60)
    # then the case was paid, and the recheck passed over it rather than failing on it
    assert outcomes == ["ok"]
    complaint.refresh_from_db()
    assert complaint.status == Status.CLOSED
    assert deposit_balance(platform) == Decimal("0.00")
