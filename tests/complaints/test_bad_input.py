"""Odd values reaching the services from any caller (API, admin, commands, shell) are field
errors and change nothing; none of them may end in an unhandled exception."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from complaints.actors import Actor
from complaints.exceptions import DomainValidationError
from complaints.models import Complaint, ComplaintEvent
from complaints.money import parse_amount
from complaints.services import (
    complaint_file,
    complaint_transition,
    fulfilment_object,
    mediation_pause,
    mediator_reassign,
)
from mediation.models import GuaranteeDepositEntry
from mediation.services import guarantee_deposit_record
from tests.helpers import FILING
from tests.states import complaint_in

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("value", ["1e30", "-1e30", Decimal("1E+30"), 10**40, "NaN", "sNaN"])
def test_absurd_amounts_are_field_errors(value):
    with pytest.raises(DomainValidationError) as raised:
        parse_amount(value, "amount", signed=True)
    assert list(raised.value.errors) == ["amount"]


def test_negative_zero_is_plain_zero():
    assert str(parse_amount("-0", "amount")) == "0.00"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("merchant_name", 123),
        ("order_number", ["x"]),
        ("description", {"a": 1}),
        ("category", ["electronics"]),
        ("order_date", datetime(2026, 11, 1, 10, 0)),
        ("amount_paid", "1e30"),
        ("region", "３１０１１５"),  # full-width digits
        ("region", 310115),
    ],
)
def test_filing_with_odd_values_is_a_field_error(consumer, platform, field, value):
    with pytest.raises(DomainValidationError) as raised:
        complaint_file(consumer=consumer, platform=platform.code, **{**FILING, field: value})
    assert field in raised.value.errors
    assert not Complaint.objects.exists()


@pytest.fixture
def mediating(consumer, platform, mediator):
    return complaint_in("mediating", consumer=consumer, platform_code="shop")


@pytest.mark.parametrize("days", [1.9, float("inf"), Decimal("Infinity"), True, "7.5", "七"])
def test_agreement_fulfilment_days_must_be_a_whole_number(mediating, days):
    events = ComplaintEvent.objects.count()
    with pytest.raises(DomainValidationError) as raised:
        complaint_transition(
            complaint_id=mediating.pk,
            name="sign_agreement",
            actor=Actor.of_user(mediating.mediator),
            params={"terms": "退款", "amount": "100.00", "fulfilment_days": days},
        )
    assert list(raised.value.errors) == ["fulfilment_days"]
    assert ComplaintEvent.objects.count() == events


@pytest.mark.parametrize("merchant", ["abc", ["x"], {"name": 5}, {"name": "店" * 201}])
def test_a_malformed_merchant_in_an_answer_is_a_field_error(consumer, platform, merchant):
    complaint = complaint_in("awaiting_response", consumer=consumer, platform_code="shop")
    with pytest.raises(DomainValidationError) as raised:
        complaint_transition(
            complaint_id=complaint.pk,
            name="respond",
            actor=Actor.of_platform(complaint.platform),
            params={
                "resolution": "refund",
                "amount": "1.00",
                "message": "好",
                "merchant": merchant,
            },
        )
    assert all(key.startswith("merchant") for key in raised.value.errors)
    complaint.refresh_from_db()
    assert complaint.status == "awaiting_response"


def error_fields(call, **kwargs) -> list[str]:
    with pytest.raises(DomainValidationError) as raised:
        call(**kwargs)
    return list(raised.value.errors)


def test_non_text_reasons_and_a_missing_mediator_are_field_errors(mediating, staff):
    case = {"complaint_id": mediating.pk, "actor": Actor.of_user(staff)}
    assert error_fields(mediation_pause, **case, reason=123) == ["reason"]
    assert error_fields(mediation_pause, **case, reason="鉴定" * 3000) == ["reason"]
    assert error_fields(mediator_reassign, **case, mediator=None, reason="回避") == ["mediator"]
    assert error_fields(fulfilment_object, **case, reason=5) == ["reason"]
    mediating.refresh_from_db()
    assert mediating.mediation_paused_at is None


@pytest.mark.parametrize("amount", [Decimal("NaN"), "sNaN", "1e30", "-1e30"])
def test_absurd_ledger_amounts_are_field_errors(platform, amount):
    fields = error_fields(
        guarantee_deposit_record, platform=platform, amount=amount, kind="adjustment", reason="x"
    )
    assert fields == ["amount"]
    assert not GuaranteeDepositEntry.objects.exists()
