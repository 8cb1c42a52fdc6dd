"""The guarantee deposit ledger (保证金) under any sequence of movements.

A Hypothesis state machine drives the public services only (deposits, adjustments,
advance-compensation payouts, recoveries recovered or written off) over two platforms'
accounts, keeps its own copy of the entries it expects, and checks after every step
that the balance is the sum of the entries, never below zero, and that no payout
broke a cap. The database's check constraint is then shown to hold on its own.

Each example runs in a savepoint rolled back at its end (`teardown`). The
`hypothesis.extra.django.TestCase` + `Machine.TestCase` pattern gives a transaction
per example only to `@given` methods: a state machine's examples all run inside one
`runTest` that it hands to plain unittest, so rows leak from one example to the next.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from complaints.actors import Actor
from complaints.choices import Status
from complaints.exceptions import DomainValidationError
from complaints.models import Complaint, Platform
from complaints.services import complaint_file, complaint_transition
from mediation.compensation import recovery_recover, recovery_write_off
from mediation.exceptions import CompensationBlocked, RecoveryClosed
from mediation.models import AdvanceCompensation, GuaranteeDepositEntry, Recovery, deposit_balance
from mediation.services import guarantee_deposit_record, transition_fire
from tests.helpers import FILING
from tests.states import PATHS, actor_for, deposit

Kind = GuaranteeDepositEntry.Kind
FEN = Decimal("0.01")
ZERO = Decimal("0.00")

# The pool of compensating cases, walked once per test and restored by every example's
# rollback: (platform code, merchant identified, approved amount). "shop" committed to
# advance compensation with a cap of 400 yuan per case, so the cap binds its identified
# merchants only; "other" did not commit, so only its unidentified merchants are
# eligible (CRPL art. 44) and its cap of 100 yuan never applies.
POOL = [
    ("shop", True, "300.00"),
    ("shop", True, "600.00"),
    ("shop", False, "600.00"),
    ("other", False, "300.00"),
    ("other", False, "900.00"),
]
MERCHANT = {
    "name": "优选数码专营店",
    "address": "上海市浦东新区世纪大道100号",
    "contact": "021-55550000",
}


def yuan(fen: int) -> Decimal:
    """Whole fen to yuan, exactly: no float on the way."""
    return (Decimal(fen) / 100).quantize(FEN)


def fen_of(amount: Decimal) -> int:
    return int(amount * 100)


def raw_sum(platform_id: int) -> Decimal:
    """SUM(amount) straight from the table, past the ORM and `deposit_balance`."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COALESCE(SUM(amount), 0) FROM mediation_guaranteedepositentry "
            "WHERE platform_id = %s",
            [platform_id],
        )
        (total,) = cursor.fetchone()
    # PostgreSQL's numeric comes back exact; SQLite keeps decimals as REAL.
    return Decimal(str(total)).quantize(FEN)


def compensating(*, consumer, platform_code: str, identified: bool, approved: str) -> Complaint:
    """Walk a complaint to `compensating` through the services, as tests.states does, with
    the merchant named in the platform's answer when `identified` (then the platform's
    commitment is the basis) and `approved` yuan of advance compensation."""
    steps = [
        (
            name,
            role,
            {**params, "merchant": MERCHANT} if identified and name == "respond" else params,
        )
        for name, role, params in PATHS["mediating"]
    ]
    steps.append(("start_compensation", "mediator", {"amount": approved}))
    when = timezone.now() - timedelta(hours=len(steps) + 1)
    data = {**FILING, "order_date": timezone.localdate(when) - timedelta(days=5)}
    complaint = complaint_file(consumer=consumer, platform=platform_code, at=when, **data)
    for name, role, params in steps:
        when += timedelta(hours=1)
        complaint = complaint_transition(
            complaint_id=complaint.pk,
            name=name,
            actor=actor_for(role, complaint),
            at=when,
            params=params,
        )
    return complaint


@dataclass
class Account:
    """The machine's own copy of one platform's ledger: (kind, signed amount) in order."""

    platform: Platform
    entries: list[tuple[str, Decimal]] = field(default_factory=list)

    @property
    def balance(self) -> Decimal:
        return sum((amount for _, amount in self.entries), ZERO)


@dataclass
class Case:
    complaint_id: int
    account: Account
    approved: Decimal
    basis: str
    paid: Decimal | None = None


@dataclass
class Claim:
    """A recovery the machine opened by paying, and what became of it."""

    recovery_id: int
    account: Account
    amount: Decimal
    state: str = Recovery.State.PENDING
    recovered: Decimal | None = None


@dataclass
class World:
    """What every example starts from: the platforms, the staff member and the pool."""

    platforms: dict[str, Platform]
    staff: Actor
    pool: list[tuple[int, str, Decimal, str]]  # complaint id, platform code, approved, basis


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self, world: World) -> None:
        super().__init__()
        # Everything an example writes is rolled back in teardown().
        self._example = transaction.atomic()
        self._example.__enter__()
        self.world = world
        self.accounts = {code: Account(platform=p) for code, p in world.platforms.items()}
        self.cases = [
            Case(complaint_id=pk, account=self.accounts[code], approved=approved, basis=basis)
            for pk, code, approved, basis in world.pool
        ]
        self.claims: list[Claim] = []
        self.counter = 0

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self._example.__exit__(None, None, None)

    def _reference(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}-{self.counter}"

    def _entry_count(self) -> int:
        return GuaranteeDepositEntry.objects.count()

    # Money in, money out, by hand.

    @rule(
        code=st.sampled_from(["shop", "other"]),
        fen=st.one_of(
            st.integers(10_000, 200_000),
            st.integers(1, 10_000),
            st.integers(10_000, 200_000),
            st.sampled_from([0, -1]),  # refused
        ),
    )
    def top_up(self, code: str, fen: int) -> None:
        account, amount = self.accounts[code], yuan(fen)
        before = self._entry_count()
        try:
            guarantee_deposit_record(
                platform=account.platform,
                kind=Kind.DEPOSIT,
                amount=amount,
                reference=self._reference("BANK"),
                actor_user=self.world.staff.user,
            )
        except DomainValidationError:
            assert amount <= 0, f"deposit of {amount} refused"
            assert self._entry_count() == before
        else:
            assert amount > 0, f"deposit of {amount} accepted"
            account.entries.append((Kind.DEPOSIT, amount))

    @rule(
        code=st.sampled_from(["shop", "other"]),
        fen=st.integers(-200_000, 200_000),
        reason=st.sampled_from(["银行手续费冲正", "对账差额调整", ""]),
    )
    def adjust(self, code: str, fen: int, reason: str) -> None:
        account, amount = self.accounts[code], yuan(fen)
        refused = amount == 0 or not reason or account.balance + amount < 0
        before = self._entry_count()
        try:
            guarantee_deposit_record(
                platform=account.platform, kind=Kind.ADJUSTMENT, amount=amount, reason=reason
            )
        except DomainValidationError:
            assert refused, f"adjustment of {amount} ({reason!r}) refused"
            assert self._entry_count() == before
        else:
            assert not refused, f"adjustment of {amount} ({reason!r}) accepted"
            account.entries.append((Kind.ADJUSTMENT, amount))

    # Advance compensation (先行赔付).

    def _unpaid(self) -> list[Case]:
        return [c for c in self.cases if c.paid is None]

    @precondition(lambda self: self._unpaid())
    @rule(
        data=st.data(),
        entry_point=st.sampled_from(["complaint_transition", "transition_fire"]),
        payer=st.sampled_from(["platform", "staff"]),
    )
    def pay(self, data, entry_point: str, payer: str) -> None:
        case = data.draw(st.sampled_from(self._unpaid()), label="case")
        account = case.account
        platform = Platform.objects.get(pk=account.platform.pk)
        cap = platform.advance_compensation_cap if case.basis == "commitment" else None
        balance_before = deposit_balance(platform)
        # mostly within the approved amount (and the balance), often on an edge (the
        # approved amount, the cap, the balance, or a fen past one), now and then far over
        approved, balance = fen_of(case.approved), fen_of(balance_before)
        edges = {approved, balance} | ({fen_of(cap)} if cap is not None else set())
        fen = data.draw(
            st.one_of(
                st.integers(1, max(1, min(approved, balance))),
                st.integers(1, approved),
                st.sampled_from(sorted(e + d for e in edges for d in (0, 1) if e + d > 0)),
                st.integers(approved + 1, approved + 50_000),
            ),
            label="fen",
        )
        amount = yuan(fen)
        if amount > case.approved:
            expected = "domain_validation_error"
        elif cap is not None and amount > cap:
            expected = AdvanceCompensation.Block.COMMITMENT_CAP
        elif amount > balance_before:
            expected = AdvanceCompensation.Block.DEPOSIT_BALANCE
        else:
            expected = "paid"
        entries_before = self._entry_count()
        fire = complaint_transition if entry_point == "complaint_transition" else transition_fire
        actor = Actor.of_platform(platform) if payer == "platform" else self.world.staff
        try:
            fire(
                complaint_id=case.complaint_id,
                name="pay_compensation",
                actor=actor,
                params={"amount": amount, "transaction_ref": self._reference("PAY")},
            )
        except CompensationBlocked as exc:
            outcome = exc.reason
        except DomainValidationError:
            outcome = "domain_validation_error"
        else:
            outcome = "paid"
        assert outcome == expected, f"paying {amount}: {outcome}, expected {expected}"

        complaint = Complaint.objects.get(pk=case.complaint_id)
        compensation = AdvanceCompensation.objects.get(complaint_id=case.complaint_id)
        if outcome != "paid":
            # then nothing moved: no entry, no recovery, the case still waits for payment
            assert self._entry_count() == entries_before
            assert complaint.status == Status.COMPENSATING
            assert compensation.payout_id is None and compensation.paid_at is None
            assert not Recovery.objects.filter(complaint_id=case.complaint_id).exists()
            return
        # no payout exceeds the approved amount, the commitment cap or the balance before it
        assert amount <= case.approved
        assert cap is None or amount <= cap
        assert amount <= balance_before
        assert self._entry_count() == entries_before + 1
        assert complaint.status == Status.CLOSED and complaint.compensated_amount == amount
        assert compensation.payout.amount == -amount
        case.paid = amount
        account.entries.append((Kind.PAYOUT, -amount))
        recovery = Recovery.objects.get(complaint_id=case.complaint_id)
        self.claims.append(Claim(recovery_id=recovery.pk, account=account, amount=amount))

    # Recovery (追偿) from the merchant.

    def _pending(self) -> list[Claim]:
        return [c for c in self.claims if c.state == Recovery.State.PENDING]

    def _closed(self) -> list[Claim]:
        return [c for c in self.claims if c.state != Recovery.State.PENDING]

    @precondition(lambda self: self._pending())
    @rule(data=st.data())
    def recover(self, data) -> None:
        claim = data.draw(st.sampled_from(self._pending()), label="claim")
        full = fen_of(claim.amount)
        fen = data.draw(
            st.one_of(st.just(full), st.integers(1, full), st.integers(full + 1, full + 10_000)),
            label="fen",
        )
        amount, before = yuan(fen), self._entry_count()
        try:
            recovery_recover(
                recovery_id=claim.recovery_id,
                actor=self.world.staff,
                amount=amount,
                reference=self._reference("BACK"),
            )
        except DomainValidationError:
            assert amount > claim.amount, f"recovering {amount} of {claim.amount} refused"
            assert self._entry_count() == before
            return
        assert amount <= claim.amount, f"recovered {amount} of {claim.amount}"
        claim.state, claim.recovered = Recovery.State.RECOVERED, amount
        claim.account.entries.append((Kind.RECOVERY, amount))

    @precondition(lambda self: self._pending())
    @rule(data=st.data())
    def write_off(self, data) -> None:
        claim = data.draw(st.sampled_from(self._pending()), label="claim")
        before = self._entry_count()
        recovery_write_off(
            recovery_id=claim.recovery_id, actor=self.world.staff, reason="商家已注销"
        )
        assert self._entry_count() == before
        claim.state = Recovery.State.WRITTEN_OFF

    @precondition(lambda self: self._closed())
    @rule(data=st.data(), again=st.sampled_from(["recover", "write_off"]))
    def close_again(self, data, again: str) -> None:
        claim = data.draw(st.sampled_from(self._closed()), label="claim")
        before = self._entry_count()
        with pytest.raises(RecoveryClosed):
            if again == "recover":
                recovery_recover(recovery_id=claim.recovery_id, actor=self.world.staff, amount="1")
            else:
                recovery_write_off(
                    recovery_id=claim.recovery_id, actor=self.world.staff, reason="重复核销"
                )
        assert self._entry_count() == before

    # After every step.

    @invariant()
    def the_balance_is_the_sum_of_the_entries_and_never_negative(self) -> None:
        for code, account in self.accounts.items():
            rows = list(
                GuaranteeDepositEntry.objects.filter(platform=account.platform)
                .order_by("id")
                .values_list("kind", "amount")
            )
            balance = deposit_balance(account.platform)
            assert rows == account.entries, code
            assert balance == account.balance == raw_sum(account.platform.pk), code
            assert balance >= 0, code
            running = ZERO
            for _, amount in rows:  # nor below zero at any point of its history
                running += amount
                assert running >= 0, code

    @invariant()
    def every_payout_is_within_its_caps_and_has_exactly_one_recovery(self) -> None:
        payouts = GuaranteeDepositEntry.objects.filter(kind=Kind.PAYOUT).select_related("platform")
        for entry in payouts:
            paid = -entry.amount
            compensation = AdvanceCompensation.objects.get(payout=entry)
            assert compensation.complaint_id == entry.complaint_id
            assert paid <= compensation.amount
            if compensation.basis == AdvanceCompensation.Basis.COMMITMENT:
                assert paid <= entry.platform.advance_compensation_cap
            (recovery,) = Recovery.objects.filter(complaint_id=entry.complaint_id)
            assert recovery.amount == paid and recovery.platform_id == entry.platform_id
        assert Recovery.objects.count() == payouts.count()

    @invariant()
    def a_recovered_amount_never_exceeds_the_recovery(self) -> None:
        for claim in self.claims:
            recovery = Recovery.objects.select_related("credit").get(pk=claim.recovery_id)
            assert recovery.state == claim.state
            if recovery.state == Recovery.State.RECOVERED:
                assert ZERO < recovery.recovered_amount <= recovery.amount
                assert recovery.recovered_amount == claim.recovered
                assert recovery.credit.kind == Kind.RECOVERY
                assert recovery.credit.amount == recovery.recovered_amount
            else:
                assert recovery.credit_id is None


@pytest.mark.django_db
def test_the_deposit_ledger_holds_its_invariants_under_any_sequence(
    platform, other_platform, consumer, mediator, staff
):
    # given a platform with a commitment and a cap, another without, no money yet, and a
    # pool of approved compensations on both
    platform.advance_compensation_committed = True
    platform.advance_compensation_cap = Decimal("400.00")
    platform.save()
    other_platform.advance_compensation_cap = Decimal("100.00")
    other_platform.save()
    pool = []
    for code, identified, approved in POOL:
        complaint = compensating(
            consumer=consumer, platform_code=code, identified=identified, approved=approved
        )
        basis = AdvanceCompensation.objects.get(complaint=complaint).basis
        assert basis == ("commitment" if identified else "unidentified_merchant")
        pool.append((complaint.pk, code, Decimal(approved), basis))
    world = World(
        platforms={"shop": platform, "other": other_platform},
        staff=Actor.of_user(staff),
        pool=pool,
    )

    # when any sequence of movements runs, then every invariant holds after each step
    run_state_machine_as_test(
        lambda: LedgerMachine(world),
        settings=settings(
            max_examples=40,
            stateful_step_count=25,
            deadline=None,
            derandomize=True,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
    # and every example was rolled back
    assert not GuaranteeDepositEntry.objects.exists()
    assert Complaint.objects.filter(status=Status.COMPENSATING).count() == len(POOL)


# The database holds the sign rule on its own: bypass the service and it still refuses.

SIGN_CONSTRAINT = "deposit_entry_sign_matches_kind"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kind", "amount", "reason"),
    [
        (Kind.DEPOSIT, "-500.00", ""),
        (Kind.DEPOSIT, "0.00", ""),
        (Kind.RECOVERY, "-0.01", ""),
        (Kind.PAYOUT, "300.00", ""),
        (Kind.ADJUSTMENT, "0.00", "对账差额调整"),
        (Kind.ADJUSTMENT, "-20.00", ""),
    ],
)
def test_the_database_refuses_an_entry_whose_sign_contradicts_its_kind(
    platform, kind, amount, reason
):
    # when an entry is written past the service, with the wrong sign (or no reason)
    with pytest.raises(IntegrityError, match=SIGN_CONSTRAINT), transaction.atomic():
        GuaranteeDepositEntry.objects.create(
            platform=platform, kind=kind, amount=Decimal(amount), reason=reason
        )
    # then nothing was written
    assert not GuaranteeDepositEntry.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kind", "wrong"),
    [(Kind.DEPOSIT, {"amount": Decimal("-500.00")}), (Kind.DEPOSIT, {"kind": Kind.PAYOUT})],
)
def test_the_database_refuses_an_update_that_flips_an_entrys_sign(platform, kind, wrong):
    # given a deposit of 500 yuan recorded through the service
    deposit(platform, "500.00")
    # when a bulk update turns it into money out without a matching sign
    with pytest.raises(IntegrityError, match=SIGN_CONSTRAINT), transaction.atomic():
        GuaranteeDepositEntry.objects.filter(platform=platform, kind=kind).update(**wrong)
    # then the ledger is as it was
    assert deposit_balance(platform) == Decimal("500.00")
    assert list(GuaranteeDepositEntry.objects.values_list("kind", "amount")) == [
        (Kind.DEPOSIT, Decimal("500.00"))
    ]


@pytest.mark.django_db
def test_the_database_refuses_turning_a_payout_into_money_in(platform, consumer, mediator):
    # given a real payout of 300 yuan from a deposit of 1000
    deposit(platform, "1000.00")
    complaint = compensating(
        consumer=consumer, platform_code=platform.code, identified=False, approved="300.00"
    )
    complaint_transition(
        complaint_id=complaint.pk,
        name="pay_compensation",
        actor=Actor.of_platform(platform),
        params={"amount": "300.00", "transaction_ref": "PAY-1"},
    )
    assert deposit_balance(platform) == Decimal("700.00")
    # when its sign is flipped behind the service's back
    with pytest.raises(IntegrityError, match=SIGN_CONSTRAINT), transaction.atomic():
        GuaranteeDepositEntry.objects.filter(kind=Kind.PAYOUT).update(amount=Decimal("300.00"))
    # then the balance still counts it as paid out
    assert deposit_balance(platform) == Decimal("700.00")
