"""The admin: pages render for staff, actions go through the services and the domain's
permissions, complaints are never written or deleted through a form, and staff extend
the holiday calendar and the deposit ledger (append-only) here."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib import messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from complaints import workdays
from complaints.actors import Actor
from complaints.choices import Status
from complaints.models import CalendarDay, Complaint, ComplaintEvent, User
from complaints.services import mediation_pause
from mediation.models import GuaranteeDepositEntry, deposit_balance
from tests.factories import UserFactory
from tests.helpers import admin_messages
from tests.states import complaint_in

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:complaints_complaint_changelist")


def change_url(complaint: Complaint) -> str:
    return reverse("admin:complaints_complaint_change", args=[complaint.pk])


def errors(response) -> list[str]:
    return [text for level, text in admin_messages(response) if level == messages.ERROR]


@pytest.fixture
def file(consumer, platform):
    """File complaints for the default consumer and platform, walked to a state."""

    def make(state: str, **kwargs) -> Complaint:
        return complaint_in(state, consumer=consumer, platform_code=platform.code, **kwargs)

    return make


def fire(client, action: str, *complaints: Complaint, **data):
    return client.post(
        CHANGELIST,
        {"action": action, "_selected_action": [c.pk for c in complaints], **data},
    )


# Pages.


def test_complaint_list_and_pages_render_for_staff_in_every_kind_of_state(
    staff_client, file, mediator
):
    # given complaints in several states, one of them with a mediator
    complaints = [
        file(state)
        for state in ("submitted", "awaiting_response", "mediating", "rejected", "closed")
    ]
    assert complaints[2].mediator == mediator
    # when staff open the list, its filters and search, and each complaint
    pages = [
        CHANGELIST,
        CHANGELIST + "?deadline=overdue",
        CHANGELIST + "?deadline=soon",
        CHANGELIST + "?deadline=paused",
        CHANGELIST + "?status__exact=mediating",
        CHANGELIST + f"?q={complaints[0].reference}",
        *(change_url(c) for c in complaints),
    ]
    # then every page renders
    for url in pages:
        response = staff_client.get(url)
        assert response.status_code == 200, url
    listing = staff_client.get(CHANGELIST).content.decode()
    assert all(c.reference in listing for c in complaints)
    assert "调解中" in listing  # the status in Chinese


def test_change_page_shows_allowed_transitions_and_deadlines_with_their_basis(staff_client, file):
    # given a complaint waiting for the acceptance decision
    complaint = file("submitted")
    # when staff open it
    page = staff_client.get(change_url(complaint)).content.decode()
    # then they see what they may do now, the deadline and the article it comes from
    assert "<code>accept</code>" in page
    assert "<code>reject</code>" in page
    assert "<code>withdraw</code>" not in page  # the consumer's, not staff's
    assert "受理期限" in page
    assert "SAMR Order 121 art. 15" in page
    # and no field of the complaint is an input
    assert 'name="status"' not in page
    assert 'name="region"' not in page


def test_complaint_list_queries_do_not_grow_with_its_rows(staff_client, file, mediator):
    # given one complaint, then seven more in states with a mediator and deadlines
    file("submitted")
    with CaptureQueriesContext(connection) as one:
        staff_client.get(CHANGELIST)
    for state in (
        "awaiting_response",
        "mediating",
        "closed",
        "rejected",
        "settled",
        "responded",
        "compensating",
    ):
        file(state)
    # when the list shows them all
    with CaptureQueriesContext(connection) as eight:
        response = staff_client.get(CHANGELIST)
    # then it takes no more queries than for one
    assert response.context["cl"].result_count == 8
    assert len(eight) == len(one)


def test_every_admin_list_renders_for_staff(staff_client, file, mediator):
    file("mediating")
    for model in (
        "complaints_user",
        "complaints_platform",
        "complaints_merchant",
        "complaints_region",
        "complaints_calendaryear",
        "complaints_calendarday",
        "complaints_complaintevent",
        "complaints_referencecounter",
        "mediation_guaranteedepositentry",
    ):
        response = staff_client.get(reverse(f"admin:{model}_changelist"))
        assert response.status_code == 200, model


def test_admin_is_closed_to_users_without_is_staff(client, consumer):
    client.force_login(consumer)
    response = client.get(CHANGELIST)
    assert response.status_code == 302
    assert "/login/" in response["Location"]


# Actions.


def test_accept_action_forwards_submitted_complaints_and_records_events(
    staff_client, file, staff_user
):
    # given two filed complaints
    first, second = file("submitted"), file("submitted")
    # when staff accept both from the list
    response = fire(staff_client, "accept", first, second, index="0")
    # then both await the platform's response, each with an event naming the staff member
    assert response.status_code == 302
    for complaint in (first, second):
        complaint.refresh_from_db()
        assert complaint.status == Status.AWAITING_RESPONSE
        assert complaint.response_due is not None
        event = complaint.events.last()
        assert (event.name, event.actor, event.from_status) == ("accept", staff_user, "submitted")
    assert errors(response) == []


def test_accept_in_a_wrong_state_is_an_error_message_and_changes_nothing(staff_client, file):
    # given a complaint already accepted, and a filed one beside it
    accepted, filed = file("awaiting_response"), file("submitted")
    events_before = accepted.events.count()
    # when staff accept both at once
    response = fire(staff_client, "accept", accepted, filed, index="0")
    # then the wrong one is reported by reference and left as it was
    assert response.status_code == 302
    (error,) = errors(response)
    assert accepted.reference in error
    accepted.refresh_from_db()
    assert accepted.status == Status.AWAITING_RESPONSE
    assert accepted.events.count() == events_before
    # and the other one was still accepted, in its own transaction
    filed.refresh_from_db()
    assert filed.status == Status.AWAITING_RESPONSE


def test_a_superuser_without_the_staff_role_is_refused_by_the_domain(client, file):
    # given a superuser whose role is consumer
    root = UserFactory(username="root", role="consumer", is_staff=True, is_superuser=True)
    client.force_login(root)
    complaint = file("submitted")
    # when they accept a complaint through the admin
    response = fire(client, "accept", complaint, index="0")
    # then the domain refuses, as an error message, and nothing changes
    assert response.status_code == 302
    (error,) = errors(response)
    assert complaint.reference in error
    complaint.refresh_from_db()
    assert complaint.status == Status.SUBMITTED
    assert complaint.events.count() == 1


def test_reject_asks_for_a_reason_and_then_rejects(staff_client, file):
    complaint = file("submitted")
    # when staff choose the action, they get the form, with the art. 15 routes
    page = fire(staff_client, "reject", complaint, index="0")
    assert page.status_code == 200
    assert 'name="reason_code"' in page.content.decode()
    assert "可依法向人民法院起诉或申请仲裁" in page.content.decode()
    # when they submit it without a written reason
    response = fire(
        staff_client, "reject", complaint, apply="1", reason_code="time_barred", reason=""
    )
    # then the form says so and nothing changed
    assert response.status_code == 200
    assert response.context["form"].errors.keys() == {"reason"}
    complaint.refresh_from_db()
    assert complaint.status == Status.SUBMITTED
    assert complaint.events.count() == 1
    # when they submit it complete
    response = fire(
        staff_client,
        "reject",
        complaint,
        apply="1",
        reason_code="time_barred",
        reason="知道权益受损已超过三年。",
    )
    # then the complaint is rejected with the ground and reason, and an event
    assert response.status_code == 302
    complaint.refresh_from_db()
    assert complaint.status == Status.REJECTED
    assert (complaint.reason_code, complaint.reason) == ("time_barred", "知道权益受损已超过三年。")
    assert complaint.events.last().name == "reject"


def test_reject_of_an_accepted_complaint_is_reported_not_applied(staff_client, file):
    complaint = file("awaiting_response")
    response = fire(
        staff_client,
        "reject",
        complaint,
        apply="1",
        reason_code="out_of_remit",
        reason="不属于本部门管辖",
    )
    assert response.status_code == 302
    assert complaint.reference in errors(response)[0]
    complaint.refresh_from_db()
    assert complaint.status == Status.AWAITING_RESPONSE


def test_reassign_mediator_hands_the_case_over_with_a_reason(staff_client, file, mediator):
    # given a case in mediation with the only mediator, and a second mediator
    complaint = file("mediating")
    other = UserFactory(username="mediator2", role="mediator")
    # when staff reassign it without a reason
    response = fire(
        staff_client, "reassign_mediator", complaint, apply="1", mediator=str(other.pk), reason=""
    )
    # then the form asks for one
    assert response.status_code == 200
    assert "reason" in response.context["form"].errors
    # when they give one
    response = fire(
        staff_client,
        "reassign_mediator",
        complaint,
        apply="1",
        mediator=str(other.pk),
        reason="原调解员回避",
    )
    # then the case moves, with an event
    assert response.status_code == 302
    complaint.refresh_from_db()
    assert complaint.mediator == other
    event = complaint.events.last()
    assert event.name == "mediator_reassigned"
    assert event.payload["to"] == "mediator2"


def test_pause_filter_and_resume(staff_client, file, mediator):
    # given a case in mediation, paused by staff through the admin
    complaint = file("mediating")
    response = fire(staff_client, "pause_mediation", complaint, apply="1", reason="送检鉴定")
    assert response.status_code == 302
    complaint.refresh_from_db()
    assert complaint.mediation_paused_at is not None
    # then the deadline filter lists it as paused
    listing = staff_client.get(CHANGELIST + "?deadline=paused").content.decode()
    assert complaint.reference in listing
    # when staff resume it
    fire(staff_client, "resume_mediation", complaint, index="0")
    complaint.refresh_from_db()
    assert complaint.mediation_paused_at is None
    assert (
        complaint.reference
        not in staff_client.get(CHANGELIST + "?deadline=paused").content.decode()
    )


def test_deadline_filter_separates_overdue_from_due_soon(
    staff_client, staff_user, file, time_machine
):
    # given a complaint filed a month ago and one filed now, neither decided
    old = file("submitted", at=timezone.now() - timedelta(days=30))
    new = file("submitted")
    # when staff look two days before the new one's acceptance deadline... almost
    time_machine.move_to(new.acceptance_due - timedelta(days=1))
    staff_client.force_login(staff_user)  # days later: the first session has expired
    overdue = staff_client.get(CHANGELIST + "?deadline=overdue").content.decode()
    soon = staff_client.get(CHANGELIST + "?deadline=soon").content.decode()
    # then each is where it belongs
    assert old.reference in overdue and new.reference not in overdue
    assert new.reference in soon and old.reference not in soon


# Nothing is written or deleted through a form.


def test_status_cannot_be_changed_through_the_change_form(staff_client, superuser_client, file):
    complaint = file("submitted")
    for who in (staff_client, superuser_client):
        # when someone posts a new status to the change form
        response = who.post(
            change_url(complaint), {"status": "closed", "outcome": "resolved", "region": "110101"}
        )
        # then it is refused and the complaint is untouched
        assert response.status_code == 403
        complaint.refresh_from_db()
        assert (complaint.status, complaint.region) == (Status.SUBMITTED, "310115")
        assert complaint.events.count() == 1


def test_complaints_cannot_be_deleted_or_added(staff_client, superuser_client, file):
    complaint = file("submitted")
    for who in (staff_client, superuser_client):
        delete = reverse("admin:complaints_complaint_delete", args=[complaint.pk])
        assert who.get(delete).status_code == 403
        assert who.post(delete, {"post": "yes"}).status_code == 403
        assert who.get(reverse("admin:complaints_complaint_add")).status_code == 403
        # and bulk deletion is not offered either
        actions = who.get(CHANGELIST).context["action_form"].fields["action"].choices
        assert "delete_selected" not in [name for name, _label in actions]
        fire(who, "delete_selected", complaint, index="0", post="yes")
    assert Complaint.objects.filter(pk=complaint.pk).exists()


def test_complaint_events_are_read_only(staff_client, superuser_client, superuser, file):
    complaint = file("awaiting_response")
    event = complaint.events.last()
    url = reverse("admin:complaints_complaintevent_change", args=[event.pk])
    for who in (staff_client, superuser_client):
        # the page shows the event, but nobody may change it
        assert who.get(url).status_code == 200
        assert who.post(url, {"name": "forged"}).status_code == 403
        assert who.get(reverse("admin:complaints_complaintevent_add")).status_code == 403
    from complaints.admin import ComplaintEventAdmin

    request = staff_client.get(url).wsgi_request
    request.user = superuser
    model_admin = ComplaintEventAdmin(ComplaintEvent, None)
    assert not model_admin.has_change_permission(request, event)
    assert not model_admin.has_delete_permission(request, event)
    event.refresh_from_db()
    assert event.name == "accept"


# The holiday calendar.


def test_a_holiday_added_by_staff_changes_working_days_at_once(staff_client):
    # given an ordinary Wednesday, known to the calendar as a working day
    day = date(2026, 12, 9)
    assert workdays.is_workday(day)
    # when staff add it as a holiday
    response = staff_client.post(
        reverse("admin:complaints_calendarday_add"),
        {"date": "2026-12-09", "kind": "holiday", "name": "测试假日"},
    )
    # then it is no longer a working day, without waiting for the cache
    assert response.status_code == 302
    assert CalendarDay.objects.filter(date=day, kind="holiday").exists()
    assert not workdays.is_workday(day)


def test_a_makeup_workday_in_an_unannounced_year_warns(staff_client):
    response = staff_client.post(
        reverse("admin:complaints_calendarday_add"),
        {"date": "2031-01-04", "kind": "workday", "name": "调休"},
        follow=True,
    )
    assert response.status_code == 200
    assert workdays.is_workday(date(2031, 1, 4))  # a Saturday, now worked
    assert any(level == messages.WARNING for level, _ in admin_messages(response))


# Users.


def test_role_staff_see_users_but_cannot_change_them(staff_client, consumer):
    url = reverse("admin:complaints_user_change", args=[consumer.pk])
    assert staff_client.get(url).status_code == 200
    response = staff_client.post(url, {"username": consumer.username, "is_superuser": "on"})
    assert response.status_code == 403
    consumer.refresh_from_db()
    assert not consumer.is_superuser


def test_superuser_creates_a_regulator_and_the_region_is_required(superuser_client):
    client = superuser_client
    data = {
        "username": "reg-bj",
        "usable_password": "true",
        "password1": "x-Very-long-pw-42",
        "password2": "x-Very-long-pw-42",
        "role": "regulator",
        "region_prefix": "",
    }
    response = client.post(reverse("admin:complaints_user_add"), data)
    assert response.status_code == 200  # the form, with the constraint's error
    assert not User.objects.filter(username="reg-bj").exists()
    response = client.post(reverse("admin:complaints_user_add"), {**data, "region_prefix": "11"})
    assert response.status_code == 302
    assert User.objects.get(username="reg-bj").region_prefix == "11"


# The guarantee deposit ledger (mediation).

DEPOSITS = reverse("admin:mediation_guaranteedepositentry_changelist")
ADD_DEPOSIT = reverse("admin:mediation_guaranteedepositentry_add")


def test_staff_record_deposits_and_the_list_shows_running_balances(
    staff_client, staff_user, platform
):
    # when staff record a deposit and a negative adjustment
    for data in (
        {"platform": platform.pk, "kind": "deposit", "amount": "1000.00", "reference": "D-1"},
        {
            "platform": platform.pk,
            "kind": "adjustment",
            "amount": "-200.00",
            "reason": "更正重复缴存",
        },
    ):
        response = staff_client.post(ADD_DEPOSIT, data)
        assert response.status_code == 302, response.content.decode()[:2000]
    # then both are in the ledger, recorded by them
    entries = list(GuaranteeDepositEntry.objects.order_by("id"))
    assert [e.amount for e in entries] == [Decimal("1000.00"), Decimal("-200.00")]
    assert {e.created_by for e in entries} == {staff_user}
    # and the list filtered to the platform shows the balance after each entry and now
    response = staff_client.get(DEPOSITS + f"?platform__id__exact={platform.pk}")
    balances = [row.running_balance for row in response.context["cl"].result_list]
    assert sorted(balances) == [Decimal("800.00"), Decimal("1000.00")]
    assert deposit_balance(platform) == Decimal("800.00")
    assert "800.00" in response.context["title"]


def test_a_deposit_entry_that_breaks_a_ledger_rule_is_a_form_error(staff_client, platform):
    # given an empty deposit account
    for data, field, message in (
        # an adjustment that would take the balance below zero (the service's rule)
        (
            {"platform": platform.pk, "kind": "adjustment", "amount": "-5.00", "reason": "x"},
            "amount",
            "Exceeds the deposit balance.",
        ),
        # the sign and reason rules of the table's constraint, as field errors
        (
            {"platform": platform.pk, "kind": "adjustment", "amount": "5.00", "reason": ""},
            "reason",
            "调整须填写说明。",
        ),
        ({"platform": platform.pk, "kind": "deposit", "amount": "-5.00"}, "amount", "缴存金额"),
        # payouts come from the compensation workflow, not from this form
        ({"platform": platform.pk, "kind": "payout", "amount": "-5.00"}, "kind", "payout"),
    ):
        # when staff submit the entry
        response = staff_client.post(ADD_DEPOSIT, data)
        # then the form names what is wrong and nothing is written
        assert response.status_code == 200
        form_errors = response.context["adminform"].form.errors
        assert message in " ".join(form_errors.get(field, [])), form_errors
    assert not GuaranteeDepositEntry.objects.exists()


def test_deposit_entries_cannot_be_changed_or_deleted(staff_client, superuser_client, platform):
    entry = GuaranteeDepositEntry.objects.create(
        platform=platform, kind="deposit", amount=Decimal("10.00")
    )
    change = reverse("admin:mediation_guaranteedepositentry_change", args=[entry.pk])
    delete = reverse("admin:mediation_guaranteedepositentry_delete", args=[entry.pk])
    for who in (staff_client, superuser_client):
        assert who.get(change).status_code == 200
        assert (
            who.post(
                change, {"amount": "99999.00", "kind": "deposit", "platform": platform.pk}
            ).status_code
            == 403
        )
        assert who.post(delete, {"post": "yes"}).status_code == 403
    entry.refresh_from_db()
    assert entry.amount == Decimal("10.00")


def test_pausing_via_the_service_shows_in_the_list_column(staff_client, file, staff_user, mediator):
    complaint = file("mediating")
    mediation_pause(complaint_id=complaint.pk, actor=Actor.of_user(staff_user), reason="鉴定")
    listing = staff_client.get(CHANGELIST + "?status__exact=mediating").content.decode()
    assert "调解计时暂停中" in listing
