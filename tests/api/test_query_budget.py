"""The hot endpoints' cost: a fixed number of queries, index scans only, and a list
representation that is DRF's own, only cheaper (docs/performance.md)."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework import serializers

from api.keys import api_key_create
from api.serializers import COMPLAINT_COLUMNS, ComplaintSerializer
from complaints.models import Complaint
from tests.api.clients import client_for
from tests.states import PATHS, complaint_in

pytestmark = pytest.mark.django_db


class GenericComplaintSerializer(ComplaintSerializer):
    """DRF's generic field-by-field path, as the reference output."""

    def to_representation(self, instance):
        return serializers.ModelSerializer.to_representation(self, instance)


@pytest.fixture
def one_of_each(consumer, platform, mediator):
    return [complaint_in(state, consumer=consumer, platform_code=platform.code) for state in PATHS]


def test_the_direct_representation_is_drfs_own_for_every_state(one_of_each):
    # given a complaint in every state, loaded as the list loads them (only its columns)
    listed = list(
        Complaint.objects.select_related("platform", "consumer", "mediator")
        .only(*COMPLAINT_COLUMNS)
        .order_by("pk")
    )
    full = list(Complaint.objects.order_by("pk"))
    # then the fast path and DRF's generic one give the same JSON, field for field
    expected = GenericComplaintSerializer(full, many=True).data
    assert json.dumps(ComplaintSerializer(listed, many=True).data) == json.dumps(expected)
    assert {c["status"] for c in expected} == set(PATHS)
    assert any(c["deadlines"] for c in expected) and any(c["proposal"] for c in expected)


def test_the_regulators_masked_list_equals_the_masked_detail(one_of_each, regulator):
    client = client_for(regulator)
    listed = client.get("/api/v1/complaints/?page_size=200").json()["results"]
    assert len(listed) == len(PATHS)
    for item in listed:
        detail = client.get(f"/api/v1/complaints/{item['reference']}/").json()
        assert item == detail
        assert item["consumer_name"] == "张*"


def test_timeline_query_count_is_fixed(consumer, platform, django_assert_num_queries):
    complaint = complaint_in("responded", consumer=consumer, platform_code=platform.code)
    client = client_for(consumer)
    url = f"/api/v1/complaints/{complaint.reference}/events/"
    client.get(url)
    # session, user, the complaint, its events: however long the timeline
    with django_assert_num_queries(4):
        assert len(client.get(url).json()) == 3
    complaint = complaint_in("settled", consumer=consumer, platform_code=platform.code)
    with django_assert_num_queries(4):
        assert len(client.get(f"/api/v1/complaints/{complaint.reference}/events/").json()) == 4


RESPOND = {"resolution": "refund", "amount": "500.00", "message": "同意退款"}


def test_respond_query_count_is_fixed(consumer, platform, django_assert_num_queries):
    key = api_key_create(platform=platform, name="q")[1]
    client = client_for(api_key=key)
    first, second = (
        complaint_in("awaiting_response", consumer=consumer, platform_code=platform.code)
        for _ in range(2)
    )
    response = client.post(
        f"/api/v1/complaints/{first.reference}/transitions/respond/", RESPOND, format="json"
    )
    assert response.status_code == 200, response.content  # and the region names are read
    # key, complaint, lock, update, event, evidence (blob INSERT ... ON CONFLICT DO
    # NOTHING, chain, record, head), the statistics journal row, the consumer (statistics
    # mask their name in merchant labels), the answer's reload, savepoints: the same for
    # every complaint
    with django_assert_num_queries(RESPOND_QUERIES):
        response = client.post(
            f"/api/v1/complaints/{second.reference}/transitions/respond/", RESPOND, format="json"
        )
    assert response.status_code == 200, response.content


RESPOND_QUERIES = 14


# PostgreSQL: the plans of the request path over a table with some thousands of rows.


def _multiply_complaints(times: int) -> None:
    """Copy every complaint `times` over with fresh references, in one statement."""
    columns = [
        f.column for f in Complaint._meta.concrete_fields if f.column not in ("id", "reference")
    ]
    cols = ", ".join(f'"{c}"' for c in columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f'INSERT INTO complaints_complaint ("reference", {cols}) '  # noqa: S608
            f"SELECT 'TX' || lpad((c.id * 100000 + g)::text, 12, '0'), {cols} "
            f"FROM complaints_complaint c, generate_series(1, %s) g",
            [times],
        )
        cursor.execute("ANALYZE complaints_complaint")


def _plans_of(requests, *, seqscan: bool) -> list[tuple[str, str]]:
    """(sql, plan) of every query on complaints_complaint that the requests ran."""
    with CaptureQueriesContext(connection) as captured:
        for request in requests:
            response = request()
            assert response.status_code in (200, 201), response.content
    plans = []
    with connection.cursor() as cursor:
        cursor.execute(f"SET enable_seqscan = {'on' if seqscan else 'off'}")
        try:
            for query in captured.captured_queries:
                sql = query["sql"]
                if not sql.startswith("SELECT") or "complaints_complaint" not in sql:
                    continue
                cursor.execute("EXPLAIN " + sql.replace(" FOR UPDATE", ""))
                plans.append((sql, "\n".join(row[0] for row in cursor.fetchall())))
        finally:
            cursor.execute("RESET enable_seqscan")
    return plans


@pytest.mark.parametrize("seqscan", [False, True], ids=["index-possible", "index-chosen"])
@pytest.mark.postgres
def test_no_sequential_scan_of_complaints_on_the_request_path(
    seqscan, consumer, platform, mediator, regulator
):
    # given some thousands of complaints in every state
    for state in PATHS:
        complaint_in(state, consumer=consumer, platform_code=platform.code)
    mine = complaint_in("responded", consumer=consumer, platform_code=platform.code)
    _multiply_complaints(400)
    key = api_key_create(platform=platform, name="plans")[1]
    as_platform, as_consumer = client_for(api_key=key), client_for(consumer)
    base = f"/api/v1/complaints/{mine.reference}"
    # when the platform works its queue and everyone reads lists, details and timelines
    requests = [
        lambda: as_platform.get("/api/v1/complaints/?status=awaiting_response"),
        lambda: as_platform.get("/api/v1/complaints/?status=awaiting_response&status=responded"),
        lambda: as_platform.get("/api/v1/complaints/?updated_after=2020-01-01T00:00:00Z"),
        lambda: as_platform.get("/api/v1/complaints/"),
        lambda: as_platform.get(f"{base}/"),
        lambda: as_platform.get(f"{base}/events/"),
        lambda: as_consumer.get("/api/v1/complaints/"),
        lambda: as_consumer.get(f"{base}/transitions/"),
        lambda: client_for(regulator).get("/api/v1/complaints/?page_size=20"),
    ]
    plans = _plans_of(requests, seqscan=seqscan)
    # the platform's work queue walks its own index in the list's order and stops after
    # one page: no sort, no DISTINCT over every matching row
    queue = next(plan for sql, plan in plans if "LIMIT 51" in sql)
    assert "complaint_platform_queue" in queue, queue
    assert "Sort" not in queue and "Unique" not in queue, queue
    # then every query on the complaints table can use (and, with seqscan allowed, on
    # this many rows does use) an index: no plan reads the whole table
    assert len(plans) >= len(requests)
    scans = [(sql, plan) for sql, plan in plans if "Seq Scan on complaints_complaint" in plan]
    if not seqscan:
        assert scans == []
    else:
        # The regulator's prefix filter (LIKE '31%') may be a seq scan when most rows
        # match, as here; every other query must choose an index.
        assert [s for s, _ in scans if "LIKE" not in s] == []
