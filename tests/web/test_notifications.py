"""Notification emails: templated (text and HTML), each party in the language they read."""

from __future__ import annotations

import pytest
from django.core import mail

from complaints.actors import Actor
from complaints.services import complaint_transition
from tests.states import complaint_in

pytestmark = pytest.mark.django_db


def _accept(complaint, staff, callbacks):
    with callbacks(execute=True):
        complaint_transition(complaint_id=complaint.pk, name="accept", actor=Actor.of_user(staff))


def test_consumers_are_told_in_chinese_by_default(
    consumer, platform, staff, django_capture_on_commit_callbacks
):
    complaint = complaint_in("submitted", consumer=consumer, platform_code=platform.code)
    mail.outbox.clear()
    _accept(complaint, staff, django_capture_on_commit_callbacks)
    (message,) = [m for m in mail.outbox if consumer.email in m.to]
    assert "有新进展" in message.subject
