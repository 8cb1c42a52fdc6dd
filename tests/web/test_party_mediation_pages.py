"""The parties' mediation page (/mediation/<reference>/): the consumer and the platform of a
case see its sessions, proposals and agreement draft, reply to a proposal and confirm the
draft through the services; who may open it, and what bad input does."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from complaints.actors import Actor
from complaints.models import Complaint
from mediation.agreements import agreement_draft
from mediation.models import AgreementConfirmation, MediationProposal
from mediation.services import mediation_propose, session_schedule
from tests.states import complaint_in

pytestmark = pytest.mark.django_db

TERMS = "平台于七日内向消费者退款人民币八百元，消费者退回耳机。"
AGENT = "Mozilla/5.0 (party test)"


@pytest.fixture
def case(consumer, platform, mediator) -> Complaint:
    """A case in mediation with a session, a proposal and an agreement draft."""
    complaint = complaint_in("mediating", consumer=consumer, platform_code="shop")
    actor = Actor.of_user(mediator)
    session_schedule(
        complaint_id=complaint.pk,
        actor=actor,
        scheduled_at=timezone.now() + timedelta(days=2),
        channel="video",
        location="https://meet.example/room-1",
    )
    mediation_propose(complaint_id=complaint.pk, actor=actor, terms=TERMS, amount="800.00")
    agreement_draft(
        complaint_id=complaint.pk, actor=actor, facts="耳机无声", terms=TERMS, amount="800.00"
    )
    return complaint


@pytest.fixture
def proposal(case) -> MediationProposal:
    return case.mediation_proposals.get()


def _page(case) -> str:
    return reverse("party:case", args=[case.reference])


def _reply_url(case, proposal) -> str:
    return reverse("party:reply", args=[case.reference, proposal.pk])


def _confirm_url(case) -> str:
    return reverse("party:confirm", args=[case.reference])


def _reply(client, case, proposal, **data):
    body = {f"reply-{proposal.pk}-{k}": v for k, v in data.items()}
    return client.post(_reply_url(case, proposal), body)


def _confirm(client, case, **data):
    body = {f"confirm-{k}": v for k, v in data.items()}
    return client.post(_confirm_url(case), body, HTTP_USER_AGENT=AGENT, REMOTE_ADDR="203.0.113.7")


def _nothing_recorded(proposal) -> bool:
    proposal.refresh_from_db()
    return (
        not proposal.consumer_reply
        and not proposal.platform_reply
        and not AgreementConfirmation.objects.exists()
    )


# --- who may open it ---------------------------------------------------------------------


@pytest.mark.parametrize("role", ["consumer", "platform"])
def test_each_party_sees_the_mediation_in_both_languages(
    client_for, consumer, case, role, language
):
    client = (
        client_for(user=consumer, language=language)
        if role == "consumer"
        else (client_for("platform", language=language))
    )
    response = client.get(_page(case))
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<html lang="{"zh-CN" if language == "zh-hans" else "en"}">' in html
    assert ("调解方案" if language == "zh-hans" else "Mediation proposal") in html
    assert TERMS in html and "800.00" in html and "meet.example/room-1" in html
    assert 'id="confirm-form"' in html and 'id="reply-' in html
    assert 'name="csrfmiddlewaretoken"' in html


def test_the_complaint_pages_link_to_it_once_the_case_is_in_mediation(
    client_for, consumer, platform, mediator, case
):
    link = f'href="{_page(case)}"'
    consumer_page = reverse("consumer:complaint_detail", args=[case.reference])
    console_page = reverse("platform:complaint_detail", args=[case.reference])
    assert link in client_for(user=consumer).get(consumer_page).content.decode()
    assert link in client_for("platform").get(console_page).content.decode()
    # not yet in mediation: no link
    early = complaint_in("awaiting_response", consumer=consumer, platform_code="shop")
    page = client_for(user=consumer).get(
        reverse("consumer:complaint_detail", args=[early.reference])
    )
    assert 'id="mediation-link"' not in page.content.decode()


def test_anonymous_visitors_are_sent_to_login(case, proposal):
    anonymous = Client()
    assert anonymous.get(_page(case)).url.startswith("/accounts/login/?next=")
    assert _reply(anonymous, case, proposal, reply="accepted").status_code == 302
    assert _confirm(anonymous, case, version=1, agree="on").status_code == 302
    assert _nothing_recorded(proposal)


@pytest.mark.parametrize("role", ["staff", "mediator", "regulator"])
def test_other_roles_get_403(client_for, case, proposal, role):
    client = client_for(role)
    assert client.get(_page(case)).status_code == 403
    assert _reply(client, case, proposal, reply="accepted").status_code == 403
    assert _confirm(client, case, version=1, agree="on").status_code == 403
    assert _nothing_recorded(proposal)


def test_a_foreign_case_is_404(
    client_for, role_user, other_consumer, other_platform, case, proposal
):
    strangers = [
        client_for(user=other_consumer),
        client_for(user=role_user("platform", username="other-shop", platform=other_platform)),
    ]
    for client in strangers:
        assert client.get(_page(case)).status_code == 404
        assert _reply(client, case, proposal, reply="accepted").status_code == 404
        assert _confirm(client, case, version=1, agree="on").status_code == 404
    assert _nothing_recorded(proposal)


# --- replying to a proposal --------------------------------------------------------------


def test_the_consumer_declines_a_proposal_with_a_comment(client_for, consumer, case, proposal):
    client = client_for(user=consumer)
    response = _reply(client, case, proposal, reply="declined", comment="金额太低，要求退一千元")
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.consumer_reply == "declined"
    assert proposal.consumer_comment == "金额太低，要求退一千元"
    assert proposal.consumer_replied_at is not None and not proposal.platform_reply
    assert case.events.filter(name="mediation_proposal_replied").count() == 1
    # the form is gone once answered, and a second reply changes nothing
    assert f'id="reply-{proposal.pk}-form"' not in client.get(_page(case)).content.decode()
    again = _reply(client, case, proposal, reply="accepted")
    assert again.status_code == 200 and f'id="id_reply-{proposal.pk}-reply_error"' in (
        again.content.decode()
    )
    proposal.refresh_from_db()
    assert proposal.consumer_reply == "declined"


def test_the_platform_accepts_a_proposal(client_for, case, proposal):
    assert _reply(client_for("platform"), case, proposal, reply="accepted").status_code == 302
    proposal.refresh_from_db()
    assert proposal.platform_reply == "accepted" and not proposal.consumer_reply


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({}, "reply"),
        ({"reply": "maybe"}, "reply"),
        ({"reply": "accepted", "comment": "长" * 1001}, "comment"),
    ],
)
def test_a_bad_reply_is_shown_beside_the_field_and_changes_nothing(
    client_for, consumer, case, proposal, data, field
):
    response = _reply(client_for(user=consumer), case, proposal, **data)
    assert response.status_code == 200
    assert f'id="id_reply-{proposal.pk}-{field}_error"' in response.content.decode()
    assert _nothing_recorded(proposal)
    assert not case.events.filter(name="mediation_proposal_replied").exists()


def test_a_reply_needs_the_csrf_token(consumer, case, proposal):
    client = Client(enforce_csrf_checks=True)
    client.force_login(consumer)
    assert _reply(client, case, proposal, reply="accepted").status_code == 403
    assert _nothing_recorded(proposal)


# --- confirming the agreement draft ------------------------------------------------------


@pytest.mark.parametrize("role", ["consumer", "platform"])
def test_a_party_confirms_the_draft_with_its_ip_and_browser(client_for, consumer, case, role):
    client = client_for(user=consumer) if role == "consumer" else client_for("platform")
    response = _confirm(client, case, version=1, agree="on")
    assert response.status_code == 302
    confirmation = AgreementConfirmation.objects.get()
    assert confirmation.party == role and confirmation.method == "online"
    assert confirmation.version == 1
    assert confirmation.ip == "203.0.113.7" and confirmation.user_agent == AGENT
    assert case.events.filter(name="agreement_confirmed").count() == 1
    page = client.get(_page(case)).content.decode()
    assert 'id="confirm-form"' not in page


@pytest.mark.parametrize(
    "data",
    [
        {"version": 1},
        {"version": 2, "agree": "on"},
        {"agree": "on"},
        {"version": "x", "agree": "on"},
    ],
)
def test_a_bad_confirmation_is_shown_beside_the_box_and_changes_nothing(
    client_for, consumer, case, proposal, data
):
    response = _confirm(client_for(user=consumer), case, **data)
    assert response.status_code == 200
    assert 'id="id_confirm-agree_error"' in response.content.decode()
    assert _nothing_recorded(proposal)
