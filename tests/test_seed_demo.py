"""`seed_demo`: demo data in every state, reached through the services, and idempotent."""

from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db.models import Count
from django.utils import timezone

from api.keys import api_key_authenticate, api_key_create
from api.models import ApiKey
from complaints.choices import Outcome, Status
from complaints.models import Complaint, Merchant, Platform, User
from complaints.sweep import sweep_deadlines
from mediation.models import (
    AdvanceCompensation,
    Agreement,
    AgreementConfirmation,
    CaseNote,
    GuaranteeDepositEntry,
    MediationProposal,
    MediationSession,
    Recovery,
    deposit_balance,
)

USERNAMES = {
    "admin",
    "staff",
    "mediator",
    "mediator2",
    "consumer",
    "consumer2",
    "regulator",
    "platform-shop",
}


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out, stderr=StringIO())
    return out.getvalue()


def row_counts() -> dict[str, int]:
    return {model._meta.label: model.objects.count() for model in apps.get_models()}


@pytest.mark.django_db
def test_seed_demo_has_complaints_in_every_state_and_outcome():
    seed()
    statuses = set(Complaint.objects.values_list("status", flat=True))
    assert statuses == set(Status.values)
    outcomes = set(Complaint.objects.filter(status=Status.CLOSED).values_list("outcome", flat=True))
    assert outcomes == set(Outcome.values)
    # several for the common states
    per_status = dict(Complaint.objects.values_list("status").annotate(n=Count("pk")))
    for status in (
        Status.SUBMITTED,
        Status.AWAITING_RESPONSE,
        Status.RESPONDED,
        Status.MEDIATING,
        Status.SETTLED,
    ):
        assert per_status[status] >= 3, status


@pytest.mark.django_db
def test_seed_demo_complaints_carry_their_timeline():
    seed()
    for complaint in Complaint.objects.prefetch_related("events"):
        events = list(complaint.events.all())
        # filed first, and the last state change is the state it is in
        assert events[0].name == "filed"
        changes = [e for e in events if e.from_status != e.to_status]
        assert changes[-1].to_status == complaint.status, complaint.reference
        # dated in the past, in order
        assert complaint.filed_at < timezone.now()
        assert complaint.closed_at is None or complaint.filed_at < complaint.closed_at
    no_reply = Complaint.objects.get(outcome=Outcome.NO_REPLY)
    assert no_reply.proposal_reminded_at is not None
    assert no_reply.events.filter(name="proposal_reminder").exists()


@pytest.mark.django_db
def test_seed_demo_leaves_no_deadline_for_the_sweep():
    # given the demo data
    seed()
    # when the sweep runs right after
    done = sweep_deadlines(now=timezone.now())
    # then nothing was waiting: every passed deadline was already handled
    assert sum(done.values()) == 0


@pytest.mark.django_db
def test_seed_demo_creates_the_parties():
    out = seed()
    users = {u.username: u for u in User.objects.filter(username__in=USERNAMES)}
    assert set(users) == USERNAMES
    assert all(u.check_password("weiquan-demo-2026") for u in users.values())
    assert users["admin"].is_superuser and users["admin"].is_staff
    assert users["admin"].role == "staff"
    assert users["staff"].is_staff and not users["staff"].is_superuser
    assert users["mediator"].mediator_categories == []
    assert users["mediator2"].mediator_categories == ["electronics", "communication"]
    assert (users["consumer"].display_name, users["consumer"].email) == (
        "张三",
        "zhangsan@example.com",
    )
    assert users["consumer2"].display_name == "李四"
    assert users["regulator"].region_prefix == "31"
    assert users["platform-shop"].role == "platform"
    assert users["platform-shop"].platform.code == "shop"

    shop, mall, fresh = (Platform.objects.get(code=c) for c in ("shop", "mall", "fresh"))
    assert shop.name == "好物商城" and shop.advance_compensation_committed
    assert str(shop.advance_compensation_cap) == "5000.00"
    assert mall.name == "万家购物" and not mall.advance_compensation_committed
    assert fresh.name == "鲜果到家" and fresh.response_days == 7

    merchants = list(Merchant.objects.all())
    for merchant in merchants:
        merchant.full_clean()  # credit codes pass their check character
    assert sum(1 for m in merchants if m.credit_code) >= 3
    assert any(not m.is_identified for m in merchants)
    # a platform that knows the merchant names it in its answer, and no duplicate is made
    answered = Complaint.objects.filter(merchant_name="优选数码专营店", responded_at__isnull=False)
    assert answered.exists()
    assert all(c.merchant and c.merchant.is_identified for c in answered)
    assert Merchant.objects.count() == len(merchants) == 6

    assert GuaranteeDepositEntry.objects.filter(platform=shop, kind="deposit").exists()
    assert deposit_balance(shop) > 0
    # compensated complaints are paid out of the deposit, once each
    for complaint in Complaint.objects.filter(outcome=Outcome.COMPENSATED, platform=shop):
        payout = GuaranteeDepositEntry.objects.get(complaint=complaint, kind="payout")
        assert payout.amount == -complaint.compensated_amount
        assert AdvanceCompensation.objects.get(complaint=complaint).payout == payout

    # one API key for shop, printed once, that works
    key = ApiKey.objects.get()
    assert key.platform == shop
    raw = next(word for word in out.split() if word.startswith("wq_"))
    assert api_key_authenticate(raw) == key


@pytest.mark.django_db
def test_seed_demo_issues_every_signed_agreement_confirmed_by_both_parties():
    seed()
    signed = Complaint.objects.filter(events__name="sign_agreement").distinct()
    assert signed.count() >= 3
    assert signed.filter(status=Status.SETTLED).exists()
    for complaint in signed:
        # the agreement issued is the draft both parties confirmed, in its current version
        agreement = Agreement.objects.get(complaint=complaint)
        assert agreement.state == Agreement.State.ISSUED and agreement.issued_at
        assert (agreement.terms, agreement.amount) == (
            complaint.agreement_terms,
            complaint.agreed_amount,
        )
        assert agreement.facts
        confirmations = agreement.confirmations.filter(version=agreement.version)
        assert {c.party for c in confirmations} == set(AgreementConfirmation.Party.values)
        for confirmation in confirmations:
            assert confirmation.ip.startswith("203.0.113.")
            assert confirmation.user_agent.startswith("Mozilla/5.0")
            assert confirmation.created_at < agreement.issued_at
    # no draft is left over on a case that was never signed
    assert Agreement.objects.count() == signed.count()


@pytest.mark.django_db
def test_seed_demo_works_mediation_cases_through_the_services():
    seed()
    mediating = Complaint.objects.filter(status=Status.MEDIATING)
    # a video session still to come, and a session held, with its minutes
    upcoming = MediationSession.objects.get(state=MediationSession.State.SCHEDULED)
    assert upcoming.channel == MediationSession.Channel.VIDEO
    assert upcoming.scheduled_at > timezone.now() and upcoming.participants
    assert upcoming.complaint in mediating
    held = MediationSession.objects.get(state=MediationSession.State.HELD)
    assert held.minutes and held.held_at >= held.scheduled_at
    for session in (upcoming, held):
        assert session.complaint.events.filter(name="session_scheduled").exists()
    assert held.complaint.events.filter(name="session_held").exists()
    # the mediator's proposal: the consumer accepted it, the platform has not answered
    proposal = MediationProposal.objects.get()
    assert proposal.complaint in mediating
    assert proposal.consumer_reply == MediationProposal.Reply.ACCEPTED
    assert proposal.platform_reply == "" and proposal.platform_replied_at is None
    # private notes by the case's mediator, and by staff
    notes = CaseNote.objects.select_related("complaint", "author")
    assert notes.count() >= 3
    assert {note.author.role for note in notes} == {"mediator", "staff"}
    assert all(
        note.author.role == "staff" or note.author == note.complaint.mediator for note in notes
    )


@pytest.mark.django_db
def test_seed_demo_pays_out_of_the_deposit_or_holds_the_case_up():
    seed()
    # the deposits came before the payouts: no platform's balance was ever below zero
    for platform in Platform.objects.all():
        balance = 0
        for entry in GuaranteeDepositEntry.objects.filter(platform=platform):  # in time order
            balance += entry.amount
            assert balance >= 0, (platform.code, entry)
    # mall's small deposit cannot pay the compensation it owes: the case is held up
    mall = Platform.objects.get(code="mall")
    held = AdvanceCompensation.objects.get(blocked_reason="deposit_balance")
    assert held.platform == mall and held.paid_at is None
    assert held.complaint.status == Status.COMPENSATING
    assert held.amount > deposit_balance(mall) > 0
    assert held.complaint.events.filter(name="compensation_blocked").count() == 1
    assert not held.complaint.events.filter(name="pay_compensation").exists()
    # the other approved compensation is payable
    payable = AdvanceCompensation.objects.filter(
        complaint__status=Status.COMPENSATING, blocked_reason=""
    )
    assert payable.exists()
    # every payout opened a recovery: one recovered into the deposit, one written off
    recoveries = {r.state: r for r in Recovery.objects.all()}
    assert set(recoveries) == set(Recovery.State.values)
    recovered = recoveries[Recovery.State.RECOVERED]
    assert recovered.credit.kind == "recovery"
    assert recovered.credit.amount == recovered.recovered_amount
    assert recovered.complaint.events.filter(name="recovery_recovered").exists()
    written_off = recoveries[Recovery.State.WRITTEN_OFF]
    assert written_off.reason and written_off.credit is None
    assert written_off.complaint.events.filter(name="recovery_written_off").exists()
    assert Recovery.objects.count() == Complaint.objects.filter(outcome=Outcome.COMPENSATED).count()


@pytest.mark.django_db
def test_seed_demo_twice_changes_nothing():
    # given the demo data
    seed()
    before = row_counts()
    states = dict(Complaint.objects.values_list("reference", "status"))
    # when it is loaded again
    out = seed()
    # then no row was added, and no new key printed
    assert row_counts() == before
    assert dict(Complaint.objects.values_list("reference", "status")) == states
    assert "wq_" not in out


@pytest.mark.django_db
def test_seed_demo_keeps_an_existing_key_and_existing_accounts():
    # given shop registered by an operator, with a key, and a user named like a demo account
    call_command(
        "create_platform",
        "shop",
        "--name",
        "好物商城",
        "--advance-compensation-cap",
        "3000",
        stdout=StringIO(),
    )
    shop = Platform.objects.get(code="shop")
    api_key_create(platform=shop, name="ERP")
    User.objects.create_user(username="staff", password="own-password-2026", role="staff")
    # when the demo data is loaded
    out = seed()
    # then no second key is made, and what existed is left as it was
    assert ApiKey.objects.filter(platform=shop).count() == 1
    assert "wq_" not in out
    assert User.objects.get(username="staff").check_password("own-password-2026")
    assert str(Platform.objects.get(code="shop").advance_compensation_cap) == "3000.00"
