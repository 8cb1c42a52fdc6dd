"""Work queued after commit never fails a committed change, even when the broker is down."""

from __future__ import annotations

import logging

import pytest

from complaints.actors import Actor
from complaints.services import complaint_transition
from tests.states import complaint_in

pytestmark = pytest.mark.django_db


def test_a_broker_failure_after_commit_is_logged_not_raised(
    consumer, platform, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    complaint = complaint_in("submitted", consumer=consumer, platform_code="shop")

    def broker_down(**kwargs):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr("complaints.tasks.notify_event.delay", broker_down)
    with caplog.at_level(logging.ERROR), django_capture_on_commit_callbacks(execute=True):
        complaint = complaint_transition(
            complaint_id=complaint.pk, name="accept", actor=Actor.system(), params={}
        )
    assert complaint.status == "awaiting_response"
    assert any("enqueue_after_commit[" in record.getMessage() for record in caplog.records)
