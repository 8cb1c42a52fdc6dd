"""Notification emails: templated (text and HTML), each party in the language they read."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from complaints.actors import Actor
from complaints.models import UserPreference
from complaints.services import complaint_transition
from tests.states import complaint_in

pytestmark = pytest.mark.django_db


def _accept(complaint, staff, callbacks):
    with callbacks(execute=True):
        complaint_transition(complaint_id=complaint.pk, name="accept", actor=Actor.of_user(staff))


def test_each_party_is_told_in_their_language_with_the_next_step(
    consumer, platform, staff, django_capture_on_commit_callbacks
):
    # given a consumer who reads English
    UserPreference.objects.create(user=consumer, language="en")
    complaint = complaint_in("submitted", consumer=consumer, platform_code=platform.code)
    mail.outbox.clear()
    # when staff accept the complaint
    _accept(complaint, staff, django_capture_on_commit_callbacks)
    complaint.refresh_from_db()
    by_address = {m.to[0]: m for m in mail.outbox}
    # then the consumer's message is English, text and HTML, with the platform's deadline
    due = timezone.localtime(complaint.response_due).date()
    english = by_address[consumer.email]
    assert complaint.reference in english.subject and "Weiquan" in english.subject
    assert f"The platform must answer by {due:%-d %B %Y}" in english.body
    html = english.alternatives[0][0]
    assert "accepted the complaint" in html and "<html>" in html
    # and the platform's is Chinese
    chinese = by_address[platform.notice_email]
    assert f"平台须在 {due.year}年{due.month}月{due.day}日 前答复" in chinese.body
    assert "受理了投诉" in chinese.body


def test_consumers_are_told_in_chinese_by_default(
    consumer, platform, staff, django_capture_on_commit_callbacks
):
    complaint = complaint_in("submitted", consumer=consumer, platform_code=platform.code)
    mail.outbox.clear()
    _accept(complaint, staff, django_capture_on_commit_callbacks)
    (message,) = [m for m in mail.outbox if consumer.email in m.to]
    assert "有新进展" in message.subject


def test_the_language_switch_keeps_a_signed_in_users_choice(client_for, consumer):
    client = client_for(user=consumer)
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert UserPreference.objects.get(user=consumer).language == "en"
    # an unknown language is not kept
    client.post(reverse("set_language"), {"language": "xx", "next": "/"})
    assert UserPreference.objects.get(user=consumer).language == "en"
