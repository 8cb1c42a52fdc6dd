"""Many transactions adding to one counter cell at once lose no increment (PostgreSQL)."""

from __future__ import annotations

import pytest

from complaints.services import complaint_file
from reporting.counters import statistics_fold_all
from reporting.models import Grain, StatCounter
from reporting.rebuild import counters_snapshot, statistics_rebuild
from tests.complaints.test_concurrency import run_together
from tests.helpers import FILING, at

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_concurrent_filings_into_one_cell_are_all_counted(consumer, platform):
    # given six connections each filing five complaints into the same cell at once
    def file_five():
        for _ in range(5):
            complaint_file(
                consumer=consumer,
                platform=platform.code,
                at=at(2026, 11, 20),
                **{**FILING, "order_date": at(2026, 11, 1).date()},
            )

    assert run_together(*[file_five] * 6) == ["ok"] * 6
    # then the one cell holds all thirty, and a rebuild agrees
    statistics_fold_all()
    filed = StatCounter.objects.get(grain=Grain.CUBE, metric="filed")
    assert (filed.n, filed.fen) == (30, 30 * 129900)
    kept = counters_snapshot()
    statistics_rebuild()
    assert counters_snapshot() == kept
