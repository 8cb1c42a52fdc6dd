"""Credit scores by the published formula, the public disclosure list and consumer warnings."""

from __future__ import annotations

from datetime import date

import pytest

from reporting.credit import FORMULA, credit_scores
from tests.api.clients import client_for
from tests.helpers import PROBLEM

pytestmark = pytest.mark.django_db
DISCLOSURE = "/api/v1/disclosure/"
WARNINGS = "/api/v1/disclosure/warnings/"


@pytest.fixture
def min_one(settings):
    settings.WEIQUAN = {**settings.WEIQUAN, "DISCLOSURE_MIN_COMPLAINTS": 1}


def by_name(scores: dict) -> dict:
    return {(e["kind"], e["platform"], e["name"]): e for e in scores["entities"]}


def test_scores_follow_the_formula(dataset, min_one):
    scores = by_name(credit_scores(today=date(2026, 11, 30)))
    # shop (A, B, D, E): all answered in time, both closed ones resolved or compensated,
    # 80.00 of 150.00 recovered, ratings 5 and 3, 4 complaints against a median of 2.5
    shop = scores[("platform", "shop", "好物商城")]
    assert shop["complaints"] == 4
    assert shop["components"] == {
        "timeliness": 1.0, "resolution": 1.0, "recovery": 0.5333, "satisfaction": 0.75,
        "volume": 0.625,
    }  # fmt: skip
    assert shop["score"] == 83.6
    assert shop["figures"]["amount_recovered"] == "80.00"
    # other (C): escalated unanswered, mediation failed, no compensation, not rated
    other = scores[("platform", "other", "另一平台")]
    assert other["components"] == {
        "timeliness": 0.0,
        "resolution": 0.0,
        "recovery": 1.0,
        "satisfaction": 0.5,
        "volume": 1.0,
    }
    assert other["score"] == 37.5
    # merchants: against the merchants' median (1 complaint)
    assert scores[("merchant", "shop", "优选数码专营店")]["score"] == 90.0
    assert scores[("merchant", "shop", "鲜果旗舰店")]["score"] == 85.5
    assert scores[("merchant", "other", "优选数码专营店")]["score"] == 37.5


def test_the_public_list_shows_only_those_below_the_threshold(
    dataset, min_one, time_machine, staff
):
    time_machine.move_to("2026-11-30T04:00:00Z")
    client_for(staff).post(
        WARNINGS, {"title": "警惕虚假宣传", "body": "近期多起投诉反映……"}, format="json"
    )
    response = client_for().get(DISCLOSURE)  # no login
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["formula"] == FORMULA
    assert (body["threshold"], body["min_complaints"]) == (60.0, 1)
    assert (body["window_from"], body["window_to"]) == ("2025-12-01", "2026-11-30")
    assert [(e["kind"], e["platform"], e["name"], e["score"]) for e in body["entities"]] == [
        ("merchant", "other", "优选数码专营店", 37.5),
        ("platform", "other", "另一平台", 37.5),
    ]
    assert body["entities"][1]["figures"]["answered_late_or_escalated"] == 1
    assert [w["title"] for w in body["warnings"]] == ["警惕虚假宣传"]


def test_with_the_default_minimum_few_complaints_list_no_one(dataset, time_machine):
    time_machine.move_to("2026-11-30T04:00:00Z")
    assert client_for().get(DISCLOSURE).json()["entities"] == []


def test_staff_publish_warnings_with_personal_data_masked(staff, platform):
    response = client_for(staff).post(
        WARNINGS,
        {"title": "消费警示", "body": "有商家冒充客服，电话13912345678、邮箱a@b.cn。",
         "platform": "shop"},
        format="json",
    )  # fmt: skip
    assert response.status_code == 201, response.content
    assert response.json()["body"] == "有商家冒充客服，电话[手机号]、邮箱[邮箱]。"
    assert client_for().get(WARNINGS).json()[0]["platform"] == "shop"


@pytest.mark.parametrize("who", ["consumer", "regulator", "mediator"])
def test_only_staff_publish_warnings(who, consumer, regulator, mediator):
    user = {"consumer": consumer, "regulator": regulator, "mediator": mediator}[who]
    response = client_for(user).post(WARNINGS, {"title": "t", "body": "b"}, format="json")
    assert response.status_code == 403
    assert response["Content-Type"] == PROBLEM
    assert (
        client_for().post(WARNINGS, {"title": "t", "body": "b"}, format="json").status_code == 401
    )


def test_a_warning_naming_an_unknown_platform_is_422(staff):
    response = client_for(staff).post(
        WARNINGS, {"title": "t", "body": "b", "platform": "nosuch"}, format="json"
    )
    assert response.status_code == 422
    assert response.json()["errors"] == {"platform": ["Unknown platform code 'nosuch'."]}
