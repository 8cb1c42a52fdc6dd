"""`GET /api/v1/stats/summary/` and `/timeseries/`: each figure against hand-worked ones."""

from __future__ import annotations

import pytest

from complaints.selectors import region_name
from reporting.counters import statistics_fold_all
from tests.api.clients import client_for
from tests.factories import UserFactory
from tests.helpers import PROBLEM
from tests.reporting.dataset import NOVEMBER

pytestmark = pytest.mark.django_db
SUMMARY = "/api/v1/stats/summary/"
TIMESERIES = "/api/v1/stats/timeseries/"


def get(user, path, **params):
    return client_for(user).get(path, params)


def test_november_summary_for_staff(dataset, staff):
    response = get(staff, SUMMARY, **NOVEMBER)
    assert response.status_code == 200, response.content
    s = response.json()
    assert s["total"] == 5
    assert s["by_status"] == {
        "submitted": 1, "rejected": 0, "awaiting_response": 0, "responded": 0, "mediating": 0,
        "settled": 0, "compensating": 0, "closed": 3, "withdrawn": 1,
    }  # fmt: skip
    assert s["by_outcome"] == {
        "resolved": 1,
        "compensated": 1,
        "mediation_failed": 1,
        "referred": 0,
        "no_reply": 0,
    }
    assert s["by_platform"] == [
        {"platform": "shop", "name": "好物商城", "count": 4, "amount_claimed": "1649.00"},
        {"platform": "other", "name": "另一平台", "count": 1, "amount_claimed": "500.00"},
    ]
    assert s["by_merchant"] == [
        {"platform": "shop", "merchant": "优选数码专营店", "count": 3},
        {"platform": "other", "merchant": "优选数码专营店", "count": 1},
        {"platform": "shop", "merchant": "鲜果旗舰店", "count": 1},
    ]
    assert s["by_category"] == [
        {"category": "electronics", "label": "家用电子电器", "count": 3},
        {"category": "food", "label": "食品", "count": 2},
    ]
    assert s["by_issue_type"] == [
        {"issue_type": "quality", "label": "质量问题", "count": 3},
        {"issue_type": "counterfeit", "label": "假冒伪劣", "count": 1},
        {"issue_type": "delivery", "label": "发货及物流", "count": 1},
    ]
    assert s["region_level"] == "province"
    assert s["by_region"] == [
        {"region": "31", "name": "上海市", "count": 4},
        {"region": "44", "name": "广东省", "count": 1},
    ]
    assert s["amount_claimed"] == "2149.00"
    assert s["amount_compensated"] == "150.00"
    assert s["amount_recovered"] == "80.00"
    assert (s["compensated_count"], s["recovered_count"], s["responded_count"]) == (1, 1, 3)
    # A and B answered in time, C escalated unanswered
    assert s["response_within_deadline_rate"] == 0.6667
    # days to respond: A 2, B 7; to close: A 7, B 22, C 25
    assert s["median_days_to_respond"] == 4.5
    assert s["median_days_to_close"] == 22.0
    assert s["resolution_rate"] == 0.6667  # resolved and compensated, of three closed
    assert s["mediation_success_rate"] == 0.5  # B agreed, C failed
    assert s["satisfaction"] == {
        "count": 2,
        "average": 4.0,
        "distribution": {"1": 0, "2": 0, "3": 1, "4": 0, "5": 1},
    }


def test_filters_narrow_every_figure(dataset, staff):
    # the whole time: F (1 Dec) counts too
    assert get(staff, SUMMARY).json()["total"] == 6
    assert get(staff, SUMMARY, **{"from": "2026-12-01"}).json()["amount_claimed"] == "10.00"
    only_food = get(staff, SUMMARY, category="food", **NOVEMBER).json()
    assert (only_food["total"], only_food["amount_claimed"]) == (2, "250.00")
    other = get(staff, SUMMARY, platform="other", **NOVEMBER).json()
    assert (other["total"], other["by_outcome"]["mediation_failed"]) == (1, 1)
    assert other["mediation_success_rate"] == 0.0
    assert other["median_days_to_respond"] is None


def test_region_drills_from_province_to_city_to_county(dataset, staff):
    city = get(staff, SUMMARY, region="31", **NOVEMBER).json()
    assert city["region_level"] == "city"
    assert [(r["region"], r["count"]) for r in city["by_region"]] == [("3101", 4)]
    county = get(staff, SUMMARY, region="3101", **NOVEMBER).json()
    assert county["region_level"] == "county"
    assert county["by_region"] == [
        {"region": "310115", "name": region_name("310115"), "count": 3},
        {"region": "310104", "name": region_name("310104"), "count": 1},
    ]


def test_a_regulator_sees_only_its_region(dataset, regulator):
    # given Shanghai's regulator (prefix 31): without a filter, Shanghai only
    s = get(regulator, SUMMARY, **NOVEMBER).json()
    assert s["total"] == 4
    assert [p["platform"] for p in s["by_platform"]] == ["shop"]
    assert s["region_level"] == "city"
    # inside its region: fine
    assert get(regulator, SUMMARY, region="310104", **NOVEMBER).json()["total"] == 1
    # outside it, or wider than it: refused, never silently widened or narrowed
    for region in ("44", "440305", "3"):
        response = get(regulator, SUMMARY, region=region)
        if region == "3":
            assert response.status_code == 400  # not a GB/T 2260 prefix at all
            continue
        assert response.status_code == 403
        assert response["Content-Type"] == PROBLEM
        assert response.json()["code"] == "outside_region"
    # and Guangdong's regulator does not see Shanghai's complaints
    guangdong = UserFactory(username="reg-gd", role="regulator", region_prefix="44")
    assert get(guangdong, SUMMARY, **NOVEMBER).json()["total"] == 1


@pytest.mark.parametrize("role", ["consumer", "mediator", "platform_user"])
def test_only_staff_and_regulators_get_statistics(role, consumer, mediator, platform):
    users = {
        "consumer": consumer,
        "mediator": mediator,
        "platform_user": UserFactory(username="shop-staff", role="platform", platform=platform),
    }
    response = get(users[role], SUMMARY)
    assert response.status_code == 403
    assert response.json()["code"] == "statistics_forbidden"
    assert client_for().get(SUMMARY).status_code == 401


@pytest.mark.parametrize(
    "params, status",
    [
        ({"from": "2026-13-01"}, 400),
        ({"from": "2026-11-30", "to": "2026-11-01"}, 400),
        ({"region": "31011"}, 400),
        ({"category": "spaceships"}, 400),
        ({"top": "0"}, 400),
        ({"platform": "nosuch"}, 422),
    ],
)
def test_bad_filters_are_problems(staff, params, status):
    response = get(staff, SUMMARY, **params)
    assert response.status_code == status
    assert response["Content-Type"] == PROBLEM


def test_summary_query_count_does_not_grow_with_complaints(
    dataset, staff, django_assert_num_queries
):
    client = client_for(staff)
    region_name("31")  # the region names are read once per process
    statistics_fold_all()
    # session, user, the second factor's device (staff must have passed 2FA), the
    # statistics journal found empty (a savepoint here, 3 queries), then 2 reads of the
    # summary table (the figures with every breakdown, the top merchants) and the
    # platform filter's lookup
    with django_assert_num_queries(9):
        assert client.get(SUMMARY, {"platform": "shop", **NOVEMBER}).status_code == 200
    with django_assert_num_queries(8):
        assert client.get(SUMMARY).status_code == 200


def test_timeseries_by_day_week_and_month(dataset, staff):
    days = get(staff, TIMESERIES, interval="day", **{"from": "2026-11-01", "to": "2026-11-06"})
    assert days.status_code == 200, days.content
    assert [(p["start"], p["count"], p["amount"]) for p in days.json()["points"]] == [
        ("2026-11-01", 0, "0.00"),
        ("2026-11-02", 1, "1299.00"),
        ("2026-11-03", 1, "200.00"),
        ("2026-11-04", 0, "0.00"),
        ("2026-11-05", 1, "500.00"),
        ("2026-11-06", 1, "100.00"),
    ]
    # ISO weeks: 2 Nov 2026 is a Monday
    weeks = get(staff, TIMESERIES, interval="week", **NOVEMBER).json()["points"]
    assert [(p["start"], p["count"]) for p in weeks] == [
        ("2026-10-26", 0), ("2026-11-02", 4), ("2026-11-09", 1), ("2026-11-16", 0),
        ("2026-11-23", 0), ("2026-11-30", 0),
    ]  # fmt: skip
    months = get(
        staff, TIMESERIES, interval="month", metric="compensated",
        **{"from": "2026-10-01", "to": "2026-12-31"},
    ).json()  # fmt: skip
    assert months["metric"] == "compensated"
    assert [(p["start"], p["count"], p["amount"]) for p in months["points"]] == [
        ("2026-10-01", 0, "0.00"), ("2026-11-01", 1, "150.00"), ("2026-12-01", 0, "0.00"),
    ]  # fmt: skip


def test_timeseries_is_scoped_and_bounded(dataset, regulator, staff):
    points = get(regulator, TIMESERIES, interval="month", **NOVEMBER).json()["points"]
    assert points == [{"start": "2026-11-01", "count": 4, "amount": "1649.00"}]
    assert get(regulator, TIMESERIES, region="44").status_code == 403
    too_long = get(staff, TIMESERIES, interval="day", **{"from": "2020-01-01", "to": "2026-01-01"})
    assert too_long.status_code == 422
    assert get(staff, TIMESERIES, interval="hour").status_code == 400
