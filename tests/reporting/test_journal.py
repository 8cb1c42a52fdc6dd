"""The statistics journal: each event's increments are appended in its own transaction
and added to the counters exactly once by a fold."""

from __future__ import annotations

import threading

import pytest
from django.core.management import CommandError
from django.db import connection, transaction

from complaints.models import Complaint
from complaints.services import complaint_file
from reporting.counters import statistics_fold, statistics_fold_all
from reporting.models import Grain, StatCounter, StatJournal
from reporting.rebuild import counters_snapshot, statistics_rebuild
from tests.helpers import FILING, at, run_command

WAIT = 30  # seconds: a guard against a hang, never slept


def _file(consumer, platform, **overrides):
    data = {**FILING, "order_date": at(2026, 11, 1).date(), **overrides}
    return complaint_file(consumer=consumer, platform=platform.code, at=at(2026, 11, 20), **data)


def _filed() -> tuple[int, int]:
    rows = StatCounter.objects.filter(grain=Grain.CUBE, metric="filed")
    return sum(r.n for r in rows), sum(r.fen for r in rows)


@pytest.mark.django_db
def test_an_event_is_journalled_and_folded_once(consumer, platform):
    # given two filings
    _file(consumer, platform)
    _file(consumer, platform, category="food")
    # then their increments wait in the journal, one row each, not yet in the counters
    assert StatJournal.objects.count() == 2
    assert _filed() == (0, 0)
    # when the journal is folded
    assert statistics_fold() == 2
    # then the counters hold both, the journal is empty, and a second fold adds nothing
    assert _filed() == (2, 2 * 129900)
    assert StatJournal.objects.count() == 0
    assert statistics_fold() == 0
    assert _filed() == (2, 2 * 129900)


@pytest.mark.django_db
def test_a_fold_takes_a_bounded_batch(consumer, platform):
    for n in range(3):
        _file(consumer, platform, order_number=f"SO-{n}")
    assert statistics_fold(limit=2) == 2
    assert _filed()[0] == 2
    assert StatJournal.objects.count() == 1
    assert statistics_fold_all() == 1
    assert _filed()[0] == 3


@pytest.mark.django_db
def test_a_rolled_back_event_leaves_nothing_to_fold(consumer, platform):
    # when a filing's transaction rolls back after its journal row was written
    with pytest.raises(RuntimeError), transaction.atomic():
        _file(consumer, platform)
        assert StatJournal.objects.count() == 1
        raise RuntimeError("crash after the write")
    # then nothing is pending and nothing counted
    assert StatJournal.objects.count() == 0
    assert statistics_fold_all() == 0
    assert _filed() == (0, 0)


@pytest.mark.django_db
def test_the_rebuild_replaces_what_is_pending(consumer, platform):
    # given a filing folded and one still in the journal
    _file(consumer, platform)
    statistics_fold_all()
    _file(consumer, platform, category="food")
    # when the statistics are rebuilt by the command
    run_command("rebuild_statistics")
    # then the journal is empty and the counters count both, once
    assert StatJournal.objects.count() == 0
    assert _filed() == (2, 2 * 129900)


def _on_postgres(test):
    test = pytest.mark.django_db(transaction=True, serialized_rollback=True)(test)
    return pytest.mark.postgres(test)


def _start(work, results: dict, key: str) -> threading.Thread:
    """Run `work` on a connection of its own; its result (or exception) in results[key]."""

    def run():
        try:
            results[key] = work()
        except Exception as exc:  # reported by the test, not lost in the thread
            results[key] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def _hold(work, inside: threading.Event, release: threading.Event, results: dict):
    """`_start` `work` in a transaction that stays open until released."""

    def held():
        with transaction.atomic():
            done = work()
            inside.set()
            assert release.wait(WAIT)
        return done

    return _start(held, results, "held")


@_on_postgres
def test_two_folds_at_once_count_every_event_once(consumer, platform):
    # given three filings pending
    for n in range(3):
        _file(consumer, platform, order_number=f"SO-{n}")
    # and a first fold holding two of them inside its open transaction
    inside, release, results = threading.Event(), threading.Event(), {}
    first = _hold(lambda: statistics_fold(limit=2), inside, release, results)
    try:
        assert inside.wait(WAIT)
        # when a second fold starts meanwhile (it skips the held rows, takes the third,
        # then waits for the first to release the counter rows they share)
        second = _start(statistics_fold, results, "other")
    finally:
        release.set()
        first.join(WAIT)
    second.join(WAIT)
    # then the two took different rows, and every filing is counted once, as a rebuild
    # counts it
    assert (results["held"], results["other"]) == (2, 1)
    assert _filed() == (3, 3 * 129900)
    kept = counters_snapshot()
    statistics_rebuild()
    assert counters_snapshot() == kept


@_on_postgres
def test_a_filing_does_not_wait_for_a_fold(consumer, platform):
    # given a fold holding the month's national rollup rows inside its open transaction
    _file(consumer, platform)
    inside, release, results = threading.Event(), threading.Event(), {}
    first = _hold(statistics_fold, inside, release, results)
    try:
        assert inside.wait(WAIT)
        # when a consumer files meanwhile, into the same cells
        second = _start(lambda: _file(consumer, platform, order_number="SO-2"), results, "other")
        second.join(WAIT)
        # then the filing commits while the fold is still open
        assert not second.is_alive()
        assert isinstance(results["other"], Complaint), results
    finally:
        release.set()
        first.join(WAIT)
    assert results["held"] == 1
    assert statistics_fold_all() == 1
    assert _filed() == (2, 2 * 129900)


@pytest.mark.django_db
def test_the_fold_command_folds_what_is_pending(consumer, platform):
    _file(consumer, platform)
    assert run_command("fold_statistics") == "Folded 1 statistics journal rows.\n"
    assert _filed() == (1, 129900)
    assert run_command("fold_statistics") == "Folded 0 statistics journal rows.\n"


@pytest.mark.django_db
def test_the_fold_command_refuses_a_bad_interval():
    with pytest.raises(CommandError, match="positive"):
        run_command("fold_statistics", "--every", "0")
