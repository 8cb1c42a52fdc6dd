"""Filings do not queue behind each other: the day's reference counter is locked for one
statement, not for a whole filing (PostgreSQL, real threads and connections)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from complaints.models import Complaint, ComplaintEvent
from complaints.services import complaint_file
from complaints.signals import complaint_transitioned
from tests.helpers import FILING, at


def on_postgres(test):
    test = pytest.mark.django_db(transaction=True, serialized_rollback=True)(test)
    return pytest.mark.postgres(test)


WAIT = 30  # seconds: a guard against a hang, never slept


def _file(consumer, platform, **overrides) -> Complaint:
    data = {**FILING, "order_date": at(2026, 11, 1).date(), **overrides}
    return complaint_file(consumer=consumer, platform=platform.code, at=at(2026, 11, 20), **data)


@on_postgres
def test_a_filing_completes_while_another_filing_is_still_open(consumer, platform):
    # given a filing of the day already made (the day's counter row exists)
    _file(consumer, platform)
    # and a first filing held open inside its transaction, after its complaint, event,
    # evidence and statistics rows are written
    inside, release = threading.Event(), threading.Event()

    def hold(sender, *, complaint, event, **kwargs):
        if threading.current_thread().name == "held":
            inside.set()
            assert release.wait(WAIT)

    complaint_transitioned.connect(hold, dispatch_uid="test.hold_filing")
    results: dict[str, object] = {}

    def held():
        try:
            results["held"] = _file(consumer, platform).reference
        except Exception as exc:  # reported below, not lost in the thread
            results["held"] = exc
        finally:
            connection.close()

    def other():
        try:
            # another category: its statistics cell is not the held filing's
            results["other"] = _file(consumer, platform, category="food").reference
        except Exception as exc:
            results["other"] = exc
        finally:
            connection.close()

    first = threading.Thread(target=held, name="held")
    second = threading.Thread(target=other, name="other")
    try:
        first.start()
        assert inside.wait(WAIT)
        # when a second consumer files meanwhile
        second.start()
        second.join(WAIT)
        # then it is done before the first commits (before: it waited on the counter row)
        assert not second.is_alive()
        assert isinstance(results["other"], str), results
    finally:
        release.set()
        first.join(WAIT)
        complaint_transitioned.disconnect(dispatch_uid="test.hold_filing")
    # and both got their own number of the day, in the order they drew them
    assert results == {"held": "TS202611200002", "other": "TS202611200003"}
    assert Complaint.objects.count() == 3
    assert ComplaintEvent.objects.filter(name="filed").count() == 3


@on_postgres
def test_many_concurrent_filings_get_unique_references(consumer, platform):
    # when eight threads file five complaints each at once
    barrier = threading.Barrier(8)
    errors: list[Exception] = []

    def file_five():
        try:
            barrier.wait(WAIT)
            for i in range(5):
                _file(consumer, platform, order_number=f"SO-{threading.get_ident()}-{i}")
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=file_five) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(WAIT * 2)
    # then every filing succeeded with its own reference; none failed, so no number
    # was skipped either (a filing that fails after drawing would leave a gap)
    assert errors == []
    references = sorted(Complaint.objects.values_list("reference", flat=True))
    assert references == [f"TS20261120{n:04d}" for n in range(1, 41)]


@pytest.mark.django_db
def test_a_refused_filing_draws_no_number(consumer, platform):
    # given a filing refused for bad input
    from complaints.exceptions import DomainValidationError

    with pytest.raises(DomainValidationError):
        _file(consumer, platform, category="nonsense")
    # then the next filing of the day is still number 1
    assert _file(consumer, platform).reference == "TS202611200001"
