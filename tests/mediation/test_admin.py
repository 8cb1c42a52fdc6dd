"""The mediation admin: staff see every mediation record, add case notes, recheck what a
deposit can pay and write recoveries off, all through the services; nothing is changed
or deleted, and nobody but staff gets in."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib import messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from complaints.actors import Actor
from mediation.admin import AgreementAdmin
from mediation.agreements import agreement_confirm, agreement_draft
from mediation.models import (
    AdvanceCompensation,
    Agreement,
    CaseNote,
    EndNotice,
    MediationProposal,
    MediationSession,
    Recovery,
    Recusal,
    deposit_balance,
)
from mediation.services import (
    case_note_add,
    mediation_propose,
    mediator_recuse,
    session_record,
    session_schedule,
    transition_fire,
)
from tests.factories import UserFactory
from tests.helpers import admin_messages
from tests.states import agreement_confirmed, complaint_in, deposit

pytestmark = pytest.mark.django_db

TERMS = "平台于七日内向消费者退款人民币八百元，消费者退回耳机。"
RECORDS = (
    "mediationsession",
    "mediationproposal",
    "agreement",
    "casenote",
    "advancecompensation",
    "recovery",
    "recusal",
    "endnotice",
)
RECOVERIES = reverse("admin:mediation_recovery_changelist")
COMPENSATIONS = reverse("admin:mediation_advancecompensation_changelist")


def changelist(model: str) -> str:
    return reverse(f"admin:mediation_{model}_changelist")


def errors(response) -> list[str]:
    return [text for level, text in admin_messages(response) if level == messages.ERROR]


def fire(client, url: str, action: str, *objects, **data):
    return client.post(url, {"action": action, "_selected_action": [o.pk for o in objects], **data})


@pytest.fixture
def file(consumer, platform, mediator):
    def make(state: str):
        return complaint_in(state, consumer=consumer, platform_code=platform.code)

    return make


@pytest.fixture
def recovery(file, platform) -> Recovery:
    """Advance compensation of 300 yuan paid out of a 1000 yuan deposit: a recovery is open."""
    deposit(platform, "1000.00")
    complaint = file("compensating")
    transition_fire(
        complaint_id=complaint.pk,
        name="pay_compensation",
        actor=Actor.of_platform(platform),
        params={"amount": "300.00", "transaction_ref": "PAY-1"},
    )
    return Recovery.objects.get(complaint=complaint)


@pytest.fixture
def records(file, platform, recovery, django_capture_on_commit_callbacks, quick_documents):
    """One of each mediation record, each made by its service."""
    # a case worked by its mediator: a session held, a proposal, a note
    case = file("mediating")
    mediator = Actor.of_user(case.mediator)
    now = timezone.now()
    session = session_schedule(
        complaint_id=case.pk,
        actor=mediator,
        scheduled_at=now + timedelta(hours=2),
        channel="video",
        participants=["张三", "平台客服"],
        at=now,
    )
    session_record(
        complaint_id=case.pk,
        session_id=session.pk,
        actor=mediator,
        minutes="双方同意送检。",
        at=now + timedelta(hours=3),
    )
    mediation_propose(complaint_id=case.pk, actor=mediator, terms="退款五百元", amount="500.00")
    case_note_add(complaint=case, actor=mediator, body="商家同意参加调解。")
    # a signed agreement, confirmed by both parties
    signed = file("mediating")
    agreement_confirmed(signed, terms=TERMS, amount="800.00")
    transition_fire(
        complaint_id=signed.pk,
        name="sign_agreement",
        actor=Actor.of_user(signed.mediator),
        params={"terms": TERMS, "amount": "800.00", "fulfilment_days": 7},
    )
    # a referral, with its notice (rendered after commit)
    referred = file("mediating")
    with django_capture_on_commit_callbacks(execute=True):
        transition_fire(
            complaint_id=referred.pk,
            name="refer",
            actor=Actor.of_user(referred.mediator),
            params={"route": "litigation", "reason": "金额较大，建议起诉"},
        )
    # a recusal: the case goes to another mediator
    UserFactory(username="mediator-b", role="mediator")
    recused = file("mediating")
    mediator_recuse(
        complaint_id=recused.pk, actor=Actor.of_user(recused.mediator), reason="系商家亲属"
    )
    return {
        "mediationsession": MediationSession.objects.get(pk=session.pk),
        "mediationproposal": MediationProposal.objects.get(),
        "agreement": Agreement.objects.get(complaint=signed),
        "casenote": CaseNote.objects.get(),
        "advancecompensation": AdvanceCompensation.objects.get(complaint=recovery.complaint),
        "recovery": recovery,
        "recusal": Recusal.objects.get(),
        "endnotice": EndNotice.objects.get(complaint=referred),
    }


# Pages.


def test_every_mediation_list_and_record_renders_for_staff(staff_client, records):
    index = staff_client.get(reverse("admin:app_list", args=["mediation"]))
    assert index.status_code == 200
    assert "调解会议" in index.content.decode() and "追偿" in index.content.decode()
    for model in RECORDS:
        obj = records[model]
        # the list shows the record's case
        listing = staff_client.get(changelist(model))
        assert listing.status_code == 200, model
        assert obj.complaint.reference in listing.content.decode(), model
        # and the record itself opens, to look at
        page = staff_client.get(reverse(f"admin:mediation_{model}_change", args=[obj.pk]))
        assert page.status_code == 200, model


def test_money_lists_take_as_many_queries_for_three_rows_as_for_one(
    staff_client, recovery, file, platform
):
    def count(url: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert staff_client.get(url).status_code == 200
        return len(queries)

    lists = (RECOVERIES, COMPENSATIONS, changelist("agreement"))
    before = [count(url) for url in lists]
    # given two more compensations paid, each with its recovery, and two more agreements
    for n in range(2):
        paid = file("compensating")
        transition_fire(
            complaint_id=paid.pk,
            name="pay_compensation",
            actor=Actor.of_platform(platform),
            params={"amount": "100.00", "transaction_ref": f"PAY-{n + 2}"},
        )
        signed = file("mediating")
        agreement_confirmed(signed, terms=TERMS, amount="800.00")
    assert Recovery.objects.count() == 3 and Agreement.objects.count() == 2
    # then the lists take no more queries
    assert [count(url) for url in lists] == before


def test_the_agreement_page_shows_both_confirmations_read_only(staff_client, records):
    agreement = records["agreement"]
    page = staff_client.get(reverse("admin:mediation_agreement_change", args=[agreement.pk]))
    html = page.content.decode()
    assert "203.0.113.7" in html and "Mozilla/5.0 (test)" in html
    assert 'name="confirmations-0-ip"' not in html  # shown, not an input
    (row,) = staff_client.get(changelist("agreement")).context["cl"].result_list
    assert AgreementAdmin.confirmed_by_both(None, row)


def test_mediation_admin_is_closed_to_everyone_but_staff(client, consumer, mediator, records):
    # a consumer or a mediator (no is_staff: mediators work through the API) is sent to log in
    for user in (consumer, mediator):
        client.force_login(user)
        response = client.get(changelist("recovery"))
        assert response.status_code == 302 and "/login/" in response["Location"]
    # a user let into the admin whose role is not staff sees none of it
    client.force_login(UserFactory(username="odd", role="consumer", is_staff=True))
    for model in RECORDS:
        assert client.get(changelist(model)).status_code == 403, model


def test_mediation_records_cannot_be_changed_added_or_deleted(
    staff_client, superuser_client, records
):
    for who in (staff_client, superuser_client):
        for model in RECORDS:
            obj = records[model]
            change = reverse(f"admin:mediation_{model}_change", args=[obj.pk])
            delete = reverse(f"admin:mediation_{model}_delete", args=[obj.pk])
            # when someone posts a change or a deletion
            assert who.post(change, {"reason": "x", "body": "x"}).status_code == 403, model
            assert who.get(delete).status_code == 403, model
            assert who.post(delete, {"post": "yes"}).status_code == 403, model
            # nor may anything be added, but a case note
            add = who.get(reverse(f"admin:mediation_{model}_add")).status_code
            assert add == (200 if model == "casenote" else 403), model
            # and bulk deletion is not offered
            action_form = who.get(changelist(model)).context["action_form"]
            offered = action_form.fields["action"].choices if action_form else []
            assert "delete_selected" not in [name for name, _label in offered], model
    # then every record is as it was
    for model, obj in records.items():
        fresh = type(obj).objects.get(pk=obj.pk)
        assert [getattr(fresh, f.attname) for f in fresh._meta.concrete_fields] == [
            getattr(obj, f.attname) for f in obj._meta.concrete_fields
        ], model


# Case notes.


def test_staff_add_a_case_note_through_the_service(staff_client, staff_user, file):
    complaint = file("mediating")
    add = reverse("admin:mediation_casenote_add")
    # staff find the case by its reference
    found = staff_client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "mediation",
            "model_name": "casenote",
            "field_name": "complaint",
            "term": complaint.reference,
        },
    )
    assert [r["id"] for r in found.json()["results"]] == [str(complaint.pk)]
    # when staff submit an empty note, the service's rule is a form error
    response = staff_client.post(add, {"complaint": complaint.pk, "body": "   "})
    assert response.status_code == 200
    assert "body" in response.context["adminform"].form.errors
    assert not CaseNote.objects.exists()
    # when they write one
    response = staff_client.post(add, {"complaint": complaint.pk, "body": "已提示平台核查页面。"})
    # then it is theirs, on the case, and the list shows it
    assert response.status_code == 302
    note = CaseNote.objects.get()
    assert (note.complaint, note.author, note.body) == (
        complaint,
        staff_user,
        "已提示平台核查页面。",
    )
    assert "已提示平台核查页面" in staff_client.get(changelist("casenote")).content.decode()


def test_a_superuser_of_another_role_may_neither_read_nor_add_notes(client, file, mediator):
    complaint = file("mediating")
    case_note_add(complaint=complaint, actor=Actor.of_user(mediator), body="私密笔记")
    root = UserFactory(
        username="root2", role="regulator", region_prefix="31", is_staff=True, is_superuser=True
    )
    client.force_login(root)
    assert client.get(changelist("casenote")).status_code == 403
    response = client.post(
        reverse("admin:mediation_casenote_add"), {"complaint": complaint.pk, "body": "x"}
    )
    # the service refuses, as a form error, and nothing is written
    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors()
    assert CaseNote.objects.count() == 1


# Advance compensation.


def test_recheck_holds_up_what_the_deposit_cannot_pay_and_releases_it_after_a_top_up(
    staff_client, file, platform
):
    # given 300 yuan of advance compensation approved against a 100 yuan deposit
    deposit(platform, "100.00")
    complaint = file("compensating")
    compensation = AdvanceCompensation.objects.get(complaint=complaint)
    assert compensation.blocked_reason == ""  # the after-commit recheck has not run
    # when staff recheck the deposit from the list
    response = fire(staff_client, COMPENSATIONS, "recheck_deposit", compensation, follow=True)
    # then the case is held up on the balance, with an event, and staff are told
    compensation.refresh_from_db()
    assert compensation.blocked_reason == AdvanceCompensation.Block.DEPOSIT_BALANCE
    assert complaint.events.filter(name="compensation_blocked").count() == 1
    texts = [text for _level, text in admin_messages(response)]
    assert any("新暂缓 1 件" in text and "100.00" in text for text in texts), texts
    # and the filter on the reason finds it
    held = staff_client.get(COMPENSATIONS + "?blocked_reason__exact=deposit_balance")
    assert list(held.context["cl"].result_list) == [compensation]
    # when the platform tops up and staff recheck again
    deposit(platform, "500.00")
    fire(staff_client, COMPENSATIONS, "recheck_deposit", compensation)
    # then it is payable again, and a second recheck changes nothing
    compensation.refresh_from_db()
    assert compensation.blocked_reason == ""
    assert complaint.events.filter(name="compensation_unblocked").count() == 1
    fire(staff_client, COMPENSATIONS, "recheck_deposit", compensation)
    assert complaint.events.filter(name__startswith="compensation_").count() == 2


def test_only_staff_are_offered_the_recheck(superuser_client, client, file, platform):
    file("compensating")
    offered = superuser_client.get(COMPENSATIONS).context["action_form"].fields["action"]
    assert "recheck_deposit" in [name for name, _label in offered.choices]
    root = UserFactory(username="root3", role="consumer", is_staff=True, is_superuser=True)
    client.force_login(root)
    assert client.get(COMPENSATIONS).context["action_form"] is None  # no action at all


# Recovery.


def test_write_off_asks_for_a_reason_and_closes_the_recovery_through_the_service(
    staff_client, staff_user, recovery, platform
):
    balance = deposit_balance(platform)
    # when staff choose the action, they get the form, with the amount to recover
    page = fire(staff_client, RECOVERIES, "write_off", recovery)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="reason"' in html and "应追偿 300.00 元" in html
    assert recovery.complaint.reference in html
    # when they submit it without a reason, the form says so and nothing changes
    response = fire(staff_client, RECOVERIES, "write_off", recovery, apply="1", reason="")
    assert response.status_code == 200
    assert response.context["form"].errors.keys() == {"reason"}
    recovery.refresh_from_db()
    assert recovery.state == Recovery.State.PENDING
    # when they give one
    reason = "商家已注销，无可供追偿的财产。"
    response = fire(staff_client, RECOVERIES, "write_off", recovery, apply="1", reason=reason)
    # then the recovery is written off by them, with an event on the case
    assert response.status_code == 302
    assert errors(response) == []
    recovery.refresh_from_db()
    assert (recovery.state, recovery.reason) == (Recovery.State.WRITTEN_OFF, reason)
    assert recovery.closed_by == staff_user.username and recovery.closed_at is not None
    event = recovery.complaint.events.get(name="recovery_written_off")
    assert (event.actor, event.payload["reason"], event.payload["amount"]) == (
        staff_user,
        reason,
        "300.00",
    )
    # no money moved: a write-off is not a credit
    assert recovery.credit is None and deposit_balance(platform) == balance
    # when they write it off again, the service refuses, as a message
    response = fire(staff_client, RECOVERIES, "write_off", recovery, apply="1", reason="再次")
    (error,) = errors(response)
    assert "已结束" in error and "已核销" in error
    assert recovery.complaint.events.filter(name="recovery_written_off").count() == 1


def test_a_superuser_without_the_staff_role_is_refused_the_write_off(client, recovery):
    root = UserFactory(username="root4", role="consumer", is_staff=True, is_superuser=True)
    client.force_login(root)
    response = fire(client, RECOVERIES, "write_off", recovery, apply="1", reason="核销")
    assert response.status_code == 302
    (error,) = errors(response)
    assert "无权" in error
    recovery.refresh_from_db()
    assert recovery.state == Recovery.State.PENDING


def test_the_recovery_list_totals_each_state_over_its_filters(staff_client, recovery, platform):
    # given a pending recovery of 300 yuan, and one of 200 written off
    other = complaint_in(
        "compensating", consumer=recovery.complaint.consumer, platform_code=platform.code
    )
    transition_fire(
        complaint_id=other.pk,
        name="pay_compensation",
        actor=Actor.of_platform(platform),
        params={"amount": "200.00", "transaction_ref": "PAY-2"},
    )
    written_off = Recovery.objects.get(complaint=other)
    fire(staff_client, RECOVERIES, "write_off", written_off, apply="1", reason="金额过小")
    # when staff open the list
    listing = staff_client.get(RECOVERIES)
    # then the totals per state head it
    totals = listing.context["recovery_totals"]
    assert totals["pending"]["count"] == 1 and totals["pending"]["amount"] == Decimal("300.00")
    assert totals["written_off"]["amount"] == Decimal("200.00")
    assert totals["recovered"]["count"] == 0
    html = listing.content.decode()
    assert "追偿中 1 笔，300.00 元" in html and "已核销 1 笔，200.00 元" in html
    # and follow its filters
    pending = staff_client.get(RECOVERIES + "?state__exact=pending").context["recovery_totals"]
    assert pending["written_off"]["count"] == 0 and pending["pending"]["count"] == 1


def test_the_agreement_list_says_whether_both_parties_confirmed_the_current_version(
    staff_client, file
):
    # given a draft only the consumer confirmed
    complaint = file("mediating")
    draft = agreement_draft(
        complaint_id=complaint.pk,
        actor=Actor.of_user(complaint.mediator),
        facts="耳机左耳无声。",
        terms=TERMS,
        amount="800.00",
    )
    for party in (Actor.of_user(complaint.consumer), Actor.of_platform(complaint.platform)):
        # when the list is opened before and after the platform confirms
        (row,) = staff_client.get(changelist("agreement")).context["cl"].result_list
        assert not AgreementAdmin.confirmed_by_both(None, row)
        agreement_confirm(complaint_id=complaint.pk, actor=party, version=draft.version)
    # then it says so once both have
    (row,) = staff_client.get(changelist("agreement")).context["cl"].result_list
    assert AgreementAdmin.confirmed_by_both(None, row)
