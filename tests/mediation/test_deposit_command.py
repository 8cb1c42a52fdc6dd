"""Guarantee deposits (保证金): the `deposit` command and the ledger service behind it."""

from decimal import Decimal

import pytest
from django.core.management.base import CommandError

from complaints.exceptions import DomainValidationError
from mediation.models import GuaranteeDepositEntry, deposit_balance
from mediation.services import guarantee_deposit_record
from tests.helpers import run_command

Kind = GuaranteeDepositEntry.Kind


def run(*args, **options) -> str:
    return run_command("deposit", *args, **options)


@pytest.mark.django_db
def test_deposit_records_an_entry_and_prints_the_balance(platform):
    # when a deposit is recorded
    out = run("shop", "50000.00", "--reference", "BANK-20261126-01", "--reason", "首次缴存")
    # then it is one ledger entry of kind deposit, in Decimal yuan
    entry = GuaranteeDepositEntry.objects.get()
    assert (entry.platform, entry.kind, entry.amount) == (
        platform,
        Kind.DEPOSIT,
        Decimal("50000.00"),
    )
    assert (entry.reference, entry.reason) == ("BANK-20261126-01", "首次缴存")
    assert out.rstrip().endswith("Balance: 50000.00 yuan")
    # and the next deposit adds to the balance
    out = run("shop", "1500.5")
    assert out.rstrip().endswith("Balance: 51500.50 yuan")
    assert deposit_balance(platform) == Decimal("51500.50")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope", "100.00"], "No platform"),
        (["shop", "0"], "more than zero"),
        (["shop", "0.00"], "more than zero"),
        (["shop", "-5"], "positive decimal"),
        (["shop", "12.345"], "positive decimal"),
        (["shop", "abc"], "positive decimal"),
        (["shop", "1e3"], "positive decimal"),
        (["shop", "NaN"], "positive decimal"),
        (["shop", "Infinity"], "positive decimal"),
        (["shop", "1,000"], "positive decimal"),
        (["shop", ""], "positive decimal"),
        (["shop", "12.50.1"], "positive decimal"),
        (["shop", " 1 000"], "positive decimal"),
        (["shop", "100", "--reference", "R" * 65], "reference"),
        (["shop", "100", "--reason", "很" * 301], "reason"),
        (["shop"], "amount"),
    ],
)
def test_deposit_refuses_bad_input_and_records_nothing(platform, args, message):
    # given a platform with one deposit
    run("shop", "1000.00")
    # when the command gets bad input
    with pytest.raises(CommandError, match=message):
        run(*args)
    # then the ledger is unchanged
    assert GuaranteeDepositEntry.objects.count() == 1
    assert deposit_balance(platform) == Decimal("1000.00")


# The service: the same sign rules as the table's check constraint, and no overdraft.


@pytest.mark.django_db
def test_a_payout_is_negative_and_never_overdraws(platform, consumer):
    guarantee_deposit_record(
        platform=platform,
        amount="1000.00",
        kind=Kind.DEPOSIT,
        reason="",
        reference="",
        actor_user=None,
    )
    guarantee_deposit_record(
        platform=platform,
        amount="-600.00",
        kind=Kind.PAYOUT,
        reason="先行赔付",
        reference="PAY-1",
        actor_user=None,
    )
    assert deposit_balance(platform) == Decimal("400.00")
    with pytest.raises(DomainValidationError) as exc:
        guarantee_deposit_record(
            platform=platform,
            amount=Decimal("-400.01"),
            kind=Kind.PAYOUT,
            reason="",
            reference="",
            actor_user=None,
        )
    assert "balance" in exc.value.errors["amount"][0]
    assert deposit_balance(platform) == Decimal("400.00")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kind", "amount", "reason", "field"),
    [
        (Kind.DEPOSIT, "-10.00", "", "amount"),
        (Kind.RECOVERY, "0", "", "amount"),
        (Kind.PAYOUT, "10.00", "", "amount"),
        (Kind.ADJUSTMENT, "10.00", "", "reason"),
        (Kind.ADJUSTMENT, "0.00", "更正", "amount"),
        ("gift", "10.00", "", "kind"),
        (Kind.DEPOSIT, 10.0, "", "amount"),
    ],
)
def test_the_ledger_refuses_amounts_that_do_not_fit_the_kind(platform, kind, amount, reason, field):
    with pytest.raises(DomainValidationError) as exc:
        guarantee_deposit_record(
            platform=platform,
            amount=amount,
            kind=kind,
            reason=reason,
            reference="",
            actor_user=None,
        )
    assert field in exc.value.errors
    assert not GuaranteeDepositEntry.objects.exists()


@pytest.mark.django_db
def test_an_adjustment_with_a_reason_may_go_either_way(platform, staff):
    guarantee_deposit_record(
        platform=platform,
        amount="200.00",
        kind=Kind.ADJUSTMENT,
        reason="银行到账差额更正",
        reference="ADJ-1",
        actor_user=staff,
    )
    guarantee_deposit_record(
        platform=platform,
        amount="-50.00",
        kind=Kind.ADJUSTMENT,
        reason="手续费冲正",
        reference="ADJ-2",
        actor_user=staff,
    )
    assert deposit_balance(platform) == Decimal("150.00")
    assert set(GuaranteeDepositEntry.objects.values_list("created_by", flat=True)) == {staff.pk}
