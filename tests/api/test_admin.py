"""The API admin: staff issue a key (shown once), revoke keys and re-deliver webhooks."""

from __future__ import annotations

import re

import pytest
from django.contrib import messages
from django.urls import reverse

from api.keys import api_key_authenticate, api_key_create
from api.models import ApiKey, WebhookMessage
from api.webhooks.services import webhook_endpoint_create
from tests.api.clients import client_for
from tests.factories import UserFactory
from tests.helpers import admin_messages
from tests.states import complaint_in

pytestmark = pytest.mark.django_db


def test_staff_issue_a_key_that_is_shown_once_and_works(staff_client, platform):
    # when staff add a key for the platform
    response = staff_client.post(
        reverse("admin:api_apikey_add"), {"platform": platform.pk, "name": "ERP"}, follow=True
    )
    # then the plain key is in the confirmation, once, and it authenticates
    assert response.status_code == 200
    shown = [text for level, text in admin_messages(response) if level == messages.WARNING]
    raw = re.search(r"wq_\S+", shown[0]).group(0)
    key = ApiKey.objects.get()
    assert api_key_authenticate(raw).pk == key.pk
    assert key.name == "ERP" and key.platform == platform
    # and the change page never shows it again
    page = staff_client.get(reverse("admin:api_apikey_change", args=[key.pk]))
    assert raw not in page.content.decode()
    assert key.key_hash not in page.content.decode()


def test_revoking_in_the_admin_makes_the_key_fail_with_401(staff_client, platform):
    key, raw = api_key_create(platform=platform, name="old")
    assert client_for(api_key=raw).get("/api/v1/complaints/").status_code == 200
    # when staff revoke it
    response = staff_client.post(
        reverse("admin:api_apikey_changelist"),
        {"action": "revoke", "_selected_action": [key.pk]},
        follow=True,
    )
    # then it is recorded and the API refuses the key
    assert response.status_code == 200
    key.refresh_from_db()
    assert key.revoked_at is not None
    refused = client_for(api_key=raw).get("/api/v1/complaints/")
    assert refused.status_code == 401
    assert refused["Content-Type"] == "application/problem+json"


def test_keys_cannot_be_deleted_in_the_admin(staff_client, platform):
    key, _raw = api_key_create(platform=platform)
    response = staff_client.get(reverse("admin:api_apikey_delete", args=[key.pk]))
    assert response.status_code == 403
    assert ApiKey.objects.filter(pk=key.pk).exists()


def test_a_consumer_with_admin_access_cannot_see_keys(client, platform):
    user = UserFactory(username="odd", role="consumer", is_staff=True)
    client.force_login(user)
    assert client.get(reverse("admin:api_apikey_changelist")).status_code == 403


@pytest.fixture
def failed_message(platform, consumer, django_capture_on_commit_callbacks):
    """A webhook message given up on: the receiver never answered."""
    endpoint = webhook_endpoint_create(platform=platform, url="https://hooks.shop.example/wq")
    with django_capture_on_commit_callbacks(execute=False):
        complaint_in("awaiting_response", consumer=consumer, platform_code="shop")
    message = WebhookMessage.objects.get(endpoint=endpoint)
    WebhookMessage.objects.filter(pk=message.pk).update(failed_at=message.created_at)
    return message


def test_staff_redeliver_a_failed_message(
    staff_client, failed_message, monkeypatch, django_capture_on_commit_callbacks
):
    delivered = []
    monkeypatch.setattr(
        "api.tasks.deliver_message.delay", lambda message_id: delivered.append(message_id)
    )
    # the list shows it among the given-up messages
    listing = staff_client.get(reverse("admin:api_webhookmessage_changelist") + "?state=failed")
    assert failed_message.msg_id in listing.content.decode()
    # when staff re-deliver it
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            reverse("admin:api_webhookmessage_changelist"),
            {"action": "redeliver", "_selected_action": [failed_message.pk]},
            follow=True,
        )
    # then it is due again and queued after commit
    assert response.status_code == 200
    failed_message.refresh_from_db()
    assert failed_message.failed_at is None and failed_message.delivered_at is None
    assert delivered == [failed_message.pk]


def test_a_superuser_without_the_staff_role_is_refused_redelivery(client, failed_message):
    admin_user = UserFactory(username="root", role="consumer", is_staff=True, is_superuser=True)
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:api_webhookmessage_changelist"),
        {"action": "redeliver", "_selected_action": [failed_message.pk]},
        follow=True,
    )
    errors = [text for level, text in admin_messages(response) if level == messages.ERROR]
    assert len(errors) == 1
    failed_message.refresh_from_db()
    assert failed_message.failed_at is not None
