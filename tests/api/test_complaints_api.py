"""The complaints resource over HTTP: filing, scoping, transitions and problem+json errors."""

from __future__ import annotations

import pytest

from api.keys import api_key_create
from complaints.models import Complaint, ComplaintEvent
from tests.api.clients import client_for
from tests.states import complaint_in

pytestmark = pytest.mark.django_db

BODY = {
    "platform": "shop",
    "merchant_name": "优选数码专营店",
    "order_number": "SO-1",
    "order_date": "2026-11-01",
    "category": "electronics",
    "issue_type": "quality",
    "amount_paid": "1299.00",
    "amount_claimed": "1299.00",
    "demand": "refund",
    "description": "耳机左耳无声。",
    "region": "310115",
}


@pytest.fixture
def platform_key(platform):
    return api_key_create(platform=platform, name="test")[1]


def test_consumer_files_a_complaint(consumer, platform):
    response = client_for(consumer).post("/api/v1/complaints/", BODY, format="json")
    assert response.status_code == 201, response.content
    assert response.data["status"] == "submitted"
    assert response.data["reference"].startswith("TS")
    assert response.data["region_name"] == "上海市浦东新区"
    assert Complaint.objects.get().events.get().name == "filed"


def test_bad_body_is_problem_json_with_field_errors_and_stores_nothing(consumer, platform):
    response = client_for(consumer).post(
        "/api/v1/complaints/",
        {**BODY, "amount_paid": "abc", "category": "spaceships"},
        format="json",
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert set(response.json()["errors"]) == {"amount_paid", "category"}
    assert Complaint.objects.count() == 0


def test_domain_rule_breach_is_422(consumer, platform):
    response = client_for(consumer).post(
        "/api/v1/complaints/", {**BODY, "platform": "nope"}, format="json"
    )
    assert response.status_code == 422
    assert "platform" in response.json()["errors"]
    assert Complaint.objects.count() == 0


def test_no_key_and_bad_key_are_401_problem_json(platform):
    anonymous = client_for().get("/api/v1/complaints/")
    assert anonymous.status_code == 401
    assert anonymous["Content-Type"] == "application/problem+json"
    response = client_for(api_key="wq_0123456789ab_" + "x" * 43).get("/api/v1/complaints/")
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_platform_sees_only_its_complaints_and_others_are_404(
    consumer, platform, other_platform, platform_key
):
    mine = complaint_in("awaiting_response", consumer=consumer, platform_code=platform.code)
    theirs = complaint_in("awaiting_response", consumer=consumer, platform_code=other_platform.code)
    client = client_for(api_key=platform_key)
    listed = client.get("/api/v1/complaints/").json()["results"]
    assert [c["reference"] for c in listed] == [mine.reference]
    assert client.get(f"/api/v1/complaints/{theirs.reference}/").status_code == 404
    response = client.post(
        f"/api/v1/complaints/{theirs.reference}/transitions/respond/",
        {"resolution": "refund", "amount": "1", "message": "x"},
        format="json",
    )
    assert response.status_code == 404


def test_platform_responds_through_the_transition_endpoint(consumer, platform, platform_key):
    complaint = complaint_in("awaiting_response", consumer=consumer, platform_code=platform.code)
    client = client_for(api_key=platform_key)
    assert client.get(f"/api/v1/complaints/{complaint.reference}/transitions/").json() == {
        "status": "awaiting_response",
        "allowed": ["respond"],
    }
    response = client.post(
        f"/api/v1/complaints/{complaint.reference}/transitions/respond/",
        {
            "resolution": "refund",
            "amount": "300.00",
            "message": "同意退款300元",
            "merchant": {"name": "优选数码专营店", "address": "杭州市", "contact": "0571-1"},
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.data["status"] == "responded"
    assert response.data["proposal"]["amount"] == "300.00"
    complaint.refresh_from_db()
    assert complaint.merchant.is_identified


def test_wrong_state_is_409_with_allowed_transitions(consumer, platform, platform_key):
    complaint = complaint_in("submitted", consumer=consumer, platform_code=platform.code)
    events = ComplaintEvent.objects.count()
    response = client_for(consumer).post(
        f"/api/v1/complaints/{complaint.reference}/transitions/accept_proposal/", {}, format="json"
    )
    assert response.status_code == 409
    body = response.json()
    assert body["allowed_transitions"] == ["withdraw"]
    assert ComplaintEvent.objects.count() == events


def test_not_the_callers_to_fire_is_403(consumer, platform, staff):
    complaint = complaint_in("submitted", consumer=consumer, platform_code=platform.code)
    response = client_for(consumer).post(
        f"/api/v1/complaints/{complaint.reference}/transitions/withdraw/", {}, format="json"
    )
    assert response.status_code == 200
    other = complaint_in("submitted", consumer=consumer, platform_code=platform.code)
    response = client_for(staff).post(
        f"/api/v1/complaints/{other.reference}/transitions/withdraw/", {}, format="json"
    )
    assert response.status_code == 403
    assert response.json()["code"] == "transition_forbidden"


def test_regulator_sees_its_region_with_personal_data_masked(consumer, platform, regulator):
    inside = complaint_in(
        "submitted",
        consumer=consumer,
        platform_code=platform.code,
        description="请联系我 13812345678，邮箱 a@b.cn",
    )
    complaint_in("submitted", consumer=consumer, platform_code=platform.code, region="440305")
    listed = client_for(regulator).get("/api/v1/complaints/").json()["results"]
    assert [c["reference"] for c in listed] == [inside.reference]
    assert "13812345678" not in listed[0]["description"]
    assert "a@b.cn" not in listed[0]["description"]
    assert listed[0]["consumer_name"] == "张*"


def test_timeline_lists_events_in_order(consumer, platform):
    complaint = complaint_in("responded", consumer=consumer, platform_code=platform.code)
    events = client_for(consumer).get(f"/api/v1/complaints/{complaint.reference}/events/").json()
    assert [e["name"] for e in events] == ["filed", "accept", "respond"]


def test_filters_and_cursor_pagination(consumer, platform):
    for state in ("submitted", "submitted", "awaiting_response"):
        complaint_in(state, consumer=consumer, platform_code=platform.code)
    client = client_for(consumer)
    assert len(client.get("/api/v1/complaints/?status=submitted").json()["results"]) == 2
    page = client.get("/api/v1/complaints/?page_size=2").json()
    assert len(page["results"]) == 2 and page["next"]
    rest = client.get(page["next"]).json()
    assert len(rest["results"]) == 1


def test_unknown_api_path_is_problem_json(consumer):
    response = client_for(consumer).get("/api/v1/nothing-here/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


def test_list_query_count_is_fixed(consumer, platform, django_assert_num_queries):
    for _ in range(3):
        complaint_in("awaiting_response", consumer=consumer, platform_code=platform.code)
    client = client_for(consumer)
    client.get("/api/v1/complaints/")  # warms the per-process region name table
    # session, user, one page of complaints with their joins: independent of the row count
    with django_assert_num_queries(3):
        client.get("/api/v1/complaints/")
    complaint_in("awaiting_response", consumer=consumer, platform_code=platform.code)
    with django_assert_num_queries(3):
        client.get("/api/v1/complaints/")


@pytest.mark.parametrize("state", ["awaiting_response", "responded", "mediating"])
def test_detail_query_count_is_fixed_whatever_the_state(
    consumer, platform, mediator, state, django_assert_num_queries
):
    complaint = complaint_in(state, consumer=consumer, platform_code=platform.code)
    client = client_for(consumer)
    url = f"/api/v1/complaints/{complaint.reference}/"
    client.get(url)  # warms the per-process region name table
    # session, user, the complaint with platform, merchant, consumer and mediator joined
    with django_assert_num_queries(3):
        assert client.get(url).status_code == 200


def test_platform_list_query_count_is_fixed(platform, consumer, django_assert_num_queries):
    for _ in range(3):
        complaint_in("responded", consumer=consumer, platform_code=platform.code)
    client = client_for(api_key=api_key_create(platform=platform, name="q")[1])
    client.get("/api/v1/complaints/")
    # the key (with its platform), one page of complaints: no session, no per-row queries
    with django_assert_num_queries(2):
        client.get("/api/v1/complaints/")
    complaint_in("mediating", consumer=consumer, platform_code=platform.code)
    with django_assert_num_queries(2):
        client.get("/api/v1/complaints/")


@pytest.mark.parametrize("state", ["submitted", "rejected", "withdrawn"])
def test_a_platform_does_not_see_a_complaint_that_was_never_forwarded(
    consumer, platform, platform_key, state
):
    complaint = complaint_in(state, consumer=consumer, platform_code=platform.code)
    client = client_for(api_key=platform_key)
    assert client.get(f"/api/v1/complaints/{complaint.reference}/").status_code == 404
    assert client.get("/api/v1/complaints/").json()["results"] == []


def test_a_new_message_moves_updated_at_so_pollers_see_it(consumer, platform, platform_key):
    complaint = complaint_in("awaiting_response", consumer=consumer, platform_code=platform.code)
    client = client_for(api_key=platform_key)
    since = client.get(f"/api/v1/complaints/{complaint.reference}/").json()["updated_at"]
    client_for(consumer).post(
        f"/api/v1/complaints/{complaint.reference}/messages/", {"body": "还在吗？"}, format="json"
    )
    changed = client.get("/api/v1/complaints/", {"updated_after": since}).json()["results"]
    assert [c["reference"] for c in changed] == [complaint.reference]


def test_a_regulator_reads_the_timeline_without_personal_data(consumer, platform, regulator):
    complaint = complaint_in("awaiting_response", consumer=consumer, platform_code=platform.code)
    client_for(consumer).post(
        f"/api/v1/complaints/{complaint.reference}/messages/",
        {"body": "我的电话是13812345678"},
        format="json",
    )
    events = client_for(regulator).get(f"/api/v1/complaints/{complaint.reference}/events/").json()
    assert [e["name"] for e in events] == ["filed", "accept", "message_posted"]
    assert all(e["payload"] == {} for e in events)
    assert "13812345678" not in str(events) and "张三" not in str(events)
    # the parties still see everything
    own = client_for(consumer).get(f"/api/v1/complaints/{complaint.reference}/events/").json()
    assert own[-1]["payload"]["body"] == "我的电话是13812345678"


def test_nested_field_errors_are_flat_keys(platform):
    key = api_key_create(platform=platform, name="n")[1]
    response = client_for(api_key=key).post(
        "/api/v1/webhook-endpoints/",
        {"url": "https://hooks.example.com/a", "events": ["complaint.forwarded", "nope"]},
        format="json",
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["events.1"]
    assert "ErrorDetail" not in response.content.decode()
