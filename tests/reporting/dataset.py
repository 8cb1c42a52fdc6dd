"""A small fixed data set built through the services, with its figures worked out by hand.

- A: filed 2 Nov (Beijing) in 310115 on `shop`, electronics / quality, claimed 1299.00;
  answered in time after 2 days, proposal accepted, confirmed 9 Nov (resolved, closed
  after 7 days); rated 5.
- B: 3 Nov, 310104, `shop`, food / delivery, 200.00, merchant 鲜果旗舰店; declined after
  7 days (in time), mediated to an agreement, advance compensation 150.00 paid 25 Nov
  (compensated, 22 days); 80.00 recovered from the merchant; rated 3.
- C: 5 Nov, 440305, `other`, electronics / quality, 500.00; not answered, escalated
  (late), mediation failed 30 Nov (25 days).
- D: 6 Nov, 310115, `shop`, electronics / counterfeit, 100.00; withdrawn.
- E: 10 Nov, 310115, `shop`, food / quality, 50.00; still submitted.
- F: 1 Dec, 310115, `shop`, electronics / quality, 10.00; still submitted (not November).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from complaints.actors import Actor
from complaints.choices import Status
from complaints.models import Complaint, User
from complaints.services import complaint_file, complaint_record_action, complaint_transition
from reporting.services import rating_record
from tests import states
from tests.helpers import FILING, at
from tests.states import actor_for

NOVEMBER = {"from": "2026-11-01", "to": "2026-11-30"}


@dataclass
class DataSet:
    cases: dict[str, Complaint]


def _file(consumer: User, platform: str, when, **overrides) -> Complaint:
    data = {**FILING, "order_date": when.date() - timedelta(days=3), **overrides}
    return complaint_file(consumer=consumer, platform=platform, at=when, **data)


def _fire(complaint: Complaint, name: str, role: str, when, **params) -> None:
    complaint_transition(
        complaint_id=complaint.pk,
        name=name,
        actor=actor_for(role, complaint),
        params=params,
        at=when,
    )


# The mediation app (in progress) makes `sign_agreement` need an agreement both parties
# confirmed, and `pay_compensation` a guarantee deposit; tests/states.py gains helpers for
# both. Where they exist they are used, so these tests pass before and after it lands.


def agreement_ready(complaint: Complaint, *, terms: str, amount: str) -> None:
    helper = getattr(states, "agreement_confirmed", None)
    if helper is not None:
        helper(complaint, terms=terms, amount=amount)


def deposit_ready(platform) -> None:
    helper = getattr(states, "deposit", None)
    if helper is not None:
        helper(platform)


def recovery_recovered(complaint: Complaint, amount: str, when) -> None:
    """The event mediation.services records when a recovery from the merchant succeeds."""
    complaint_record_action(
        complaint.pk,
        name="recovery_recovered",
        actor=Actor.system(),
        allowed_status=(Status.CLOSED,),
        permitted=lambda c: True,
        apply=lambda c: {"recovery": 1, "amount": amount},
        at=when,
    )


def build(consumer: User) -> DataSet:
    """Needs the platforms `shop` and `other`, and a mediator."""
    a = _file(consumer, "shop", at(2026, 11, 2, 10), amount_claimed=Decimal("1299.00"))
    _fire(a, "accept", "staff", at(2026, 11, 2, 11))
    _fire(a, "respond", "platform", at(2026, 11, 4, 10), resolution="refund", amount="500.00",
          message="同意退款")  # fmt: skip
    _fire(a, "accept_proposal", "consumer", at(2026, 11, 5, 10))
    _fire(a, "confirm_fulfilment", "consumer", at(2026, 11, 9, 10))
    rating_record(complaint_id=a.pk, actor=Actor.of_user(consumer), score=5, comment="很满意",
                  at=at(2026, 11, 10))  # fmt: skip

    b = _file(
        consumer, "shop", at(2026, 11, 3, 10), amount_claimed=Decimal("200.00"),
        category="food", issue_type="delivery", merchant_name="鲜果旗舰店", region="310104",
    )  # fmt: skip
    _fire(b, "accept", "staff", at(2026, 11, 3, 11))
    _fire(b, "respond", "platform", at(2026, 11, 10, 10), resolution="decline", message="不支持")
    _fire(b, "decline_proposal", "consumer", at(2026, 11, 11, 10))
    agreement_ready(b, terms="退款150元", amount="150.00")
    _fire(b, "sign_agreement", "mediator", at(2026, 11, 20, 10), terms="退款150元", amount="150.00")
    deposit_ready(b.platform)
    _fire(b, "start_compensation", "staff", at(2026, 11, 24, 10), amount="150.00")
    _fire(b, "pay_compensation", "platform", at(2026, 11, 25, 10), amount="150.00",
          transaction_ref="PAY-1")  # fmt: skip
    recovery_recovered(b, "80.00", at(2026, 11, 28, 10))
    rating_record(complaint_id=b.pk, actor=Actor.of_user(consumer), score=3, at=at(2026, 11, 29))

    c = _file(
        consumer, "other", at(2026, 11, 5, 10), amount_claimed=Decimal("500.00"), region="440305"
    )
    _fire(c, "accept", "staff", at(2026, 11, 5, 11))
    _fire(c, "escalate", "system", at(2026, 11, 25, 10))
    _fire(c, "fail_mediation", "mediator", at(2026, 11, 30, 10), reason_code="party_absent",
          reason="经营者未参加")  # fmt: skip

    d = _file(
        consumer, "shop", at(2026, 11, 6, 10), amount_claimed=Decimal("100.00"),
        issue_type="counterfeit",
    )  # fmt: skip
    _fire(d, "withdraw", "consumer", at(2026, 11, 7, 10))

    e = _file(
        consumer, "shop", at(2026, 11, 10, 10), amount_claimed=Decimal("50.00"), category="food"
    )
    f = _file(consumer, "shop", at(2026, 12, 1, 10), amount_claimed=Decimal("10.00"))
    return DataSet(cases={"A": a, "B": b, "C": c, "D": d, "E": e, "F": f})
