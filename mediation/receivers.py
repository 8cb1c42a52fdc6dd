"""Mediation's receiver of the core's one signal (connected in MediationConfig.ready).

It runs inside the transaction of every complaint change, after evidence preserved
the event: what it writes commits with the change, and what it refuses (a payout
over a cap, an agreement not confirmed) rolls the change back.
"""

from __future__ import annotations

from mediation.agreements import agreement_issue, notice_on_end
from mediation.compensation import compensation_on_pay, compensation_on_start


def on_complaint_change(sender, *, complaint, event, actor, name, **kwargs) -> None:
    if name == "sign_agreement":
        agreement_issue(complaint, event)
    elif name == "start_compensation":
        compensation_on_start(complaint, event)
    elif name == "pay_compensation":
        compensation_on_pay(complaint, event)
    elif name in ("fail_mediation", "refer"):
        notice_on_end(complaint)
