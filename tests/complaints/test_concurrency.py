"""Races: two actors on one complaint, two sweeps at once, many filings at once.

The threaded tests run on PostgreSQL with real concurrent connections; SQLite
serialises writers and cannot show a race.
"""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django_fsm import ConcurrentTransition

from complaints.actors import Actor
from complaints.choices import Status
from complaints.exceptions import WeiquanError
from complaints.models import Complaint, ComplaintEvent
from complaints.services import complaint_file, complaint_transition
from complaints.sweep import sweep_deadlines
from tests.helpers import FILING, at
from tests.states import complaint_in

PG = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def run_together(*calls):
    """Start every call at the same instant, each on its own connection; return outcomes."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[str | None] = [None] * len(calls)

    def worker(i, call):
        try:
            barrier.wait()
            call()
            outcomes[i] = "ok"
        except WeiquanError as exc:
            outcomes[i] = exc.code
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return outcomes


@pytest.mark.django_db
def test_stale_instance_cannot_overwrite_a_newer_state(consumer, platform, staff):
    # given two copies of one submitted complaint, loaded before either changes
    complaint = complaint_in("submitted", consumer=consumer, platform_code=platform.code)
    first, second = Complaint.objects.get(pk=complaint.pk), Complaint.objects.get(pk=complaint.pk)
    actor = Actor.of_user(staff)
    first.accept(actor=actor, at=at(2026, 11, 26))
    first.save()
    # when the stale copy fires another transition and saves
    second.reject(actor=actor, at=at(2026, 11, 26), reason_code="identity", reason="冒名")
    # then the optimistic lock refuses it
    with pytest.raises(ConcurrentTransition), transaction.atomic():
        second.save()
    complaint.refresh_from_db()
    assert complaint.status == Status.AWAITING_RESPONSE


RACES = {
    # two staff members decide the same new complaint at once
    "accept_vs_reject": (
        "submitted",
        ("accept", "staff", {}),
        ("reject", "staff2", {"reason_code": "identity", "reason": "冒名投诉"}),
    ),
    # the consumer clicks accept and decline in two tabs
    "accept_vs_decline": (
        "responded",
        ("accept_proposal", "consumer", {}),
        ("decline_proposal", "consumer", {}),
    ),
    # a platform integration retries its answer while the first is in flight
    "double_respond": (
        "awaiting_response",
        ("respond", "platform", {"resolution": "refund", "amount": "100", "message": "同意退款"}),
        ("respond", "platform", {"resolution": "exchange", "amount": "0", "message": "换货"}),
    ),
}


@pytest.mark.parametrize("race", sorted(RACES))
def test_two_actors_racing_on_one_complaint_exactly_one_wins(
    race, consumer, platform, staff, mediator
):
    from tests.factories import UserFactory

    source, first, second = RACES[race]
    actors = {
        "staff": Actor.of_user(staff),
        "staff2": Actor.of_user(UserFactory(username="staff2", role="staff")),
        "consumer": Actor.of_user(consumer),
        "platform": Actor.of_platform(platform),
    }
    for _ in range(3):
        complaint = complaint_in(source, consumer=consumer, platform_code=platform.code)
        events_before = complaint.events.count()

        outcomes = run_together(
            *[
                (
                    lambda n=name, r=role, b=body, pk=complaint.pk: complaint_transition(
                        complaint_id=pk, name=n, actor=actors[r], params=b
                    )
                )
                for name, role, body in (first, second)
            ]
        )

        assert sorted(outcomes) == ["ok", "transition_conflict"]
        winner = (first, second)[outcomes.index("ok")][0]
        complaint.refresh_from_db()
        assert complaint.events.count() == events_before + 1
        assert complaint.events.last().name == winner


for mark in PG:
    test_two_actors_racing_on_one_complaint_exactly_one_wins = mark(
        test_two_actors_racing_on_one_complaint_exactly_one_wins
    )


def test_two_sweeps_at_once_apply_each_deadline_once(consumer, platform, mediator):
    # given twenty complaints whose platform response is overdue
    complaints = [
        complaint_in(
            "awaiting_response", consumer=consumer, platform_code=platform.code, at=at(2026, 11, 2)
        )
        for _ in range(20)
    ]
    now = max(c.response_due for c in complaints) + timedelta(hours=1)
    results: list[Counter] = []

    def sweep():
        results.append(sweep_deadlines(now=now, batch_size=3))

    # when two sweeps run at the same moment
    outcomes = run_together(sweep, sweep)

    # then every complaint escalated exactly once, the work shared between them
    assert outcomes == ["ok", "ok"]
    assert sum(r["escalate"] for r in results) == 20
    escalations = Counter(
        ComplaintEvent.objects.filter(name="escalate").values_list("complaint_id", flat=True)
    )
    assert set(escalations.values()) == {1}
    assert len(escalations) == 20
    assert sweep_deadlines(now=now) == {}


for mark in PG:
    test_two_sweeps_at_once_apply_each_deadline_once = mark(
        test_two_sweeps_at_once_apply_each_deadline_once
    )


def test_concurrent_filings_get_unique_consecutive_references(consumer, platform):
    def file_five():
        for _ in range(5):
            complaint_file(
                consumer=consumer,
                platform=platform.code,
                at=at(2026, 11, 20),
                **{**FILING, "order_date": at(2026, 11, 1).date()},
            )

    outcomes = run_together(*[file_five] * 6)

    assert outcomes == ["ok"] * 6
    references = sorted(Complaint.objects.values_list("reference", flat=True))
    assert references == [f"TS20261120{n:04d}" for n in range(1, 31)]


for mark in PG:
    test_concurrent_filings_get_unique_consecutive_references = mark(
        test_concurrent_filings_get_unique_consecutive_references
    )
