"""The negotiation thread: parties post and read, unread counts, outsiders refused."""

from __future__ import annotations

import pytest

from api.keys import api_key_create
from complaints.models import ComplaintEvent, ComplaintMessage
from tests.api.clients import client_for
from tests.states import complaint_in

pytestmark = pytest.mark.django_db


def url(complaint) -> str:
    return f"/api/v1/complaints/{complaint.reference}/messages/"


def test_consumer_and_platform_negotiate_with_unread_counts(consumer, platform):
    # given a complaint forwarded to the platform
    complaint = complaint_in("awaiting_response", consumer=consumer, platform_code=platform.code)
    shop = client_for(api_key=api_key_create(platform=platform)[1])
    me = client_for(consumer)
    # when the consumer writes twice and the platform reads
    assert me.post(url(complaint), {"body": "请尽快退款"}, format="json").status_code == 201
    assert me.post(url(complaint), {"body": "订单号 SO-1"}, format="json").status_code == 201
    thread = shop.get(url(complaint)).json()
    # then the platform had two unread, now none; the consumer has none of their own
    assert thread["unread"] == 2
    assert [m["body"] for m in thread["results"]] == ["请尽快退款", "订单号 SO-1"]
    assert shop.get(url(complaint)).json()["unread"] == 0
    assert me.get(url(complaint)).json()["unread"] == 0
    # and the platform's reply is unread for the consumer
    shop.post(url(complaint), {"body": "已安排退款"}, format="json")
    assert me.get(url(complaint)).json()["unread"] == 1


def test_each_message_is_preserved_as_an_event(consumer, platform):
    complaint = complaint_in("awaiting_response", consumer=consumer, platform_code=platform.code)
    client_for(consumer).post(url(complaint), {"body": "你好"}, format="json")
    event = ComplaintEvent.objects.filter(complaint=complaint).last()
    assert event.name == "message_posted"
    assert event.payload["body"] == "你好"


def test_outsiders_cannot_post_or_read(consumer, other_consumer, platform, regulator, staff):
    complaint = complaint_in("awaiting_response", consumer=consumer, platform_code=platform.code)
    assert client_for(other_consumer).get(url(complaint)).status_code == 404
    assert client_for(regulator).get(url(complaint)).status_code == 403
    assert client_for(staff).post(url(complaint), {"body": "x"}, format="json").status_code == 403
    assert client_for(staff).get(url(complaint)).status_code == 200
    assert ComplaintMessage.objects.count() == 0


def test_empty_message_and_closed_complaint_are_refused(consumer, platform):
    complaint = complaint_in("awaiting_response", consumer=consumer, platform_code=platform.code)
    assert client_for(consumer).post(url(complaint), {"body": ""}, format="json").status_code == 400
    closed = complaint_in("withdrawn", consumer=consumer, platform_code=platform.code)
    response = client_for(consumer).post(url(closed), {"body": "还在吗"}, format="json")
    assert response.status_code == 409
    assert ComplaintMessage.objects.count() == 0
