"""The sweep writes a batch set-based: its cost in statements does not grow with the
batch, mediators are assigned from one reading of their loads, and every complaint
still gets its event, evidence record, statistics, webhook and notification
(docs/performance.md)."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from api.models import WebhookMessage
from api.webhooks.services import webhook_endpoint_create
from complaints.choices import Status
from complaints.models import Complaint
from complaints.sweep import sweep_deadlines
from evidence.models import EvidenceRecord
from reporting.rebuild import counters_snapshot, statistics_rebuild
from tests.factories import UserFactory
from tests.helpers import at, run_command
from tests.states import complaint_in

pytestmark = pytest.mark.django_db


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


def test_a_batch_costs_the_same_queries_whatever_its_size(consumer, platform):
    # given two mediators and first 3, then 12 complaints past the platform's deadline
    UserFactory(username="m1", role="mediator")
    UserFactory(username="m2", role="mediator")
    first = _due(consumer, platform, 3)
    now = first[0].response_due + timedelta(hours=1)
    # when the sweep escalates them
    result, three, loads = _sweep_queries(now)
    assert result["escalate"] == 3 and loads == 1
    _due(consumer, platform, 12)
    result, twelve, loads = _sweep_queries(now)
    assert result["escalate"] == 12 and loads == 1
    # then four times the complaints cost no more statements: one UPDATE of the
    # complaints, one INSERT each of the events, evidence blobs and records, one UPDATE
    # of the chain heads, one statistics journal row, whatever the batch's size (the
    # first run also read the working-day calendar, which is then cached)
    assert twelve <= three
    # and the cases are shared out as evenly as the least-loaded rule shares them
    assert sorted(
        Counter(Complaint.objects.values_list("mediator__username", flat=True)).values()
    ) == [7, 8]
    assert set(Complaint.objects.values_list("status", flat=True)) == {Status.MEDIATING}
    # and a second run changes nothing
    assert sweep_deadlines(now=now + timedelta(minutes=5)) == {}


def test_a_batch_writes_for_each_complaint_what_one_transition_writes(
    consumer, platform, mediator, django_capture_on_commit_callbacks
):
    # given a platform with a webhook endpoint and five complaints past its deadline
    webhook_endpoint_create(platform=platform, url="https://hooks.shop.example/wq")
    due = _due(consumer, platform, 5)
    now = due[0].response_due + timedelta(hours=1)
    # when the sweep escalates them in one batch
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_deadlines(now=now, batch_size=50) == {"escalate": 5}
    for complaint in due:
        complaint.refresh_from_db()
        event = complaint.events.get(name="escalate")
        # then each has its event, at the sweep's time, moved to mediation
        assert (event.from_status, event.to_status, event.created_at) == (
            Status.AWAITING_RESPONSE, Status.MEDIATING, now
        )  # fmt: skip
        assert complaint.status == Status.MEDIATING and complaint.updated_at > now
        # its evidence record, next in its own chain
        record = EvidenceRecord.objects.get(event=event)
        assert record.seq == EvidenceRecord.objects.filter(chain=record.chain).count()
        # and its webhook message
        assert WebhookMessage.objects.filter(payload__data__event_id=event.pk).count() == 1
    # and every chain still verifies, and the statistics equal a rebuild's
    out = run_command("verify_evidence")
    assert "OK" in out, out
    kept = counters_snapshot()
    statistics_rebuild()
    assert counters_snapshot() == kept
    # and the parties were told (the platform's notice address, by the batch's one task)
    assert any("TS" in message.subject for message in mail.outbox)


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
