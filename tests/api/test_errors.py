"""Errors under /api/: 405, 413, 415, 429 with Retry-After and 500, all as problem+json."""

from __future__ import annotations

import json
import logging

import pytest
from rest_framework.throttling import SimpleRateThrottle

from api.keys import api_key_create
from complaints.models import Complaint
from tests.api.clients import client_for
from tests.api.test_complaints_api import BODY
from tests.helpers import PROBLEM

pytestmark = pytest.mark.django_db


def assert_problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["status"] == status and body["code"] == code
    assert body["request_id"] == response["X-Request-ID"]
    return body


def test_a_body_over_the_limit_is_413_and_files_nothing(consumer, platform, settings):
    settings.WEIQUAN = {**settings.WEIQUAN, "API_MAX_BODY_BYTES": 2048}
    big = {**BODY, "description": "很长的描述。" * 400}
    response = client_for(consumer).post(
        "/api/v1/complaints/", json.dumps(big), content_type="application/json"
    )
    body = assert_problem(response, 413, "payload_too_large")
    assert body["max_bytes"] == 2048
    assert Complaint.objects.count() == 0


def test_a_body_under_the_limit_passes(consumer, platform, settings):
    settings.WEIQUAN = {**settings.WEIQUAN, "API_MAX_BODY_BYTES": 4096}
    response = client_for(consumer).post("/api/v1/complaints/", BODY, format="json")
    assert response.status_code == 201


def test_a_multipart_body_gets_the_upload_limit(consumer, platform, settings):
    settings.WEIQUAN = {
        **settings.WEIQUAN,
        "API_MAX_BODY_BYTES": 1024,
        "EVIDENCE_MAX_UPLOAD_BYTES": 1024,
    }
    response = client_for(consumer).post(
        "/api/v1/complaints/", {**BODY, "description": "很长" * 40_000}, format="multipart"
    )
    body = assert_problem(response, 413, "payload_too_large")
    assert body["max_bytes"] > 1024


def test_an_unsupported_media_type_is_415(consumer, platform):
    response = client_for(consumer).post(
        "/api/v1/complaints/", "platform=shop", content_type="text/plain"
    )
    assert_problem(response, 415, "unsupported_media_type")
    assert Complaint.objects.count() == 0


def test_a_wrong_method_is_405_with_allow(consumer):
    response = client_for(consumer).delete("/api/v1/complaints/")
    assert_problem(response, 405, "method_not_allowed")
    assert "GET" in response["Allow"]


@pytest.fixture
def rates(monkeypatch):
    """Set throttle rates for one test (DRF binds the rates when the class is made)."""

    def set_rates(**rates):
        for scope, rate in rates.items():
            monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, scope, rate)

    return set_rates


def test_a_platform_key_over_its_rate_gets_429_with_retry_after(platform, rates):
    rates(platform_key="3/min")
    _key, raw = api_key_create(platform=platform)
    client = client_for(api_key=raw)
    assert [client.get("/api/v1/complaints/").status_code for _ in range(3)] == [200] * 3
    response = client.get("/api/v1/complaints/")
    assert_problem(response, 429, "throttled")
    assert 1 <= int(response["Retry-After"]) <= 61


def test_the_rate_is_per_key_not_per_platform(platform, rates):
    rates(platform_key="2/min")
    first = client_for(api_key=api_key_create(platform=platform)[1])
    second = client_for(api_key=api_key_create(platform=platform)[1])
    for _ in range(2):
        first.get("/api/v1/complaints/")
    assert first.get("/api/v1/complaints/").status_code == 429
    assert second.get("/api/v1/complaints/").status_code == 200


def test_a_user_over_their_rate_gets_429_and_others_do_not(consumer, other_consumer, rates):
    rates(user="2/min")
    client = client_for(consumer)
    for _ in range(2):
        assert client.get("/api/v1/complaints/").status_code == 200
    assert_problem(client.get("/api/v1/complaints/"), 429, "throttled")
    assert client_for(other_consumer).get("/api/v1/complaints/").status_code == 200


def test_anonymous_callers_of_public_endpoints_are_throttled_per_address(rates):
    rates(anon="1/min")
    client = client_for()
    assert client.get("/api/schema/").status_code == 200
    assert_problem(client.get("/api/schema/"), 429, "throttled")
    other_address = client.get("/api/schema/", REMOTE_ADDR="192.0.2.7")
    assert other_address.status_code == 200


def test_an_unexpected_error_is_500_without_a_trace_and_the_request_id_is_logged(
    consumer, platform, monkeypatch, caplog
):
    def broken(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr("api.views.complaints.transitions_available", broken)
    from tests.states import complaint_in

    complaint = complaint_in("submitted", consumer=consumer, platform_code="shop")
    client = client_for(consumer)
    client.raise_request_exception = False
    with caplog.at_level(logging.ERROR, logger="api.errors"):
        response = client.get(
            f"/api/v1/complaints/{complaint.reference}/transitions/",
            HTTP_X_REQUEST_ID="req-abcdef123456",
        )
    body = assert_problem(response, 500, "server_error")
    assert "secret internals" not in response.content.decode()
    assert "Traceback" not in response.content.decode()
    assert body["request_id"] == "req-abcdef123456"
    assert any("req-abcdef123456" in record.getMessage() for record in caplog.records)


def test_platforms_do_not_share_the_session_users_bucket(platform, other_platform, rates):
    # DRF's per-user throttle would key every API-key caller on the same missing user id.
    rates(user="2/min", platform_key="100/min")
    first = client_for(api_key=api_key_create(platform=platform)[1])
    second = client_for(api_key=api_key_create(platform=other_platform)[1])
    assert [first.get("/api/v1/complaints/").status_code for _ in range(3)] == [200] * 3
    assert second.get("/api/v1/complaints/").status_code == 200


def test_a_forged_cursor_is_404_not_500(consumer):
    import base64

    client = client_for(consumer)
    for position in ("garbage", "2025", "\x00"):
        cursor = base64.b64encode(f"p={position}".encode()).decode()
        response = client.get("/api/v1/complaints/", {"cursor": cursor})
        assert_problem(response, 404, "not_found")


def test_json_nested_too_deep_is_400(consumer):
    body = "[" * 200_000 + "]" * 200_000
    response = client_for(consumer).post(
        "/api/v1/complaints/", body, content_type="application/json"
    )
    assert_problem(response, 400, "parse_error")


def test_only_the_upload_takes_multipart(consumer, platform):
    response = client_for(consumer).post("/api/v1/complaints/", BODY, format="multipart")
    assert_problem(response, 415, "unsupported_media_type")
    assert Complaint.objects.count() == 0


def test_too_many_form_fields_is_problem_json(consumer, platform):
    from tests.states import complaint_in

    complaint = complaint_in("submitted", consumer=consumer, platform_code="shop")
    fields = {f"f{i}": "x" for i in range(1100)}
    client = client_for(consumer)
    client.raise_request_exception = False
    response = client.post(
        f"/api/v1/complaints/{complaint.reference}/evidence/",
        fields,
        format="multipart",
        HTTP_IDEMPOTENCY_KEY="many-fields",
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"


def test_a_regulator_cannot_read_the_thread_even_through_the_service(consumer, platform, regulator):
    from complaints.actors import Actor
    from complaints.exceptions import TransitionForbidden
    from complaints.services import thread_read
    from tests.states import complaint_in

    complaint = complaint_in("awaiting_response", consumer=consumer, platform_code="shop")
    with pytest.raises(TransitionForbidden):
        thread_read(complaint=complaint, actor=Actor.of_user(regulator))
