"""Idempotency-Key: replay, conflicting body, validation failures and concurrent duplicates."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from api.keys import api_key_create
from api.models import IdempotencyRecord
from complaints.models import Complaint, ComplaintEvent
from tests.api.clients import client_for
from tests.api.test_complaints_api import BODY
from tests.states import complaint_in


@pytest.mark.django_db
def test_same_key_and_body_replays_without_filing_twice(consumer, platform):
    client = client_for(consumer)
    first = client.post("/api/v1/complaints/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = client.post("/api/v1/complaints/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Complaint.objects.count() == 1


@pytest.mark.django_db
def test_same_key_other_body_is_422_and_changes_nothing(consumer, platform):
    client = client_for(consumer)
    client.post("/api/v1/complaints/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    response = client.post(
        "/api/v1/complaints/",
        {**BODY, "amount_claimed": "1.00"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k-2",
    )
    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert Complaint.objects.count() == 1


@pytest.mark.django_db
def test_failed_validation_stores_nothing(consumer, platform):
    client = client_for(consumer)
    bad = client.post(
        "/api/v1/complaints/", {**BODY, "category": "x"}, format="json", HTTP_IDEMPOTENCY_KEY="k-3"
    )
    assert bad.status_code == 400
    assert IdempotencyRecord.objects.count() == 0
    good = client.post("/api/v1/complaints/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="k-3")
    assert good.status_code == 201


@pytest.mark.django_db
def test_keys_are_scoped_to_the_caller(consumer, other_consumer, platform):
    assert (
        client_for(consumer)
        .post("/api/v1/complaints/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="same")
        .status_code
        == 201
    )
    assert (
        client_for(other_consumer)
        .post("/api/v1/complaints/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="same")
        .status_code
        == 201
    )
    assert Complaint.objects.count() == 2


@pytest.mark.django_db
def test_transition_retry_by_platform_replays(consumer, platform):
    complaint = complaint_in("awaiting_response", consumer=consumer, platform_code=platform.code)
    raw = api_key_create(platform=platform)[1]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}", HTTP_IDEMPOTENCY_KEY="answer-1")
    url = f"/api/v1/complaints/{complaint.reference}/transitions/respond/"
    body = {"resolution": "refund", "amount": "10.00", "message": "退款"}
    assert client.post(url, body, format="json").status_code == 200
    events = ComplaintEvent.objects.count()
    replay = client.post(url, body, format="json")
    assert replay.status_code == 200  # not 409: the retry gets the first answer
    assert ComplaintEvent.objects.count() == events


@pytest.mark.django_db
def test_overlong_key_is_400(consumer, platform):
    response = client_for(consumer).post(
        "/api/v1/complaints/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="x" * 256
    )
    assert response.status_code == 400


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_concurrent_duplicates_file_once(consumer, platform):
    barrier = threading.Barrier(4)
    statuses: list[int] = []

    def post():
        try:
            client = client_for(consumer)
            barrier.wait()
            statuses.append(
                client.post(
                    "/api/v1/complaints/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="race"
                ).status_code
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert Complaint.objects.count() == 1
    assert statuses.count(201) >= 1
    assert set(statuses) <= {201, 409}


@pytest.mark.django_db
def test_a_claim_left_by_a_dead_request_is_taken_over_after_its_lease(consumer, platform):
    from datetime import timedelta

    from django.utils import timezone

    client = client_for(consumer)
    client.post("/api/v1/complaints/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="k-dead")
    # given the key's row left "in progress", as a killed worker would leave it
    IdempotencyRecord.objects.update(in_progress=True, response_body=None)
    busy = client.post("/api/v1/complaints/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="k-dead")
    assert busy.status_code == 409
    # when the lease has run out, the key works again
    IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(minutes=11))
    again = client.post("/api/v1/complaints/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="k-dead")
    assert again.status_code == 201


@pytest.mark.django_db
def test_the_beat_task_forgets_answers_older_than_a_day(consumer, platform):
    from datetime import timedelta

    from django.utils import timezone

    from api.tasks import purge_idempotency_records

    client = client_for(consumer)
    client.post("/api/v1/complaints/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="k-old")
    client.post(
        "/api/v1/complaints/",
        {**BODY, "order_number": "SO-2"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k-new",
    )
    IdempotencyRecord.objects.filter(key="k-old").update(
        created_at=timezone.now() - timedelta(hours=25)
    )
    assert purge_idempotency_records.delay().get() == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["k-new"]
