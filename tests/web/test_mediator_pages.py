"""The mediator workbench: my cases by deadline, one case's whole file, and every action
through the services; who may open it (staff too), and what bad input does."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from complaints.actors import Actor
from complaints.models import Complaint, PersonalDataAccess
from complaints.services import message_post
from mediation.agreements import agreement_confirm, agreement_draft
from mediation.models import Agreement, CaseNote, MediationProposal, MediationSession
from mediation.services import session_schedule
from tests.factories import UserFactory
from tests.states import complaint_in

pytestmark = pytest.mark.django_db

TERMS = "平台于七日内向消费者退款人民币八百元，消费者退回耳机。"


@pytest.fixture
def case(consumer, platform, mediator) -> Complaint:
    """A case in mediation, assigned to `mediator` (the only one)."""
    complaint = complaint_in("mediating", consumer=consumer, platform_code="shop")
    assert complaint.mediator == mediator
    return complaint


@pytest.fixture
def client(client_for, mediator):
    return client_for(user=mediator)


def _url(complaint: Complaint, action: str | None = None) -> str:
    if action is None:
        return reverse("mediator:case", args=[complaint.reference])
    return reverse("mediator:act", args=[complaint.reference, action])


def _post(client, complaint, action: str, data: dict):
    return client.post(_url(complaint, action), {f"{action}-{k}": v for k, v in data.items()})


def _error_beside(response, field: str) -> bool:
    return f'id="id_{field}_error"' in response.content.decode()


# --- who may open it ---------------------------------------------------------------------


def test_the_workbench_renders_in_both_languages(client_for, mediator, case, language):
    client = client_for(user=mediator, language=language)
    marker = "我的案件" if language == "zh-hans" else "My cases"
    for url in (reverse("mediator:home"), _url(case)):
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert f'<html lang="{"zh-CN" if language == "zh-hans" else "en"}">' in html
        assert marker in html, url
        assert case.reference in html
    assert client.get("/").url == reverse("mediator:home")


def test_anonymous_visitors_are_sent_to_login(db, case):
    from django.test import Client

    anonymous = Client()
    for url in (reverse("mediator:home"), _url(case)):
        assert anonymous.get(url).url.startswith("/accounts/login/?next=")
    assert anonymous.post(_url(case, "note"), {"note-body": "x"}).status_code == 302
    assert not CaseNote.objects.exists()


@pytest.mark.parametrize("role", ["consumer", "platform", "regulator"])
def test_other_roles_get_403(client_for, consumer, case, role):
    client = client_for(user=consumer) if role == "consumer" else client_for(role)
    for url in (reverse("mediator:home"), _url(case)):
        assert client.get(url).status_code == 403, url
    assert _post(client, case, "note", {"body": "看看"}).status_code == 403
    assert not CaseNote.objects.exists()


def test_another_mediators_case_is_404(client_for, case):
    stranger = client_for(user=UserFactory(username="mediator-x", role="mediator"))
    assert stranger.get(_url(case)).status_code == 404
    assert _post(stranger, case, "note", {"body": "不是我的"}).status_code == 404
    assert _post(stranger, case, "fail", {"reason_code": "other", "reason": "x"}).status_code == 404
    assert case.reference not in stranger.get(reverse("mediator:home")).content.decode()
    case.refresh_from_db()
    assert case.status == "mediating" and not CaseNote.objects.exists()


def test_staff_open_every_case_and_may_do_what_the_services_allow(client_for, case, mediator):
    client = client_for("staff")
    html = client.get(reverse("mediator:home")).content.decode()
    assert case.reference in html and "调解员：调解员赵" in html
    page = client.get(_url(case)).content.decode()
    assert 'id="note-form"' in page and 'id="pause-form"' in page
    assert 'id="fail-form"' not in page and 'id="session-form"' not in page
    _post(client, case, "note", {"body": "受理人员的备注"})
    assert CaseNote.objects.get().author.role == "staff"
    # a mediator-only transition posted anyway is refused
    assert _post(client, case, "refer", {"route": "litigation", "reason": "x"}).status_code == 403
    case.refresh_from_db()
    assert case.status == "mediating"


# --- lists -------------------------------------------------------------------------------


def test_my_cases_are_ordered_by_deadline_in_bounded_queries(
    client_for, consumer, platform, mediator, django_assert_max_num_queries
):
    now = timezone.now()
    later = complaint_in(
        "mediating", consumer=consumer, platform_code="shop", at=now - timedelta(hours=5)
    )
    sooner = complaint_in(
        "mediating", consumer=consumer, platform_code="shop", at=now - timedelta(days=20)
    )
    client = client_for(user=mediator)
    url = reverse("mediator:home")
    html = client.get(url).content.decode()
    assert html.index(sooner.reference) < html.index(later.reference)

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            client.get(url)
        return len(captured)

    few = count()
    for n in range(4):
        complaint_in("mediating", consumer=consumer, platform_code="shop", order_number=f"SO-{n}")
    # session, user, 2FA device, count, page
    with django_assert_max_num_queries(5):
        client.get(url)
    assert count() == few


def test_the_case_page_shows_the_whole_file_and_is_logged(client, case, consumer, mediator):
    # given a message, a proposal with a platform's reply, a note and a session
    actor = Actor.of_user(mediator)
    message_post(complaint_id=case.pk, actor=Actor.of_user(consumer), body="耳机还是没声音")
    MediationProposal.objects.create(
        complaint=case,
        terms="退款八百元",
        amount=Decimal("800.00"),
        created_by=mediator,
        platform_reply="declined",
        platform_comment="金额过高",
    )
    CaseNote.objects.create(complaint=case, author=mediator, body="消费者情绪激动")
    session_schedule(
        complaint_id=case.pk,
        actor=actor,
        scheduled_at=timezone.now() + timedelta(days=2),
        channel="video",
        participants=["张三", "平台客服"],
    )
    # when the mediator opens the case
    html = client.get(_url(case)).content.decode()
    # then everything is there
    for text in (
        "耳机还是没声音",
        "退款八百元",
        "金额过高",
        "消费者情绪激动",
        "张三、平台客服",
        "收到的蓝牙耳机左耳无声",
        "不接受平台的方案，转入调解",
    ):
        assert text in html, text
    # and the read of the consumer's personal data is logged
    row = PersonalDataAccess.objects.get()
    assert (row.purpose, row.actor_id, row.subject_id) == (
        "web_mediator_case",
        mediator.pk,
        consumer.pk,
    )


# --- the actions -------------------------------------------------------------------------


def test_a_note_is_saved_and_an_empty_one_is_an_error(client, case):
    response = _post(client, case, "note", {"body": "  "})
    assert response.status_code == 200 and _error_beside(response, "note-body")
    assert not CaseNote.objects.exists()
    response = _post(client, case, "note", {"body": "双方同意周五通话"})
    assert response.status_code == 302 and response.url.endswith("#notes")
    assert CaseNote.objects.get().body == "双方同意周五通话"


def test_a_message_goes_to_the_thread(client, case):
    _post(client, case, "message", {"body": "请双方周五前提交订单截图"})
    assert case.messages.get().author_role == "mediator"


def test_scheduling_a_session_and_recording_its_minutes(client, case):
    # a time in the past is refused beside the field, with what was typed kept
    past = (timezone.localtime() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = _post(
        client,
        case,
        "session",
        {"scheduled_at": past, "channel": "phone", "location": "电话会议室", "participants": ""},
    )
    assert _error_beside(response, "session-scheduled_at")
    assert "电话会议室" in response.content.decode()
    assert not MediationSession.objects.exists()
    # a future time schedules it
    when = (timezone.localtime() + timedelta(days=3)).replace(second=0, microsecond=0)
    _post(
        client,
        case,
        "session",
        {
            "scheduled_at": when.strftime("%Y-%m-%dT%H:%M"),
            "channel": "phone",
            "location": "",
            "participants": "张三\n平台客服",
        },
    )
    session = MediationSession.objects.get()
    assert (session.scheduled_at, session.participants) == (when, ["张三", "平台客服"])
    assert case.events.last().name == "session_scheduled"
    url = reverse("mediator:session_record", args=[case.reference, session.pk])
    prefix = f"record-{session.pk}"
    # neither minutes nor "cancelled" is an error
    response = client.post(url, {f"{prefix}-minutes": ""})
    assert _error_beside(response, f"{prefix}-minutes")
    client.post(url, {f"{prefix}-minutes": "双方同意退款八百元"})
    session.refresh_from_db()
    assert (session.state, session.minutes) == ("held", "双方同意退款八百元")


def test_a_proposal_goes_to_both_parties_and_a_negative_amount_is_an_error(client, case):
    response = _post(client, case, "proposal", {"terms": "退款", "amount": "-1"})
    assert _error_beside(response, "proposal-amount")
    assert not MediationProposal.objects.exists()
    _post(client, case, "proposal", {"terms": "退款八百元", "amount": "800.00"})
    assert MediationProposal.objects.get().amount == Decimal("800.00")


def test_draft_confirm_and_issue_the_agreement(client, case, consumer, quick_documents):
    # a draft with an impossible term is refused beside the field
    data = {"facts": "耳机无声", "terms": TERMS, "amount": "800.00", "fulfilment_days": "0"}
    response = _post(client, case, "agreement", data)
    assert (
        _error_beside(response, "agreement-fulfilment_days") and TERMS in response.content.decode()
    )
    assert not Agreement.objects.exists()
    _post(client, case, "agreement", {**data, "fulfilment_days": "7"})
    agreement = Agreement.objects.get()
    # issuing before both parties confirmed is refused, saying who is missing
    response = _post(client, case, "issue", {"version": agreement.version})
    assert (
        response.status_code == 200 and "尚待确认：消费者、平台经营者" in response.content.decode()
    )
    # the consumer confirms online; the mediator records the platform's word at a session
    agreement_confirm(complaint_id=case.pk, actor=Actor.of_user(consumer), version=1)
    page = client.get(_url(case)).content.decode()
    form = page.split('id="confirm-form"')[1].split("</form>")[0]
    assert 'value="platform"' in form and 'value="consumer"' not in form
    _post(client, case, "confirm", {"party": "platform", "version": "1"})
    page = client.get(_url(case)).content.decode()
    assert (
        "消费者：<strong>已确认</strong>" in page and "平台经营者：<strong>已确认</strong>" in page
    )
    assert 'id="confirm-form"' not in page
    # a stale page (the draft changed since) is refused
    assert "草稿已更新" in _post(client, case, "issue", {"version": "9"}).content.decode()
    # then issuing signs the agreement: the case is settled
    response = _post(client, case, "issue", {"version": "1"})
    assert response.status_code == 302
    case.refresh_from_db()
    agreement.refresh_from_db()
    assert (case.status, case.agreed_amount, agreement.state) == (
        "settled",
        Decimal("800.00"),
        "issued",
    )


def test_advance_compensation_starts_and_an_amount_above_the_claim_is_an_error(client, case):
    # the merchant is not identified (CRPL art. 44): advance compensation is open
    response = _post(client, case, "compensation", {"amount": "99999.00"})
    assert response.status_code == 200 and _error_beside(response, "compensation-amount")
    assert "不能超过约定或诉求的金额 1299.00 元" in response.content.decode()
    case.refresh_from_db()
    assert case.status == "mediating"
    _post(client, case, "compensation", {"amount": "300.00"})
    case.refresh_from_db()
    assert (case.status, case.compensation_amount) == ("compensating", Decimal("300.00"))
    assert case.advance_compensation.basis == "unidentified_merchant"


def test_pausing_needs_a_reason_and_resuming_restarts_the_clock(client, case):
    assert _error_beside(_post(client, case, "pause", {"reason": ""}), "pause-reason")
    _post(client, case, "pause", {"reason": "送检鉴定"})
    case.refresh_from_db()
    assert case.mediation_paused_at is not None
    assert 'id="resume-form"' in client.get(_url(case)).content.decode()
    client.post(_url(case, "resume"))
    case.refresh_from_db()
    assert case.mediation_paused_at is None


def test_failing_mediation_needs_a_ground(client, case, quick_documents):
    response = _post(client, case, "fail", {"reason_code": "", "reason": "平台拒不参加"})
    assert (
        _error_beside(response, "fail-reason_code") and "平台拒不参加" in response.content.decode()
    )
    case.refresh_from_db()
    assert case.status == "mediating"
    _post(client, case, "fail", {"reason_code": "party_absent", "reason": "平台拒不参加"})
    case.refresh_from_db()
    assert (case.status, case.outcome, case.reason_code) == (
        "closed",
        "mediation_failed",
        "party_absent",
    )


def test_referring_closes_with_the_route(client, case, quick_documents):
    assert _error_beside(
        _post(client, case, "refer", {"route": "court", "reason": "x"}), "refer-route"
    )
    _post(client, case, "refer", {"route": "arbitration", "reason": "双方有仲裁协议"})
    case.refresh_from_db()
    assert (case.outcome, case.referral_route) == ("referred", "arbitration")
    # a closed case offers no more actions
    page = client.get(_url(case)).content.decode()
    assert 'id="refer-form"' not in page and 'id="notice-download"' in page


def test_recusing_hands_the_case_to_another_mediator(client, case, mediator):
    other = UserFactory(username="mediator2", role="mediator")
    assert _error_beside(_post(client, case, "recuse", {"reason": ""}), "recuse-reason")
    response = _post(client, case, "recuse", {"reason": "与商家负责人系亲属"})
    assert response.url == reverse("mediator:home")
    case.refresh_from_db()
    assert case.mediator == other
    assert client.get(_url(case)).status_code == 404


def test_an_action_the_state_no_longer_allows_says_so(client, case):
    _post(client, case, "refer", {"route": "arbitration", "reason": "仲裁"})
    response = client.post(
        _url(case, "proposal"),
        {"proposal-terms": "退款", "proposal-amount": "1.00"},
        follow=True,
    )
    assert "案件当前的状态不允许此操作" in response.content.decode()
    assert not MediationProposal.objects.exists()


def test_an_unknown_action_is_404(client, case):
    assert client.post(_url(case, "explode")).status_code == 404
    url = reverse("mediator:session_record", args=[case.reference, 999])
    assert client.post(url, {"record-999-minutes": "x"}).status_code == 404


def test_agreement_draft_keeps_the_typed_text_when_redrafted(client, case):
    agreement_draft(
        complaint_id=case.pk,
        actor=Actor.of_user(case.mediator),
        facts="事实",
        terms=TERMS,
        amount="800.00",
    )
    page = client.get(_url(case)).content.decode()
    assert TERMS in page and 'value="800.00"' in page
