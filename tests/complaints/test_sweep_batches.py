"""The sweep's cost per complaint is fixed: a batch is locked and loaded at once, and
mediators are assigned from one reading of their loads (docs/performance.md)."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from complaints.choices import Status
from complaints.models import Complaint
from complaints.sweep import sweep_deadlines
from tests.factories import UserFactory
from tests.helpers import at
from tests.states import complaint_in

pytestmark = pytest.mark.django_db


PER_COMPLAINT = 15


def _due(consumer, platform, n: int) -> list[Complaint]:
    return [
        complaint_in(
            "awaiting_response", consumer=consumer, platform_code=platform.code, at=at(2026, 11, 2)
        )
        for _ in range(n)
    ]


def _sweep_queries(now) -> tuple[Counter, int, int]:
    """(result, queries, queries reading the mediators' loads)."""
    with CaptureQueriesContext(connection) as captured:
        result = sweep_deadlines(now=now, batch_size=50)
    loads = sum(1 for q in captured.captured_queries if "mediated_complaints" in q["sql"]
                or ('"role" = ' in q["sql"] and "COUNT(" in q["sql"]))  # fmt: skip
    return result, len(captured.captured_queries), loads


def test_each_escalation_costs_the_same_queries_and_loads_are_read_once(consumer, platform):
    # given two mediators and first 3, then 6 complaints past the platform's deadline
    UserFactory(username="m1", role="mediator")
    UserFactory(username="m2", role="mediator")
    first = _due(consumer, platform, 3)
    now = first[0].response_due + timedelta(hours=1)
    # when the sweep escalates them
    result, three, loads = _sweep_queries(now)
    assert result["escalate"] == 3 and loads == 1
    _due(consumer, platform, 6)
    result, six, loads = _sweep_queries(now)
    assert result["escalate"] == 6 and loads == 1
    # then each further complaint costs the same handful of queries (its savepoint,
    # update, event, evidence, counters, outbox): no read per complaint of what the
    # batch query loaded, no count over every case
    assert (six - three) / 3 <= PER_COMPLAINT
    # and the cases are shared out as evenly as the least-loaded rule shares them
    assert sorted(
        Counter(Complaint.objects.values_list("mediator__username", flat=True)).values()
    ) == [4, 5]
    assert set(Complaint.objects.values_list("status", flat=True)) == {Status.MEDIATING}
    # and a second run changes nothing
    assert sweep_deadlines(now=now + timedelta(minutes=5)) == {}


def test_a_complaint_changed_after_the_batch_query_is_left_alone(consumer, platform, mediator):
    # given a due complaint answered just before the sweep locks its batch
    complaint = _due(consumer, platform, 1)[0]
    now = complaint.response_due + timedelta(hours=1)
    from complaints.actors import Actor
    from complaints.services import complaint_transition

    complaint_transition(
        complaint_id=complaint.pk,
        name="respond",
        actor=Actor.of_platform(platform),
        at=now - timedelta(minutes=1),
        params={"resolution": "refund", "amount": "1.00", "message": "同意"},
    )
    # when the sweep runs, then it does not escalate what is no longer due
    assert sweep_deadlines(now=now).get("escalate", 0) == 0
    complaint.refresh_from_db()
    assert complaint.status == Status.RESPONDED
