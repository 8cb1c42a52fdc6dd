"""The whole paths of mediation through the API: agreement and fulfilment, advance
compensation and recovery, a cap that bites and the top-up that unblocks it, the
mediation limit with a paused clock, and referral.

The agreement and notice PDFs are rendered and signed for real here (once each):
their text is read back and their signatures checked.
"""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone
from pypdf import PdfReader

from api.keys import api_key_create
from complaints.choices import Outcome, Status
from complaints.sweep import sweep_deadlines
from mediation.models import (
    AdvanceCompensation,
    Agreement,
    GuaranteeDepositEntry,
    Recovery,
    deposit_balance,
)
from mediation.signing import verify_pdf_signature
from tests.api.clients import client_for
from tests.factories import UserFactory
from tests.helpers import PROBLEM
from tests.states import complaint_in, deposit

pytestmark = pytest.mark.django_db

TERMS = "平台于七日内向消费者退款人民币八百元，消费者退回耳机。"


@pytest.fixture
def clients(consumer, platform, mediator, staff):
    return {
        "consumer": client_for(consumer),
        "platform": client_for(api_key=api_key_create(platform=platform)[1]),
        "mediator": client_for(mediator),
        "staff": client_for(staff),
    }


def url(complaint, suffix: str = "") -> str:
    return f"/api/v1/complaints/{complaint.reference}/{suffix}"


def fire(client, complaint, name: str, body: dict | None = None):
    return client.post(url(complaint, f"transitions/{name}/"), body or {}, format="json")


def text_of(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return "".join(page.extract_text() for page in reader.pages).replace(" ", "").replace("\n", "")


def agree(clients, complaint, *, amount: str = "800.00", days: int = 7):
    """Mediator drafts, both parties confirm online, mediator signs."""
    draft = clients["mediator"].put(
        url(complaint, "agreement/"),
        {
            "facts": "耳机左耳无声，平台拒绝退款。",
            "terms": TERMS,
            "amount": amount,
            "fulfilment_days": days,
        },
        format="json",
    )
    assert draft.status_code == 200, draft.content
    version = draft.json()["version"]
    for party in ("consumer", "platform"):
        answer = clients[party].post(
            url(complaint, "agreement/confirm/"),
            {"version": version},
            format="json",
            HTTP_USER_AGENT=f"{party}-browser/1.0",
        )
        assert answer.status_code == 201, answer.content
    return fire(
        clients["mediator"],
        complaint,
        "sign_agreement",
        {"terms": TERMS, "amount": amount, "fulfilment_days": days},
    )


def test_decline_mediation_agreement_fulfilment_confirmed(
    clients, consumer, platform, django_capture_on_commit_callbacks
):
    # given a complaint whose proposal the consumer declined: it is in mediation
    complaint = complaint_in("mediating", consumer=consumer, platform_code=platform.code)
    # when the mediator tries to sign before anyone confirmed a draft, it is refused
    early = fire(
        clients["mediator"],
        complaint,
        "sign_agreement",
        {"terms": TERMS, "amount": "800.00", "fulfilment_days": 7},
    )
    assert early.status_code == 422 and "agreement" in early.json()["errors"]
    # and a draft changed after one party confirmed needs that party again
    clients["mediator"].put(
        url(complaint, "agreement/"),
        {"facts": "争议", "terms": TERMS, "amount": "700.00"},
        format="json",
    )
    clients["consumer"].post(url(complaint, "agreement/confirm/"), {"version": 1}, format="json")
    redraft = clients["mediator"].put(
        url(complaint, "agreement/"),
        {"facts": "争议", "terms": TERMS, "amount": "800.00"},
        format="json",
    )
    assert redraft.json()["version"] == 2
    stale = clients["platform"].post(
        url(complaint, "agreement/confirm/"), {"version": 1}, format="json"
    )
    assert stale.status_code == 422 and "version" in stale.json()["errors"]

    # when both confirm the agreement and the mediator signs it
    with django_capture_on_commit_callbacks(execute=True):
        signed = agree(clients, complaint)
    # then the case is settled and the signed PDF is served to the parties only
    assert signed.status_code == 200, signed.content
    assert signed.json()["status"] == Status.SETTLED
    agreement = Agreement.objects.get(complaint=complaint)
    assert agreement.state == Agreement.State.ISSUED and agreement.pdf_record is not None
    pdf = clients["consumer"].get(url(complaint, "agreement.pdf"))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    data = b"".join(pdf.streaming_content)
    text = text_of(data)
    assert "张三" in text and platform.name in text and "八百元" in text.replace("捌佰", "八百")
    assert "平台于七日内向消费者退款" in text
    check = verify_pdf_signature(data)
    assert check.valid and check.intact and check.covers_whole_file
    # one byte changed inside the signed range breaks the signature
    tampered = bytearray(data)
    tampered[len(data) // 3] ^= 0x01
    assert not verify_pdf_signature(bytes(tampered)).valid
    # the preserved copy is the one served, and it is in the evidence chain
    assert agreement.pdf_record.sha256 == __import__("hashlib").sha256(data).hexdigest()
    regulator = client_for(UserFactory(username="reg2", role="regulator", region_prefix="31"))
    assert regulator.get(url(complaint, "agreement.pdf")).status_code == 403

    # when the platform reports fulfilment and the consumer confirms
    reported = clients["platform"].post(
        url(complaint, "fulfilment/report/"), {"note": "已退款"}, format="json"
    )
    assert reported.status_code == 200 and reported.json()["objection_due"]
    closed = fire(clients["consumer"], complaint, "confirm_fulfilment")
    # then it is closed as resolved
    assert closed.json()["status"] == Status.CLOSED
    assert closed.json()["outcome"] == Outcome.RESOLVED


def test_missed_fulfilment_advance_compensation_payout_and_recovery(
    clients, consumer, platform, mediator, django_capture_on_commit_callbacks, quick_documents
):
    # given a platform with an advance-compensation commitment and a deposit
    platform.advance_compensation_committed = True
    platform.advance_compensation_cap = Decimal("2000.00")
    platform.save()
    deposit(platform, "5000.00")
    complaint = complaint_in("mediating", consumer=consumer, platform_code=platform.code)
    with django_capture_on_commit_callbacks(execute=True):
        agree(clients, complaint, amount="800.00", days=3)
    complaint.refresh_from_db()
    # when the fulfilment deadline passes without a report
    with django_capture_on_commit_callbacks(execute=True):
        done = sweep_deadlines(now=complaint.fulfilment_due + timedelta(minutes=1))
    assert done["fulfilment_missed"] == 1
    # then the mediator sees it, with advance compensation proposed
    missed = complaint.events.get(name="fulfilment_missed")
    assert missed.payload["advance_compensation_proposed"] is True
    assert missed.payload["mediator"] == mediator.username
    cases = clients["mediator"].get("/api/v1/mediation/cases/").json()
    assert complaint.reference in [c["reference"] for c in cases]

    # when the mediator starts advance compensation and the platform pays it
    with django_capture_on_commit_callbacks(execute=True):
        started = fire(clients["mediator"], complaint, "start_compensation", {"amount": "800.00"})
    assert started.json()["status"] == Status.COMPENSATING
    state = clients["consumer"].get(url(complaint, "compensation/")).json()
    assert state["approved"] and state["basis"] == "unidentified_merchant"
    assert state["blocked_reason"] == ""
    with django_capture_on_commit_callbacks(execute=True):
        paid = fire(
            clients["platform"],
            complaint,
            "pay_compensation",
            {"amount": "800.00", "transaction_ref": "PAY-20261201-1"},
        )
    assert paid.status_code == 200, paid.content
    assert paid.json()["outcome"] == Outcome.COMPENSATED
    # then the deposit paid it, and a recovery against the merchant is open
    assert deposit_balance(platform) == Decimal("4200.00")
    payout = GuaranteeDepositEntry.objects.get(complaint=complaint, kind="payout")
    assert payout.amount == Decimal("-800.00") and payout.reference == "PAY-20261201-1"
    listing = clients["platform"].get("/api/v1/recoveries/").json()
    (recovery,) = listing["results"]
    assert recovery["state"] == "pending" and recovery["amount"] == "800.00"
    assert listing["totals"]["pending"] == {"count": 1, "amount": "800.00", "recovered": "0.00"}
    # the payment is evidence of the case
    assert complaint.evidence.filter(kind="payment").exists()

    # when the platform recovers the money from the merchant
    recovered = clients["platform"].post(
        f"/api/v1/recoveries/{recovery['id']}/recover/",
        {"amount": "800.00", "reference": "BANK-77"},
        format="json",
    )
    # then it is credited back and the recovery is closed, once
    assert recovered.status_code == 200 and recovered.json()["state"] == "recovered"
    assert deposit_balance(platform) == Decimal("5000.00")
    again = clients["platform"].post(
        f"/api/v1/recoveries/{recovery['id']}/recover/", {"amount": "1.00"}, format="json"
    )
    assert again.status_code == 409 and again.json()["code"] == "recovery_closed"
    assert complaint.events.filter(name="recovery_recovered").count() == 1
    summary = clients["platform"].get("/api/v1/deposit/").json()
    assert summary["balance"] == "5000.00"
    assert summary["totals"]["payout"] == "-800.00" and summary["totals"]["recovery"] == "800.00"


def test_a_cap_that_bites_and_the_top_up_that_unblocks_it(
    clients, consumer, platform, django_capture_on_commit_callbacks
):
    # given a deposit of 100 yuan and 300 yuan of advance compensation approved
    deposit(platform, "100.00")
    complaint = complaint_in("compensating", consumer=consumer, platform_code=platform.code)
    with django_capture_on_commit_callbacks(execute=True):
        from mediation.compensation import compensation_recheck

        compensation_recheck(platform_id=platform.pk)
    # then the case is held up, with the reason, and the platform was asked to top up
    held = AdvanceCompensation.objects.get(complaint=complaint)
    assert held.blocked_reason == AdvanceCompensation.Block.DEPOSIT_BALANCE
    assert "保证金余额 100.00 元不足" in held.blocked_detail
    assert complaint.events.filter(name="compensation_blocked").count() == 1
    assert any(platform.notice_email in m.to for m in mail.outbox)
    # when the platform tries to pay anyway, nothing is paid and the case stays open
    refused = fire(
        clients["platform"],
        complaint,
        "pay_compensation",
        {"amount": "300.00", "transaction_ref": "P-1"},
    )
    assert refused.status_code == 409 and refused["Content-Type"] == PROBLEM
    body = refused.json()
    assert body["code"] == "compensation_blocked" and body["shortfall"] == "200.00"
    complaint.refresh_from_db()
    assert complaint.status == Status.COMPENSATING
    assert deposit_balance(platform) == Decimal("100.00")
    assert complaint.events.filter(name="compensation_blocked").count() == 1  # not twice
    assert clients["platform"].get("/api/v1/deposit/").json()["blocked_compensations"] == 1

    # when staff record a top-up
    with django_capture_on_commit_callbacks(execute=True):
        topped = clients["staff"].post(
            "/api/v1/deposit/entries/",
            {
                "platform": platform.code,
                "kind": "deposit",
                "amount": "500.00",
                "reference": "BANK-1",
            },
            format="json",
        )
    assert topped.status_code == 201
    # then the case is unblocked and the platform told; the payout goes through
    assert complaint.events.filter(name="compensation_unblocked").count() == 1
    assert AdvanceCompensation.objects.get(complaint=complaint).blocked_reason == ""
    paid = fire(
        clients["platform"],
        complaint,
        "pay_compensation",
        {"amount": "300.00", "transaction_ref": "P-2"},
    )
    assert paid.status_code == 200, paid.content
    assert deposit_balance(platform) == Decimal("300.00")


def test_the_commitment_cap_bites_before_the_balance(
    clients, consumer, platform, django_capture_on_commit_callbacks, quick_documents
):
    # given an identified merchant (so the commitment is the basis) and a cap of 200
    platform.advance_compensation_committed = True
    platform.advance_compensation_cap = Decimal("200.00")
    platform.save()
    deposit(platform, "10000.00")
    complaint = complaint_in("mediating", consumer=consumer, platform_code=platform.code)
    from complaints.models import Complaint
    from tests.factories import MerchantFactory

    Complaint.objects.filter(pk=complaint.pk).update(merchant=MerchantFactory(platform=platform))
    with django_capture_on_commit_callbacks(execute=True):
        fire(clients["mediator"], complaint, "start_compensation", {"amount": "300.00"})
    held = AdvanceCompensation.objects.get(complaint=complaint)
    assert (held.basis, held.blocked_reason) == ("commitment", "commitment_cap")
    refused = fire(
        clients["platform"],
        complaint,
        "pay_compensation",
        {"amount": "300.00", "transaction_ref": "P"},
    )
    assert refused.json()["reason"] == "commitment_cap"
    # paying within the cap is allowed: the rest is the consumer's to claim elsewhere
    partial = fire(
        clients["platform"],
        complaint,
        "pay_compensation",
        {"amount": "200.00", "transaction_ref": "P"},
    )
    assert partial.status_code == 200
    assert Recovery.objects.get(complaint=complaint).amount == Decimal("200.00")


def test_mediation_limit_with_a_paused_clock_then_failure_and_notice(
    clients, consumer, platform, django_capture_on_commit_callbacks
):
    complaint = complaint_in("mediating", consumer=consumer, platform_code=platform.code)
    due = complaint.mediation_due
    # given the clock paused for an appraisal ten days before the limit
    paused_at = due - timedelta(days=10)
    from complaints.actors import Actor
    from complaints.services import mediation_pause, mediation_resume

    mediator = Actor.of_user(complaint.mediator)
    mediation_pause(complaint_id=complaint.pk, actor=mediator, reason="送检鉴定", at=paused_at)
    # when the sweep runs past the original limit, nothing ends
    assert sweep_deadlines(now=due + timedelta(days=1))["fail_mediation"] == 0
    # and after resuming 15 days later the limit moved by those days
    complaint = mediation_resume(
        complaint_id=complaint.pk, actor=mediator, at=paused_at + timedelta(days=15)
    )
    # (60 + 15 days from acceptance, rolled past a weekend as art. 45 says)
    assert complaint.mediation_paused_days == 15
    assert complaint.mediation_due >= due + timedelta(days=13)
    # a reminder goes out before the new limit, once
    reminded = sweep_deadlines(now=complaint.mediation_due - timedelta(days=2))
    assert reminded["mediation_reminder"] == 1
    assert (
        sweep_deadlines(now=complaint.mediation_due - timedelta(days=1))["mediation_reminder"] == 0
    )
    # when the new limit passes, mediation fails and the notice goes to both parties
    with django_capture_on_commit_callbacks(execute=True):
        done = sweep_deadlines(now=complaint.mediation_due + timedelta(minutes=1))
    assert done["fail_mediation"] == 1
    complaint.refresh_from_db()
    assert (complaint.status, complaint.outcome) == (Status.CLOSED, Outcome.MEDIATION_FAILED)
    assert complaint.parties_notified_at is not None
    # one message per party, each in its reader's language
    notices = [m for m in mail.outbox if "告知书" in m.subject]
    assert sorted(r for m in notices for r in m.to) == sorted(
        [consumer.email, platform.notice_email]
    )
    notice_mail = notices[0]
    (name, attached, kind) = notice_mail.attachments[0]
    assert kind == "application/pdf"
    text = text_of(attached)
    assert "调解期限届满" in text and "人民法院" in text
    assert verify_pdf_signature(attached).valid
    served = clients["consumer"].get(url(complaint, "notice.pdf"))
    assert b"".join(served.streaming_content) == attached


def test_referral_closes_with_a_notice_naming_the_route(
    clients, consumer, platform, django_capture_on_commit_callbacks, quick_documents
):
    complaint = complaint_in("mediating", consumer=consumer, platform_code=platform.code)
    with django_capture_on_commit_callbacks(execute=True):
        referred = fire(
            clients["mediator"],
            complaint,
            "refer",
            {"route": "arbitration", "reason": "双方有仲裁协议"},
        )
    assert referred.json()["outcome"] == Outcome.REFERRED
    complaint.refresh_from_db()
    assert complaint.end_notice.number == f"ZZ{complaint.reference[2:]}"
    assert complaint.parties_notified_at is not None
    from mediation.agreements import notice_document

    doc = notice_document(complaint, "ZZ")
    assert doc.kind == "referred" and doc.route_label == "仲裁"
    assert doc.next_steps[0].startswith("可依据双方的仲裁协议")


def test_recusal_hands_the_case_to_another_mediator_for_good(
    clients, consumer, platform, mediator, staff
):
    complaint = complaint_in("mediating", consumer=consumer, platform_code=platform.code)
    other = UserFactory(username="mediator-b", role="mediator")
    answer = clients["mediator"].post(
        url(complaint, "recuse/"), {"reason": "系商家亲属"}, format="json"
    )
    assert answer.status_code == 200 and answer.json()["mediator"] == other.username
    # the recused mediator no longer sees the case, and cannot be given it back
    assert clients["mediator"].get(url(complaint)).status_code == 404
    back = clients["staff"].post(
        url(complaint, "reassign/"),
        {"mediator": mediator.username, "reason": "人手不足"},
        format="json",
    )
    assert back.status_code == 422 and "mediator" in back.json()["errors"]


def test_sessions_proposals_and_private_notes(clients, consumer, platform, mediator):
    complaint = complaint_in("mediating", consumer=consumer, platform_code=platform.code)
    when = (timezone.now() + timedelta(days=2)).isoformat()
    session = (
        clients["mediator"]
        .post(
            url(complaint, "sessions/"),
            {"scheduled_at": when, "channel": "video", "participants": ["张三", "平台客服"]},
            format="json",
        )
        .json()
    )
    past = clients["mediator"].post(
        url(complaint, "sessions/"),
        {"scheduled_at": "2020-01-01T10:00:00+08:00", "channel": "phone"},
        format="json",
    )
    assert past.status_code == 422 and "scheduled_at" in past.json()["errors"]
    held = clients["mediator"].post(
        url(complaint, f"sessions/{session['id']}/record/"),
        {"minutes": "双方同意退款"},
        format="json",
    )
    assert held.json()["state"] == "held"
    assert clients["consumer"].get(url(complaint, "sessions/")).json()[0]["minutes"]
    # proposals: each party answers once
    proposal = (
        clients["mediator"]
        .post(
            url(complaint, "mediation-proposals/"),
            {"terms": "退款600元", "amount": "600.00"},
            format="json",
        )
        .json()
    )
    reply = url(complaint, f"mediation-proposals/{proposal['id']}/reply/")
    assert clients["consumer"].post(reply, {"reply": "accepted"}, format="json").status_code == 200
    twice = clients["consumer"].post(reply, {"reply": "declined"}, format="json")
    assert twice.status_code == 422
    assert (
        clients["platform"]
        .post(reply, {"reply": "declined", "comment": "金额过高"}, format="json")
        .json()["platform_reply"]
        == "declined"
    )
    # notes are for the mediator and staff: not on the timeline, not for the parties
    clients["mediator"].post(url(complaint, "notes/"), {"body": "商家态度消极"}, format="json")
    assert clients["staff"].get(url(complaint, "notes/")).json()[0]["body"] == "商家态度消极"
    assert clients["consumer"].get(url(complaint, "notes/")).status_code == 403
    timeline = clients["consumer"].get(url(complaint, "events/")).json()
    assert "商家态度消极" not in str(timeline)
    assert {"session_scheduled", "session_held", "mediation_proposed"} <= {
        e["name"] for e in timeline
    }
