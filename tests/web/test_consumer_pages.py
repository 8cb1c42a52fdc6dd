"""The consumer's pages: my complaints, the filing wizard, one complaint and its actions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from complaints.models import Complaint
from tests.states import complaint_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def platform(db):
    from tests.factories import PlatformFactory

    return PlatformFactory(
        code="shop", name="好物商城", notice_email="notice@shop.example", domicile_region="310115"
    )


def _complaint(state: str, consumer, **kw) -> Complaint:
    return complaint_in(state, consumer=consumer, platform_code="shop", **kw)


# --- who may see what -------------------------------------------------------------------


def _consumer_pages(reference: str) -> list[str]:
    return [
        reverse("consumer:complaint_list"),
        reverse("consumer:file_step", args=["platform"]),
        reverse("consumer:complaint_detail", args=[reference]),
        reverse("evidence_web:list", args=[reference]),
    ]


def test_each_consumer_page_renders_in_both_languages(client_for, consumer, platform, language):
    complaint = _complaint("responded", consumer)
    client = client_for(user=consumer, language=language)
    for url in _consumer_pages(complaint.reference):
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert f'<html lang="{"zh-CN" if language == "zh-hans" else "en"}">' in html
        marker = "我的投诉" if language == "zh-hans" else "My complaints"
        assert marker in html, url


@pytest.mark.parametrize("role", ["staff", "mediator", "platform", "regulator"])
def test_other_roles_get_403_on_every_consumer_page(client_for, consumer, platform, role):
    complaint = _complaint("submitted", consumer)
    client = client_for(role)
    for url in _consumer_pages(complaint.reference)[:3]:
        assert client.get(url).status_code == 403, url
    for action in ("withdraw", "accept_proposal"):
        url = reverse("consumer:complaint_act", args=[complaint.reference, action])
        assert client.post(url).status_code == 403


def test_a_consumer_cannot_see_or_touch_another_consumers_complaint(
    client_for, consumer, other_consumer, platform
):
    complaint = _complaint("responded", consumer)
    client = client_for(user=other_consumer)
    ref = complaint.reference
    assert client.get(reverse("consumer:complaint_detail", args=[ref])).status_code == 404
    assert client.get(reverse("evidence_web:list", args=[ref])).status_code == 404
    response = client.post(reverse("consumer:complaint_act", args=[ref, "accept_proposal"]))
    assert response.status_code == 404
    response = client.post(reverse("consumer:complaint_message", args=[ref]), {"body": "hi"})
    assert response.status_code == 404
    complaint.refresh_from_db()
    assert complaint.status == "responded"
    assert ref not in client.get(reverse("consumer:complaint_list")).content.decode()


def test_anonymous_visitors_are_sent_to_login(client, consumer, platform):
    complaint = _complaint("submitted", consumer)
    for url in _consumer_pages(complaint.reference):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


# --- my complaints and one complaint ----------------------------------------------------


def test_my_complaints_lists_mine_with_the_next_deadline_in_plain_words(
    client_for, consumer, platform
):
    complaint = _complaint("awaiting_response", consumer)
    html = client_for(user=consumer).get(reverse("consumer:complaint_list")).content.decode()
    assert complaint.reference in html
    due = timezone.localtime(complaint.response_due).date()
    assert f"平台须在 {due.year}年{due.month}月{due.day}日 前答复" in html


def test_complaint_page_shows_the_deadline_in_english_too(client_for, consumer, platform):
    complaint = _complaint("awaiting_response", consumer)
    client = client_for(user=consumer, language="en")
    html = client.get(reverse("consumer:complaint_detail", args=[complaint.reference]))
    due = timezone.localtime(complaint.response_due).date()
    assert f"The platform must answer by {due:%-d %B %Y}" in html.content.decode()


def test_complaint_page_shows_the_timeline_the_proposal_and_the_downloads(
    client_for, consumer, platform
):
    complaint = _complaint("responded", consumer)
    html = (
        client_for(user=consumer)
        .get(reverse("consumer:complaint_detail", args=[complaint.reference]))
        .content.decode()
    )
    assert "提交了投诉" in html and "受理了投诉" in html and "提出了处理方案" in html
    assert "同意退款500元" in html
    assert 'id="action-accept_proposal"' in html and 'id="action-decline_proposal"' in html
    assert f"/api/v1/complaints/{complaint.reference}/evidence-package/" in html
    assert "agreement.pdf" not in html  # no agreement yet


# --- actions through the services -------------------------------------------------------


def _act(client, complaint, action, data=None):
    url = reverse("consumer:complaint_act", args=[complaint.reference, action])
    return client.post(url, data or {})


def test_accepting_the_proposal_settles_the_complaint(client_for, consumer, platform):
    complaint = _complaint("responded", consumer)
    response = _act(client_for(user=consumer), complaint, "accept_proposal")
    assert response.status_code == 302
    complaint.refresh_from_db()
    assert complaint.status == "settled"
    assert complaint.events.filter(name="accept_proposal", actor=consumer).exists()


def test_declining_with_a_reason_sends_it_to_mediation(client_for, consumer, platform, mediator):
    complaint = _complaint("responded", consumer)
    _act(
        client_for(user=consumer),
        complaint,
        "decline_proposal",
        {"decline_proposal-reason": "退款金额不够"},
    )
    complaint.refresh_from_db()
    assert complaint.status == "mediating"
    assert complaint.events.get(name="decline_proposal").payload["reason"] == "退款金额不够"


def test_withdrawing_and_then_acting_again_is_refused_with_a_message(
    client_for, consumer, platform
):
    complaint = _complaint("awaiting_response", consumer)
    client = client_for(user=consumer)
    _act(client, complaint, "withdraw")
    complaint.refresh_from_db()
    assert complaint.status == "withdrawn"
    # a stale page's second click: nothing changes, the page says why
    response = _act(client, complaint, "withdraw")
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "不允许此操作" in page


def test_confirming_fulfilment_closes_and_objecting_needs_a_reason(client_for, consumer, platform):
    from complaints.actors import Actor
    from complaints.services import fulfilment_report

    complaint = _complaint("settled", consumer)
    fulfilment_report(complaint_id=complaint.pk, actor=Actor.of_platform(platform))
    client = client_for(user=consumer)
    detail = client.get(reverse("consumer:complaint_detail", args=[complaint.reference]))
    assert 'id="action-object"' in detail.content.decode()
    # an objection without a reason is an error beside the field, and changes nothing
    response = client.post(reverse("consumer:complaint_object", args=[complaint.reference]), {})
    assert response.status_code == 200
    assert 'id="id_reason_error"' in response.content.decode()
    complaint.refresh_from_db()
    assert complaint.fulfilment_reported_at is not None
    # confirming closes it as resolved
    _act(client, complaint, "confirm_fulfilment")
    complaint.refresh_from_db()
    assert (complaint.status, complaint.outcome) == ("closed", "resolved")


def test_objecting_records_the_objection(client_for, consumer, platform):
    from complaints.actors import Actor
    from complaints.services import fulfilment_report

    complaint = _complaint("settled", consumer)
    fulfilment_report(complaint_id=complaint.pk, actor=Actor.of_platform(platform))
    client_for(user=consumer).post(
        reverse("consumer:complaint_object", args=[complaint.reference]),
        {"reason": "退款没有到账"},
    )
    assert complaint.events.get(name="fulfilment_objected").payload["reason"] == "退款没有到账"


def test_posting_to_the_thread_keeps_it_and_htmx_gets_the_thread_back(
    client_for, consumer, platform
):
    complaint = _complaint("awaiting_response", consumer)
    client = client_for(user=consumer)
    url = reverse("consumer:complaint_message", args=[complaint.reference])
    response = client.post(url, {"body": "请尽快处理"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert 'id="thread"' in response.content.decode() and "请尽快处理" in response.content.decode()
    assert "<html" not in response.content.decode()
    assert complaint.messages.get().body == "请尽快处理"
    # an empty message is an error beside the field
    response = client.post(url, {"body": ""})
    assert 'id="id_body_error"' in response.content.decode()
    assert complaint.messages.count() == 1


def test_a_closed_complaint_offers_the_rating_form_posting_to_the_api(
    client_for, consumer, platform
):
    complaint = _complaint("closed", consumer)
    html = (
        client_for(user=consumer)
        .get(reverse("consumer:complaint_detail", args=[complaint.reference]))
        .content.decode()
    )
    assert f'data-url="/api/v1/complaints/{complaint.reference}/rating/"' in html
    assert "rating.js" in html


# --- the filing wizard --------------------------------------------------------------------

STEP_DATA = {
    "platform": {"platform": "shop", "merchant_name": "优选数码专营店", "region": ""},
    "order": {
        "order_number": "SO-1",
        "order_date": "2026-11-01",
        "category": "electronics",
        "amount_paid": "1299.00",
    },
    "problem": {"issue_type": "quality", "description": "耳机左耳无声。"},
    "demand": {"demand": "refund", "amount_claimed": "1299.00"},
}


def _step(client, step, data):
    return client.post(reverse("consumer:file_step", args=[step]), data)


def test_the_wizard_keeps_what_was_typed_on_an_error_and_files_a_real_complaint(
    client_for, consumer, platform, time_machine
):
    time_machine.move_to(timezone.now().replace(year=2026, month=12, day=1), tick=False)
    client = client_for(user=consumer)
    assert client.get(reverse("consumer:file") + "?new=1").status_code == 302
    for step in ("platform", "order"):
        assert _step(client, step, STEP_DATA[step]).status_code == 302
    # an error: what was typed stays, the error sits beside its field
    response = _step(client, "problem", {"issue_type": "quality", "description": ""})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_description_error"' in html and 'value="quality" selected' in html
    # going back shows the earlier step as typed
    html = client.get(reverse("consumer:file_step", args=["order"])).content.decode()
    assert 'value="SO-1"' in html
    _step(client, "problem", STEP_DATA["problem"])
    _step(client, "demand", STEP_DATA["demand"])
    review = client.get(reverse("consumer:file_step", args=["review"])).content.decode()
    assert "优选数码专营店" in review and "耳机左耳无声。" in review
    # filing makes the complaint through the service and goes to its evidence page
    response = client.post(reverse("consumer:file_step", args=["review"]), {"submit": "1"})
    complaint = Complaint.objects.get(consumer=consumer)
    assert response["Location"] == (
        reverse("evidence_web:list", args=[complaint.reference]) + "?filed=1"
    )
    assert (complaint.status, complaint.region, complaint.merchant_name) == (
        "submitted",
        "310115",  # the platform's domicile when the consumer did not choose
        "优选数码专营店",
    )
    assert complaint.events.get().name == "filed"
    # and the draft is gone: a new filing starts empty
    html = client.get(reverse("consumer:file_step", args=["platform"])).content.decode()
    assert "优选数码专营店" not in html


def test_a_future_order_date_is_refused_beside_the_field(client_for, consumer, platform):
    client = client_for(user=consumer)
    future = (timezone.localdate() + timedelta(days=3)).isoformat()
    response = _step(client, "order", {**STEP_DATA["order"], "order_date": future})
    assert 'id="id_order_date_error"' in response.content.decode()


def test_review_without_the_earlier_steps_goes_back_to_them(client_for, consumer, platform):
    client = client_for(user=consumer)
    client.get(reverse("consumer:file") + "?new=1")
    response = client.post(reverse("consumer:file_step", args=["review"]), {"submit": "1"})
    assert response.status_code in (200, 302)
    assert not Complaint.objects.exists()


def test_region_lists_load_for_the_chosen_province(client_for, consumer, platform):
    client = client_for(user=consumer)
    html = client.get(reverse("consumer:regions"), {"province": "31"}).content.decode()
    assert 'value="3101"' in html
    html = client.get(reverse("consumer:regions"), {"city": "3101"}).content.decode()
    assert 'value="310115"' in html


# --- evidence upload ------------------------------------------------------------------------

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99"
    b"=\x1d\x00\x00\x00\x00IEND\xaeB`\x82"
)


def test_uploading_evidence_preserves_it_and_a_bad_file_is_an_error_beside_the_field(
    client_for, consumer, platform
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from evidence.models import EvidenceRecord

    complaint = _complaint("submitted", consumer)
    client = client_for(user=consumer)
    url = reverse("evidence_web:list", args=[complaint.reference])
    response = client.post(
        url,
        {"file": SimpleUploadedFile("photo.png", PNG), "kind": "photo", "description": "左耳"},
    )
    assert response.status_code == 302
    record = EvidenceRecord.objects.get(complaint=complaint, store="file")
    assert (record.file_name, record.media_type, record.submitter_role) == (
        "photo.png",
        "image/png",
        "consumer",
    )
    assert "photo.png" in client.get(url).content.decode()
    # a file that is not an accepted type
    response = client.post(
        url, {"file": SimpleUploadedFile("x.png", b"MZ\x90\x00binary"), "kind": "photo"}
    )
    assert response.status_code == 200
    assert 'id="id_file_error"' in response.content.decode()
    assert EvidenceRecord.objects.filter(complaint=complaint, store="file").count() == 1


def test_the_evidence_page_is_for_the_cases_own_people_only(
    client_for, consumer, platform, other_platform
):
    from tests.factories import UserFactory

    complaint = _complaint("awaiting_response", consumer)
    url = reverse("evidence_web:list", args=[complaint.reference])
    # the platform complained against (the case was forwarded to it) and staff see it
    assert client_for("platform").get(url).status_code == 200
    assert client_for("staff").get(url).status_code == 200
    # a regulator never sees evidence (personal data), another platform's user nothing
    assert client_for("regulator").get(url).status_code == 403
    stranger = UserFactory(username="other-shop", role="platform", platform=other_platform)
    assert client_for(user=stranger).get(url).status_code == 404
    # a mediator not assigned to the case: not found
    assert client_for("mediator").get(url).status_code == 404
