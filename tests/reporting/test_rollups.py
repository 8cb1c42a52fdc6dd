"""The summary's bounded rollups: the same figures as the day-level cube, from rows that
do not multiply with the complaints (docs/reporting.md)."""

from __future__ import annotations

from datetime import date

import pytest

from complaints.models import Platform
from complaints.services import complaint_file
from reporting import selectors
from reporting.counters import ALL_TIME, EVERY_PLATFORM, statistics_fold_all
from reporting.models import StatRollup
from reporting.selectors import StatsFilter, statistics_summary
from tests.helpers import FILING, at

pytestmark = pytest.mark.django_db

NOV = {"start": date(2026, 11, 1), "end": date(2026, 11, 30)}


def _filters() -> list[StatsFilter]:
    shop = Platform.objects.get(code="shop").pk
    return [
        StatsFilter(),
        StatsFilter(**NOV),
        StatsFilter(start=date(2026, 11, 1)),
        StatsFilter(end=date(2026, 12, 31)),
        StatsFilter(region="31", **NOV),
        StatsFilter(region="44"),
        StatsFilter(platform_id=shop, **NOV),
        StatsFilter(category="food"),
        StatsFilter(region="31", platform_id=shop, category="electronics", **NOV),
    ]


def test_a_city_or_county_is_summed_from_the_cube(dataset):
    for region in ("3101", "310115"):
        assert not selectors.whole_months(StatsFilter(region=region))
    assert statistics_summary(StatsFilter(region="310115"))["total"] == 4  # A, D, E, F


def test_rollups_give_the_cubes_figures_for_every_filter(dataset, monkeypatch):
    # given the fixed data set (November and one complaint in December)
    for f in _filters():
        assert selectors.whole_months(f)
        from_rollups = statistics_summary(f, top=20)
        # when the same summary is summed from the day-level cube instead
        with monkeypatch.context() as m:
            m.setattr(selectors, "whole_months", lambda f: False)
            from_cube = statistics_summary(f, top=20)
        # then every figure is the same
        assert from_rollups == from_cube, f
    assert statistics_summary(StatsFilter())["total"] == 6


def test_a_period_of_partial_months_is_summed_from_the_cube(dataset):
    f = StatsFilter(start=date(2026, 11, 3), end=date(2026, 11, 6))
    assert not selectors.whole_months(f)
    assert statistics_summary(f)["total"] == 3  # B, C and D


def _file(consumer, **overrides):
    when = at(2026, 11, 2)
    data = {**FILING, "order_date": date(2026, 10, 30), **overrides}
    return complaint_file(consumer=consumer, platform="shop", at=when, **data)


def _national_rows() -> int:
    statistics_fold_all()
    return StatRollup.objects.filter(
        region="", platform_id=EVERY_PLATFORM, category="", month__gt=ALL_TIME
    ).count()


def test_rollup_rows_do_not_grow_with_the_complaints(consumer, platform):
    # given complaints filed in a few places and categories
    for region in ("310115", "310104", "440305"):
        for category in ("food", "electronics"):
            _file(consumer, region=region, category=category)
    national = _national_rows()
    rows = StatRollup.objects.count()
    # when ten times as many complaints are filed in the same month, places and categories
    for _ in range(9):
        for region in ("310115", "310104", "440305"):
            for category in ("food", "electronics"):
                _file(consumer, region=region, category=category)
    # then the counts grew and the rows did not
    assert _national_rows() == national
    assert StatRollup.objects.count() == rows
    assert statistics_summary(StatsFilter())["total"] == 60
    # and what a national summary reads is one row per figure (and value) of the month
    assert national < 40


def test_the_summary_reads_only_its_own_rows(consumer, platform, django_assert_max_num_queries):
    _file(consumer)
    _file(consumer, region="440305", category="food")
    statistics_fold_all()
    # a province's summary: the journal found empty (in a savepoint here), then its
    # province's rows for the figures and breakdowns, and its top merchants
    with django_assert_max_num_queries(5) as captured:
        summary = statistics_summary(StatsFilter(region="31"))
    assert summary["total"] == 1
    assert summary["by_region"] == [{"region": "3101", "name": "上海市", "count": 1}]
    for query in captured.captured_queries:
        assert "reporting_statcounter" not in query["sql"]


def test_merchants_of_all_time_are_kept_apart(consumer, platform):
    _file(consumer, merchant_name="鲜果旗舰店")
    _file(consumer, merchant_name="鲜果旗舰店", order_number="SO-2")
    _file(consumer, merchant_name="数码小店")
    top = statistics_summary(StatsFilter(), top=1)["by_merchant"]
    assert top == [{"platform": "shop", "merchant": "鲜果旗舰店", "count": 2}]
    statistics_fold_all()
    all_time = StatRollup.objects.filter(dimension="merchant", month=ALL_TIME, region="")
    assert sorted(all_time.filter(platform_id=EVERY_PLATFORM, category="").values_list(
        "value", "n")) == [("shop:数码小店", 1), ("shop:鲜果旗舰店", 2)]  # fmt: skip
    # a dated summary sums the months instead
    later = statistics_summary(StatsFilter(start=date(2026, 12, 1)), top=1)
    assert later["by_merchant"] == [] and later["total"] == 0
