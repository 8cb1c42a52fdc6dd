"""Staff pages: the acceptance queue with the art. 17 signals, one complaint with accept /
reject / reassign, the overdue lists and the admin's tools; who may open them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from complaints.abuse import Signal, abuse_signals
from complaints.models import Complaint, PersonalDataAccess
from tests.factories import UserFactory
from tests.states import complaint_in

pytestmark = pytest.mark.django_db


def _submitted(consumer, **kw) -> Complaint:
    return complaint_in("submitted", consumer=consumer, platform_code="shop", **kw)


def _pages(reference: str) -> list[str]:
    return [
        reverse("staff:home"),
        reverse("staff:complaint", args=[reference]),
        reverse("staff:overdue"),
        reverse("staff:overdue") + "?kind=acceptance",
        reverse("staff:admin_tools"),
    ]


def _posts(reference: str) -> list[tuple[str, dict]]:
    return [
        (reverse("staff:accept", args=[reference]), {}),
        (
            reverse("staff:reject", args=[reference]),
            {"reject-reason_code": "identity", "reject-reason": "冒用身份"},
        ),
        (reverse("staff:reassign", args=[reference]), {"reassign-reason": "x"}),
    ]


# --- who may open them ------------------------------------------------------------------


def test_each_staff_page_renders_in_both_languages(
    client_for, consumer, platform, mediator, language
):
    # given a complaint waiting for acceptance and one in mediation
    waiting = _submitted(consumer)
    mediating = complaint_in("mediating", consumer=consumer, platform_code="shop")
    client = client_for("staff", language=language)
    marker = "受理队列" if language == "zh-hans" else "Acceptance queue"
    urls = _pages(waiting.reference) + [reverse("staff:complaint", args=[mediating.reference])]
    for url in urls:
        # when staff open each page
        response = client.get(url)
        # then it answers in the chosen language, with the staff navigation
        assert response.status_code == 200, url
        html = response.content.decode()
        assert f'<html lang="{"zh-CN" if language == "zh-hans" else "en"}">' in html
        assert marker in html, url
    # and / sends staff to the queue
    assert client.get("/").url == reverse("staff:home")


def test_anonymous_visitors_are_sent_to_login(client, consumer, platform):
    complaint = _submitted(consumer)
    for url in _pages(complaint.reference):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith("/accounts/login/?next=")
    for url, data in _posts(complaint.reference):
        assert client.post(url, data).url.startswith("/accounts/login/?next=")
    complaint.refresh_from_db()
    assert complaint.status == "submitted"


@pytest.mark.parametrize("role", ["consumer", "mediator", "platform", "regulator"])
def test_other_roles_get_403_on_every_staff_page(client_for, consumer, platform, role):
    complaint = _submitted(consumer)
    client = client_for(role) if role != "consumer" else client_for(user=consumer)
    for url in _pages(complaint.reference):
        assert client.get(url).status_code == 403, url
    for url, data in _posts(complaint.reference):
        assert client.post(url, data).status_code == 403, url
    complaint.refresh_from_db()
    assert complaint.status == "submitted"


def test_changes_need_a_post(client_for, consumer, platform):
    complaint = _submitted(consumer)
    client = client_for("staff")
    assert client.get(reverse("staff:accept", args=[complaint.reference])).status_code == 405
    complaint.refresh_from_db()
    assert complaint.status == "submitted"


def test_a_post_without_the_csrf_token_is_refused(role_user, consumer, platform):
    from django.test import Client

    complaint = _submitted(consumer)
    client = Client(enforce_csrf_checks=True)
    client.force_login(role_user("staff"))
    response = client.post(reverse("staff:accept", args=[complaint.reference]))
    assert response.status_code == 403
    complaint.refresh_from_db()
    assert complaint.status == "submitted"


def test_an_unknown_complaint_or_kind_is_404(client_for, platform):
    client = client_for("staff")
    assert client.get(reverse("staff:complaint", args=["TS209901010001"])).status_code == 404
    assert client.get(reverse("staff:overdue") + "?kind=nonsense").status_code == 404


# --- the acceptance queue ---------------------------------------------------------------


def test_queue_lists_waiting_complaints_by_deadline_and_accepts_from_the_row(
    client_for, consumer, platform
):
    # given two complaints filed a day apart, and one already accepted
    now = timezone.now()
    older = _submitted(consumer, at=now - timedelta(days=2))
    newer = _submitted(consumer, at=now - timedelta(days=1), order_number="SO-2")
    accepted = complaint_in("awaiting_response", consumer=consumer, platform_code="shop")
    client = client_for("staff")
    # when staff open the queue
    html = client.get(reverse("staff:home")).content.decode()
    # then the waiting ones are listed, the nearest deadline first, with the deadline
    assert html.index(older.reference) < html.index(newer.reference)
    assert accepted.reference not in html
    assert "受理决定：" in html
    # when staff accept the first from its row
    response = client.post(
        reverse("staff:accept", args=[older.reference]), {"next": "queue"}, follow=True
    )
    # then it is forwarded to the platform and staff are back on the queue
    assert response.redirect_chain[-1][0] == reverse("staff:home")
    older.refresh_from_db()
    assert older.status == "awaiting_response"
    assert older.events.last().actor.username == "web-staff"
    assert older.reference not in response.content.decode().split('id="queue"')[-1]


def test_queue_costs_the_same_queries_for_a_longer_page(
    client_for, consumer, other_consumer, platform, django_assert_max_num_queries
):
    client = client_for("staff")
    _submitted(consumer)
    _submitted(other_consumer)
    url = reverse("staff:home")
    client.get(url)  # warm the per-process caches (regions, calendar)

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    few = count()
    for n in range(6):
        _submitted(consumer if n % 2 else other_consumer, order_number=f"SO-Q{n}")
    # session, user, 2FA device, count, page, two for the signals (three with phones)
    with django_assert_max_num_queries(8):
        assert client.get(url).status_code == 200
    assert count() == few


def test_abuse_signals_are_computed_and_shown_beside_each_complaint(
    client_for, consumer, other_consumer, platform
):
    # given an account that filed five complaints, three about orders at one merchant
    for n in range(5):
        merchant = "同一商家" if n < 3 else f"别家{n}"
        _submitted(consumer, order_number=f"SO-A{n}", merchant_name=merchant)
    # and another account whose complaint reads like a third account's
    text = "收到的蓝牙耳机左耳完全没有声音，联系客服七天都没有人处理，要求退款。"
    first = _submitted(UserFactory(username="twin"), description=text, order_number="SO-T")
    copy = _submitted(other_consumer, description=text + "！", order_number="SO-C")
    # and two accounts behind one phone number, written differently
    a = UserFactory(username="phone-a", phone="+86 139 0000 1111")
    b = UserFactory(username="phone-b", phone="139-0000-1111")
    phoned = _submitted(a, order_number="SO-P1", description="第一个账号的投诉，说的是快递丢件。")
    _submitted(b, order_number="SO-P2", description="第二个账号的投诉，说的是价格欺诈问题。")
    # when the signals of the waiting complaints are computed
    waiting = list(Complaint.objects.filter(status="submitted").select_related("consumer"))
    signals = {pk: {s.code: s for s in found} for pk, found in abuse_signals(waiting).items()}
    # then each names what art. 17 asks about, with its figure
    same_merchant = Complaint.objects.filter(consumer=consumer, merchant_name="同一商家").first()
    assert signals[same_merchant.pk][Signal.ACCOUNT].count == 5
    assert signals[same_merchant.pk][Signal.PURCHASES].count == 3
    assert (
        Signal.PURCHASES
        not in signals[Complaint.objects.get(consumer=consumer, order_number="SO-A4").pk]
    )
    assert signals[phoned.pk][Signal.PHONE].accounts == 2
    assert signals[copy.pk][Signal.SIMILAR_TEXT].references == (first.reference,)
    assert signals[first.pk][Signal.SIMILAR_TEXT].references == (copy.reference,)
    # and a complaint without any has none
    plain = _submitted(UserFactory(username="plain"), order_number="SO-X", description="普通投诉")
    assert plain.pk not in abuse_signals([plain])
    # and the queue shows them in words beside their complaint
    html = client_for("staff").get(reverse("staff:home")).content.decode()
    assert "同一账号近 90 日投诉 5 件" in html
    assert "近 90 日就同一商家的 3 个订单投诉" in html
    assert "同一手机号关联 2 个账号" in html
    assert "与其他账号近 30 日的 1 件投诉内容高度相似" in html
    card = html.split(f'id="queue-{plain.reference}"')[1].split("</li>")[0]
    assert "无异常信号" in card


# --- one complaint: accept, reject, reassign ---------------------------------------------


def test_reject_records_the_ground_and_shows_the_routes_left(client_for, consumer, platform):
    complaint = _submitted(consumer)
    client = client_for("staff", language="en")
    page = client.get(reverse("staff:complaint", args=[complaint.reference])).content.decode()
    # the form offers the grounds of art. 16 and tells what the consumer can still do
    assert 'value="time_barred"' in page and 'id="route-time_barred"' in page
    response = client.post(
        reverse("staff:reject", args=[complaint.reference]),
        {"reject-reason_code": "materials_missing", "reject-reason": "缺少订单截图"},
        follow=True,
    )
    complaint.refresh_from_db()
    assert (complaint.status, complaint.reason_code) == ("rejected", "materials_missing")
    assert complaint.events.last().payload["remaining_routes"]
    html = response.content.decode()
    assert "The consumer was told they can still" in html
    assert 'id="reject-form"' not in html


def test_reject_without_a_ground_is_an_error_beside_the_field_keeping_the_text(
    client_for, consumer, platform
):
    complaint = _submitted(consumer)
    response = client_for("staff").post(
        reverse("staff:reject", args=[complaint.reference]),
        {"reject-reason_code": "", "reject-reason": "我写的说明"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="id_reject-reason_code_error"' in html
    assert 'aria-invalid="true"' in html
    assert "我写的说明" in html
    complaint.refresh_from_db()
    assert complaint.status == "submitted"


def test_accepting_twice_says_the_state_moved_on(client_for, consumer, platform):
    complaint = complaint_in("awaiting_response", consumer=consumer, platform_code="shop")
    response = client_for("staff").post(
        reverse("staff:accept", args=[complaint.reference]), follow=True
    )
    assert "当前的状态不允许此操作" in response.content.decode()
    assert complaint.events.count() == 2


def test_staff_complaint_page_is_logged_as_a_personal_data_read(client_for, consumer, platform):
    complaint = _submitted(consumer)
    client_for("staff").get(reverse("staff:complaint", args=[complaint.reference]))
    row = PersonalDataAccess.objects.get()
    assert (row.purpose, row.subject_id, row.complaint_id) == (
        "web_staff_complaint",
        consumer.pk,
        complaint.pk,
    )


def test_reassigning_hands_the_case_over_and_needs_a_reason(
    client_for, consumer, platform, mediator
):
    complaint = complaint_in("mediating", consumer=consumer, platform_code="shop")
    assert complaint.mediator == mediator
    other = UserFactory(username="mediator2", role="mediator")
    client = client_for("staff")
    url = reverse("staff:reassign", args=[complaint.reference])
    # a missing reason is an error beside it; the chosen mediator stays selected
    response = client.post(url, {"reassign-mediator": other.pk, "reassign-reason": ""})
    assert response.status_code == 200
    assert 'id="id_reassign-reason_error"' in response.content.decode()
    assert f'<option value="{other.pk}" selected>' in response.content.decode()
    complaint.refresh_from_db()
    assert complaint.mediator == mediator
    # with a reason the case goes to the other mediator
    client.post(url, {"reassign-mediator": other.pk, "reassign-reason": "原调解员休假"})
    complaint.refresh_from_db()
    assert complaint.mediator == other
    assert complaint.events.last().payload["reason"] == "原调解员休假"
    # and the current mediator is not offered again
    page = client.get(reverse("staff:complaint", args=[complaint.reference])).content.decode()
    assert f'<option value="{other.pk}"' not in page


def test_a_submitted_complaint_cannot_be_reassigned(client_for, consumer, platform, mediator):
    complaint = _submitted(consumer)
    response = client_for("staff").post(
        reverse("staff:reassign", args=[complaint.reference]),
        {"reassign-mediator": mediator.pk, "reassign-reason": "x"},
    )
    assert response.status_code == 302
    complaint.refresh_from_db()
    assert complaint.mediator is None


# --- overdue lists and the admin's tools --------------------------------------------------


def test_overdue_lists_what_is_past_its_deadline_by_kind(
    client_for, consumer, platform, django_assert_max_num_queries
):
    # given a complaint filed three weeks ago and never decided, and a fresh one
    late = _submitted(consumer, at=timezone.now() - timedelta(days=21))
    fresh = _submitted(consumer, order_number="SO-F")
    client = client_for("staff")
    url = reverse("staff:overdue")
    client.get(url)
    # when staff open the overdue list (all kinds, then acceptance only)
    # session, user, 2FA device, count, page, the counts per kind
    with django_assert_max_num_queries(6):
        html = client.get(url).content.decode()
    # then only the late one is there, with its deadline, and the kinds are counted
    assert late.reference in html and fresh.reference not in html
    assert "超期未决定受理（1）" in html
    acceptance = client.get(url + "?kind=acceptance").content.decode()
    assert late.reference in acceptance
    assert late.reference not in client.get(url + "?kind=mediation").content.decode()


def test_admin_tools_point_to_the_admin_pages(client_for, platform):
    html = client_for("staff").get(reverse("staff:admin_tools")).content.decode()
    for name in (
        "admin:evidence_retentioncase_changelist",
        "admin:complaints_calendarday_changelist",
        "admin:api_webhookmessage_changelist",
    ):
        assert reverse(name) in html
    assert 'id="no-admin-access"' in html  # this staff user has no admin access yet
