"""The platform console (/console/): the platform's complaints and its answers, the deposit
ledger, API keys and webhook endpoints, each through the services the API calls."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from api.keys import api_key_authenticate, api_key_create
from api.models import ApiKey, WebhookEndpoint, WebhookMessage
from api.webhooks.services import webhook_endpoint_create
from complaints.models import Complaint
from complaints.validators import uscc_check_character
from evidence.models import EvidenceRecord, Kind
from tests.helpers import PNG
from tests.states import complaint_in, deposit

pytestmark = pytest.mark.django_db

# A unified social credit code with a valid check character (GB 32100-2015).
CREDIT_CODE = "91310115MA1K4XXX0" + uscc_check_character("91310115MA1K4XXX0")


@pytest.fixture(autouse=True)
def _private_webhook_urls(settings):
    """Registering an endpoint resolves its host; test URLs need no DNS."""
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True


def _complaint(state: str, consumer, platform_code: str = "shop") -> Complaint:
    return complaint_in(state, consumer=consumer, platform_code=platform_code)


def _detail(reference: str) -> str:
    return reverse("platform:complaint_detail", args=[reference])


def _action_urls(reference: str) -> list[str]:
    return [
        reverse(f"platform:complaint_{name}", args=[reference])
        for name in ("respond", "message", "fulfilment", "upload")
    ]


def _pages(reference: str, endpoint_id: int) -> list[str]:
    return [
        reverse("platform:home"),
        _detail(reference),
        reverse("platform:deposit"),
        reverse("platform:api_keys"),
        reverse("platform:webhooks"),
        reverse("platform:webhook_deliveries", args=[endpoint_id]),
    ]


# --- who may see what -------------------------------------------------------------------


def test_each_console_page_renders_in_both_languages(client_for, consumer, platform, language):
    complaint = _complaint("awaiting_response", consumer)
    endpoint = webhook_endpoint_create(platform=platform, url="https://hooks.example/in")
    client = client_for("platform", language=language)
    for url in _pages(complaint.reference, endpoint.pk):
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert f'<html lang="{"zh-CN" if language == "zh-hans" else "en"}">' in html
        marker = "投诉处理" if language == "zh-hans" else "Complaints"
        assert marker in html, url
        assert 'aria-current="page"' in html, url


def test_the_home_page_sends_platform_users_to_the_console(client_for, platform):
    response = client_for("platform").get("/")
    assert (response.status_code, response["Location"]) == (302, reverse("platform:home"))


def test_anonymous_visitors_are_sent_to_login(client, consumer, platform):
    complaint = _complaint("awaiting_response", consumer)
    endpoint = webhook_endpoint_create(platform=platform, url="https://hooks.example/in")
    for url in _pages(complaint.reference, endpoint.pk):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/accounts/login/?next="), url


def test_every_other_role_gets_403_on_every_console_page_and_action(client_for, consumer, platform):
    complaint = _complaint("awaiting_response", consumer)
    endpoint = webhook_endpoint_create(platform=platform, url="https://hooks.example/in")
    key, _raw = api_key_create(platform=platform, name="erp")
    for role in ("consumer", "staff", "mediator", "regulator"):
        client = client_for(role)
        for url in _pages(complaint.reference, endpoint.pk):
            assert client.get(url).status_code == 403, url
        posts = [
            *_action_urls(complaint.reference),
            reverse("platform:api_keys"),
            reverse("platform:api_key_revoke", args=[key.pk]),
            reverse("platform:webhooks"),
            reverse("platform:webhook_disable", args=[endpoint.pk]),
        ]
        for url in posts:
            assert client.post(url, {"name": "x", "url": "https://a.example/"}).status_code == 403
    # and nothing changed
    complaint.refresh_from_db()
    assert complaint.status == "awaiting_response"
    assert ApiKey.objects.filter(platform=platform).count() == 1
    assert WebhookEndpoint.objects.get().is_active
    key.refresh_from_db()
    assert key.revoked_at is None


def test_the_users_of_a_deactivated_platform_get_403(client_for, platform):
    client = client_for("platform")
    platform.is_active = False
    platform.save(update_fields=["is_active"])
    assert client.get(reverse("platform:home")).status_code == 403
    assert client.post(reverse("platform:api_keys"), {"name": "x"}).status_code == 403
    assert not ApiKey.objects.exists()


def test_another_platforms_complaint_key_and_endpoint_are_404(
    client_for, consumer, platform, other_platform
):
    theirs = _complaint("awaiting_response", consumer, platform_code="other")
    endpoint = webhook_endpoint_create(platform=other_platform, url="https://hooks.example/in")
    key, _raw = api_key_create(platform=other_platform, name="theirs")
    client = client_for("platform")
    assert client.get(_detail(theirs.reference)).status_code == 404
    body = {"resolution": "refund", "amount": "10.00", "message": "好", "body": "你好"}
    for url in _action_urls(theirs.reference):
        assert client.post(url, body).status_code == 404, url
    assert client.get(reverse("platform:webhook_deliveries", args=[endpoint.pk])).status_code == 404
    assert client.post(reverse("platform:webhook_disable", args=[endpoint.pk])).status_code == 404
    assert client.post(reverse("platform:api_key_revoke", args=[key.pk])).status_code == 404
    # a huge id is a 404 too, not an overflow
    assert client.post("/console/api-keys/999999999999999999/revoke/").status_code == 404
    theirs.refresh_from_db()
    key.refresh_from_db()
    endpoint.refresh_from_db()
    assert (theirs.status, key.revoked_at, endpoint.is_active) == ("awaiting_response", None, True)
    assert not theirs.messages.exists()
    html = client.get(reverse("platform:home")).content.decode()
    assert theirs.reference not in html
    assert "hooks.example" not in client.get(reverse("platform:webhooks")).content.decode()
    assert "theirs" not in client.get(reverse("platform:api_keys")).content.decode()


# --- the complaints ---------------------------------------------------------------------


def test_the_list_shows_forwarded_complaints_with_the_deadline_in_a_bounded_number_of_queries(
    client_for, consumer, platform, django_assert_num_queries
):
    waiting = _complaint("submitted", consumer)
    first = _complaint("awaiting_response", consumer)
    client = client_for("platform")
    client.get(reverse("platform:home"))  # the session and the language are warm
    with django_assert_num_queries(5):
        html = client.get(reverse("platform:home")).content.decode()
    assert first.reference in html and waiting.reference not in html
    assert "须在" in html and "前答复" in html
    for _ in range(4):
        _complaint("responded", consumer)
    with django_assert_num_queries(5):
        html = client.get(reverse("platform:home")).content.decode()
    assert html.count('class="badge status-responded"') == 4
    # filtered by status
    html = client.get(reverse("platform:home"), {"status": "awaiting_response"}).content.decode()
    assert first.reference in html and "status-responded" not in html
    # an unknown status is an error next to the filter, not a crash
    response = client.get(reverse("platform:home"), {"status": "nonsense"})
    assert response.status_code == 200
    assert 'id="id_status_error"' in response.content.decode()


def test_answering_with_a_proposal_fires_respond_and_identifies_the_merchant(
    client_for, consumer, platform
):
    complaint = _complaint("awaiting_response", consumer)
    client = client_for("platform")
    response = client.post(
        reverse("platform:complaint_respond", args=[complaint.reference]),
        {
            "resolution": "refund",
            "amount": "300.50",
            "message": "同意退款300.50元",
            "merchant_name": "优选数码专营店",
            "merchant_credit_code": CREDIT_CODE,
            "merchant_address": "上海市浦东新区XX路1号",
            "merchant_contact": "021-55550000",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == _detail(complaint.reference)
    complaint.refresh_from_db()
    assert complaint.status == "responded"
    assert complaint.proposal_amount == Decimal("300.50")
    assert complaint.merchant.name == "优选数码专营店" and complaint.merchant_identified
    html = client.get(response["Location"]).content.decode()
    assert "方案已提交" in html and "同意退款300.50元" in html
    assert 'id="respond-form"' not in html  # answered: the form is gone


def test_a_proposal_without_an_amount_shows_the_error_next_to_it_and_keeps_the_text(
    client_for, consumer, platform
):
    complaint = _complaint("awaiting_response", consumer)
    response = client_for("platform").post(
        reverse("platform:complaint_respond", args=[complaint.reference]),
        {"resolution": "refund", "amount": "", "message": "我们愿意退款"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    error = re.search(r'<ul class="errorlist" id="id_amount_error">(.*?)</ul>', html, re.S)
    assert error, html
    assert "我们愿意退款</textarea>" in html
    complaint.refresh_from_db()
    assert complaint.status == "awaiting_response" and not complaint.proposal_resolution


def test_a_merchant_without_a_name_is_an_error_on_the_name_field(client_for, consumer, platform):
    complaint = _complaint("awaiting_response", consumer)
    response = client_for("platform").post(
        reverse("platform:complaint_respond", args=[complaint.reference]),
        {"resolution": "decline", "message": "无质量问题", "merchant_contact": "021-55550000"},
    )
    assert response.status_code == 200
    assert 'id="id_merchant_name_error"' in response.content.decode()
    complaint.refresh_from_db()
    assert complaint.status == "awaiting_response"


def test_answering_twice_is_refused_with_a_message_and_changes_nothing(
    client_for, consumer, platform
):
    complaint = _complaint("responded", consumer)
    client = client_for("platform")
    response = client.post(
        reverse("platform:complaint_respond", args=[complaint.reference]),
        {"resolution": "compensation", "amount": "9.00", "message": "再赔9元"},
        follow=True,
    )
    assert "当前的状态不允许此操作" in response.content.decode()
    complaint.refresh_from_db()
    assert complaint.proposal_resolution == "refund" and complaint.proposal_amount == Decimal(
        "500.00"
    )


def test_messages_go_into_the_thread_and_an_empty_one_is_an_error(client_for, consumer, platform):
    complaint = _complaint("awaiting_response", consumer)
    client = client_for("platform")
    url = reverse("platform:complaint_message", args=[complaint.reference])
    response = client.post(url, {"body": "请提供订单截图"})
    assert response.status_code == 302 and response["Location"].endswith("#thread")
    message = complaint.messages.get()
    assert (message.author_role, message.body) == ("platform", "请提供订单截图")
    response = client.post(url, {"body": "   "})
    assert response.status_code == 200
    assert 'id="id_body_error"' in response.content.decode()
    assert complaint.messages.count() == 1


def test_reporting_fulfilment_of_a_settled_case(client_for, consumer, platform):
    complaint = _complaint("settled", consumer)
    client = client_for("platform")
    html = client.get(_detail(complaint.reference)).content.decode()
    assert 'id="fulfilment-form"' in html
    response = client.post(
        reverse("platform:complaint_fulfilment", args=[complaint.reference]),
        {"note": "已退款，流水号 R-1"},
    )
    assert response.status_code == 302
    complaint.refresh_from_db()
    assert complaint.fulfilment_reported_at is not None and complaint.objection_due is not None
    event = complaint.events.get(name="fulfilment_reported")
    assert event.payload["note"] == "已退款，流水号 R-1"
    # a second report is refused next to the form and records nothing more
    response = client.post(
        reverse("platform:complaint_fulfilment", args=[complaint.reference]), {"note": "又一次"}
    )
    assert response.status_code == 200
    assert complaint.events.filter(name="fulfilment_reported").count() == 1


def test_fulfilment_cannot_be_reported_before_settlement(client_for, consumer, platform):
    complaint = _complaint("awaiting_response", consumer)
    response = client_for("platform").post(
        reverse("platform:complaint_fulfilment", args=[complaint.reference]), {"note": "x"}
    )
    assert response.status_code == 302
    complaint.refresh_from_db()
    assert complaint.fulfilment_reported_at is None


def test_uploading_a_transaction_record_preserves_it_as_evidence(client_for, consumer, platform):
    complaint = _complaint("awaiting_response", consumer)
    client = client_for("platform")
    url = reverse("platform:complaint_upload", args=[complaint.reference])
    record = SimpleUploadedFile("order.png", PNG, content_type="image/png")
    response = client.post(url, {"file": record, "description": "订单支付记录"})
    assert response.status_code == 302
    uploaded = EvidenceRecord.objects.get(complaint=complaint, file_name="order.png")
    assert (uploaded.kind, uploaded.description) == (Kind.TRANSACTION_RECORD, "订单支付记录")
    assert "order.png" in client.get(_detail(complaint.reference)).content.decode()
    # an archive is refused next to the file field, and nothing is stored
    archive = SimpleUploadedFile(
        "x.zip", b"PK\x03\x04" + bytes(200), content_type="application/zip"
    )
    response = client.post(url, {"file": archive, "description": "压缩包"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="id_file_error"' in html and "压缩包</textarea>" in html
    assert not EvidenceRecord.objects.filter(file_name="x.zip").exists()


# --- the deposit ledger -----------------------------------------------------------------


def test_the_deposit_page_shows_the_balance_and_the_entries_in_bounded_queries(
    client_for, platform, other_platform, django_assert_num_queries
):
    deposit(platform, "1000.00")
    deposit(other_platform, "777.00")
    client = client_for("platform")
    client.get(reverse("platform:deposit"))
    with django_assert_num_queries(8):
        html = client.get(reverse("platform:deposit")).content.decode()
    assert 'id="deposit-balance">1000.00' in html
    assert "777.00" not in html
    for _ in range(3):
        deposit(platform, "10.00")
    with django_assert_num_queries(8):
        html = client.get(reverse("platform:deposit")).content.decode()
    assert 'id="deposit-balance">1030.00' in html
    assert html.count("<td>缴存</td>") == 4


# --- API keys ---------------------------------------------------------------------------


def test_a_new_api_key_is_shown_once_works_and_can_be_revoked(client_for, platform):
    client = client_for("platform")
    response = client.post(reverse("platform:api_keys"), {"name": "客服系统"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    raw = re.search(r'id="new-key-value">(wq_[^<]+)<', response.content.decode()).group(1)
    key = api_key_authenticate(raw)
    assert key is not None and key.platform == platform and key.name == "客服系统"
    # shown once: the list never shows it again
    assert raw not in client.get(reverse("platform:api_keys")).content.decode()
    response = client.post(reverse("platform:api_key_revoke", args=[key.pk]))
    assert response.status_code == 302
    assert api_key_authenticate(raw) is None


def test_an_api_key_without_a_name_is_an_error_and_none_is_made(client_for, platform):
    response = client_for("platform").post(reverse("platform:api_keys"), {"name": ""})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="id_name_error"' in html and "new-key-value" not in html
    assert not ApiKey.objects.exists()


# --- webhook endpoints ------------------------------------------------------------------


def test_a_webhook_endpoint_shows_its_secret_once_and_logs_its_deliveries(
    client_for, consumer, platform
):
    client = client_for("platform")
    response = client.post(
        reverse("platform:webhooks"),
        {"url": "https://hooks.example/weiquan", "events": ["complaint.forwarded"]},
    )
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    endpoint = WebhookEndpoint.objects.get(platform=platform)
    assert endpoint.events == ["complaint.forwarded"]
    assert f'id="new-secret-value">{endpoint.secret}<' in response.content.decode()
    assert endpoint.secret not in client.get(reverse("platform:webhooks")).content.decode()
    # a forwarded complaint writes a message to the endpoint: it is in the delivery log
    complaint = _complaint("awaiting_response", consumer)
    message = WebhookMessage.objects.get(endpoint=endpoint)
    html = client.get(reverse("platform:webhook_deliveries", args=[endpoint.pk])).content.decode()
    assert message.msg_id in html and complaint.reference in html
    # disabling keeps the row and its log
    response = client.post(reverse("platform:webhook_disable", args=[endpoint.pk]))
    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert not endpoint.is_active and endpoint.disabled_at is not None


def test_a_refused_webhook_url_is_an_error_next_to_it_and_nothing_is_registered(
    client_for, platform, settings
):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    client = client_for("platform")
    for url in ("http://hooks.example/in", "https://127.0.0.1/in", "not a url"):
        response = client.post(reverse("platform:webhooks"), {"url": url})
        assert response.status_code == 200
        html = response.content.decode()
        assert 'id="id_url_error"' in html, url
        assert f'value="{url}"' in html, url
    response = client.post(
        reverse("platform:webhooks"), {"url": "https://a.example/", "events": ["no.such"]}
    )
    assert 'id="id_events_error"' in response.content.decode()
    assert not WebhookEndpoint.objects.exists()
