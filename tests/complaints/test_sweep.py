"""The deadline sweep: what each passed deadline means, applied once."""

from __future__ import annotations

from datetime import timedelta

import pytest

from complaints.actors import Actor
from complaints.choices import FailReason, Outcome, Status
from complaints.models import Complaint, ComplaintEvent
from complaints.services import fulfilment_object, fulfilment_report, mediation_pause
from complaints.sweep import sweep_deadlines
from tests.helpers import at
from tests.states import complaint_in

pytestmark = pytest.mark.django_db


def events(complaint: Complaint) -> list[str]:
    return list(complaint.events.values_list("name", flat=True))


def test_overdue_platform_response_escalates_once(consumer, platform, mediator):
    # given a complaint the platform has not answered by its deadline
    complaint = complaint_in(
        "awaiting_response", consumer=consumer, platform_code=platform.code, at=at(2026, 11, 2)
    )
    after = complaint.response_due + timedelta(hours=1)
    # when the sweep runs past the deadline
    first = sweep_deadlines(now=after)
    complaint.refresh_from_db()
    # then it is in mediation, the platform is marked late and a mediator assigned
    assert first["escalate"] == 1
    assert complaint.status == Status.MEDIATING
    assert complaint.platform_late is True
    assert complaint.mediator == mediator
    assert events(complaint)[-1] == "escalate"
    # and a second run changes nothing
    count = ComplaintEvent.objects.count()
    assert sweep_deadlines(now=after + timedelta(minutes=5)) == {}
    assert ComplaintEvent.objects.count() == count


def test_nothing_happens_before_a_deadline(consumer, platform):
    complaint = complaint_in(
        "awaiting_response", consumer=consumer, platform_code=platform.code, at=at(2026, 11, 2)
    )
    assert sweep_deadlines(now=complaint.response_due - timedelta(minutes=1)) == {}
    complaint.refresh_from_db()
    assert complaint.status == Status.AWAITING_RESPONSE


def test_overdue_acceptance_is_flagged_to_staff_once(consumer, platform):
    complaint = complaint_in(
        "submitted", consumer=consumer, platform_code=platform.code, at=at(2026, 11, 2)
    )
    after = complaint.acceptance_due + timedelta(seconds=1)
    assert sweep_deadlines(now=after) == {"acceptance_overdue": 1}
    assert sweep_deadlines(now=after + timedelta(days=3)) == {}
    complaint.refresh_from_db()
    assert complaint.status == Status.SUBMITTED
    assert complaint.acceptance_overdue is True
    assert events(complaint).count("acceptance_overdue") == 1


def test_silent_consumer_is_reminded_once_then_closed_no_reply(consumer, platform):
    # given a proposal the consumer does not answer
    complaint = complaint_in(
        "responded", consumer=consumer, platform_code=platform.code, at=at(2026, 11, 2)
    )
    due = complaint.proposal_due
    # when the reminder window opens, one reminder goes out
    assert sweep_deadlines(now=due - timedelta(days=1)) == {"proposal_reminder": 1}
    assert sweep_deadlines(now=due - timedelta(hours=20)) == {}
    complaint.refresh_from_db()
    assert complaint.proposal_due >= due  # at least the reminder window is left
    # then after the deadline the complaint closes with no_reply
    assert sweep_deadlines(now=complaint.proposal_due + timedelta(minutes=1)) == {
        "close_no_reply": 1
    }
    complaint.refresh_from_db()
    assert (complaint.status, complaint.outcome) == (Status.CLOSED, Outcome.NO_REPLY)
    assert events(complaint)[-2:] == ["proposal_reminder", "close_no_reply"]


def test_a_late_sweep_still_reminds_before_closing(consumer, platform):
    # given the sweep did not run at all during the decision window
    complaint = complaint_in(
        "responded", consumer=consumer, platform_code=platform.code, at=at(2026, 11, 2)
    )
    late = complaint.proposal_due + timedelta(days=3)
    # when it runs, the consumer is reminded and given the reminder window first
    assert sweep_deadlines(now=late) == {"proposal_reminder": 1}
    complaint.refresh_from_db()
    assert complaint.status == Status.RESPONDED
    assert complaint.proposal_due > late
    assert sweep_deadlines(now=complaint.proposal_due + timedelta(seconds=1)) == {
        "close_no_reply": 1
    }


def test_mediation_past_its_limit_fails_with_time_limit(consumer, platform, mediator):
    complaint = complaint_in(
        "mediating", consumer=consumer, platform_code=platform.code, at=at(2026, 8, 3)
    )
    assert sweep_deadlines(now=complaint.mediation_due + timedelta(minutes=1)) == {
        "fail_mediation": 1
    }
    complaint.refresh_from_db()
    assert complaint.outcome == Outcome.MEDIATION_FAILED
    assert complaint.reason_code == FailReason.TIME_LIMIT
    assert complaint.notice_due is not None
    assert complaint.events.last().actor_role == "system"


def test_paused_mediation_is_not_failed(consumer, platform, mediator):
    complaint = complaint_in(
        "mediating", consumer=consumer, platform_code=platform.code, at=at(2026, 8, 3)
    )
    mediation_pause(
        complaint_id=complaint.pk,
        actor=Actor.of_user(mediator),
        reason="鉴定中",
        at=at(2026, 8, 20),
    )
    assert sweep_deadlines(now=complaint.mediation_due + timedelta(days=1)) == {}
    complaint.refresh_from_db()
    assert complaint.status == Status.MEDIATING


def test_silence_after_reported_fulfilment_closes_as_resolved(consumer, platform):
    complaint = complaint_in(
        "settled", consumer=consumer, platform_code=platform.code, at=at(2026, 11, 2)
    )
    complaint = fulfilment_report(
        complaint_id=complaint.pk,
        actor=Actor.of_platform(platform),
        note="已退款",
        at=at(2026, 11, 4),
    )
    assert sweep_deadlines(now=complaint.objection_due + timedelta(minutes=1)) == {
        "confirm_fulfilment": 1
    }
    complaint.refresh_from_db()
    assert (complaint.status, complaint.outcome) == (Status.CLOSED, Outcome.RESOLVED)


def test_objection_stops_automatic_closure(consumer, platform):
    complaint = complaint_in(
        "settled", consumer=consumer, platform_code=platform.code, at=at(2026, 11, 2)
    )
    complaint = fulfilment_report(
        complaint_id=complaint.pk, actor=Actor.of_platform(platform), at=at(2026, 11, 4)
    )
    due = complaint.objection_due
    complaint = fulfilment_object(
        complaint_id=complaint.pk,
        actor=Actor.of_user(consumer),
        reason="未收到退款",
        at=at(2026, 11, 5),
    )
    # the objection itself flags the case and ends the objection window
    assert complaint.fulfilment_missed is True and complaint.objection_due is None
    assert "confirm_fulfilment" not in sweep_deadlines(now=due + timedelta(days=1))
    complaint.refresh_from_db()
    assert complaint.status == Status.SETTLED
    assert complaint.fulfilment_missed is True


def test_missed_fulfilment_is_flagged_once(consumer, platform):
    complaint = complaint_in(
        "settled", consumer=consumer, platform_code=platform.code, at=at(2026, 11, 2)
    )
    after = complaint.fulfilment_due + timedelta(minutes=1)
    assert sweep_deadlines(now=after) == {"fulfilment_missed": 1}
    assert sweep_deadlines(now=after) == {}
    complaint.refresh_from_db()
    assert complaint.fulfilment_missed is True
    assert complaint.events.last().payload["advance_compensation_eligible"] is True


def test_sweep_works_through_every_batch(consumer, platform, mediator):
    complaints = [
        complaint_in(
            "awaiting_response", consumer=consumer, platform_code=platform.code, at=at(2026, 11, 2)
        )
        for _ in range(5)
    ]
    later = max(c.response_due for c in complaints) + timedelta(hours=1)
    assert sweep_deadlines(now=later, batch_size=2) == {"escalate": 5}
    assert set(Complaint.objects.values_list("status", flat=True)) == {Status.MEDIATING}
