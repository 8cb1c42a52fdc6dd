"""The consumer rates the outcome of a closed complaint once; the rating is evidence."""

from __future__ import annotations

import pytest

from evidence.models import EvidenceRecord
from reporting.counters import statistics_fold_all
from reporting.models import Grain, Rating, StatCounter
from tests.api.clients import client_for
from tests.helpers import PROBLEM
from tests.states import complaint_in

pytestmark = pytest.mark.django_db


def rate(user, complaint, body):
    return client_for(user).post(
        f"/api/v1/complaints/{complaint.reference}/rating/", body, format="json"
    )


def test_consumer_rates_a_closed_complaint_once(consumer, platform):
    complaint = complaint_in("closed", consumer=consumer, platform_code="shop")
    # when the consumer rates it
    response = rate(consumer, complaint, {"score": 4, "comment": "处理及时"})
    # then it is stored, recorded as an event preserved as evidence, and counted
    assert response.status_code == 201, response.content
    assert response.json()["score"] == 4
    assert Rating.objects.get(complaint=complaint).comment == "处理及时"
    event = complaint.events.get(name="rated")
    assert event.payload == {"score": 4, "comment": "处理及时"}
    assert EvidenceRecord.objects.filter(event=event).exists()
    statistics_fold_all()
    assert StatCounter.objects.get(grain=Grain.CUBE, metric="rating", bucket="4").n == 1
    # and a second rating is refused
    again = rate(consumer, complaint, {"score": 1})
    assert again.status_code == 409
    assert again["Content-Type"] == PROBLEM
    assert again.json()["code"] == "already_rated"
    assert Rating.objects.count() == 1


def test_rating_before_closure_is_a_conflict(consumer, platform):
    complaint = complaint_in("awaiting_response", consumer=consumer, platform_code="shop")
    response = rate(consumer, complaint, {"score": 5})
    assert response.status_code == 409
    assert response.json()["code"] == "transition_conflict"


@pytest.mark.parametrize("body", [{"score": 0}, {"score": 6}, {"score": "x"}, {}, {"score": 2.5}])
def test_bad_scores_are_400(consumer, platform, body):
    complaint = complaint_in("closed", consumer=consumer, platform_code="shop")
    response = rate(consumer, complaint, body)
    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM


def test_only_the_complaints_consumer_rates(consumer, other_consumer, staff, platform):
    complaint = complaint_in("closed", consumer=consumer, platform_code="shop")
    assert rate(staff, complaint, {"score": 5}).status_code == 403
    assert rate(other_consumer, complaint, {"score": 5}).status_code == 404
    assert not Rating.objects.exists()
