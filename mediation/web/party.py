"""The parties' mediation page (namespace `party`, mounted at /mediation/<reference>/): the
consumer of a case and the platform it is against see the scheduled sessions and the
mediator's proposals, reply to a proposal, and read and confirm the agreement draft.

Scoping is the core's (`case_for` → `complaints_visible_to`): another party's case is a
404. Every change is a POST through the same services the API calls
(`mediation_proposal_reply`, `agreement_confirm`); their field errors go next to the field.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from complaints.choices import Role, Status
from complaints.exceptions import (
    ConcurrentUpdate,
    DomainValidationError,
    NotFound,
    TransitionConflict,
    TransitionForbidden,
)
from complaints.models import Complaint
from complaints.web.access import role_required
from complaints.web.forms import WebForm, add_domain_errors
from mediation.agreements import agreement_confirm
from mediation.models import Agreement, AgreementConfirmation, MediationProposal
from mediation.selectors import case_for
from mediation.services import mediation_proposal_reply
from mediation.web.display import case_refused
from mediation.web.selectors import agreement_and_confirmed_parties

PARTY_ROLES = (Role.CONSUMER, Role.PLATFORM)
Party = AgreementConfirmation.Party


class ReplyForm(WebForm):
    reply = forms.ChoiceField(
        label=gettext_lazy("您的答复"),
        choices=MediationProposal.Reply.choices,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=gettext_lazy("意见（可选）"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("不同意时，请说明理由或您能接受的条件。"),
    )


class ConfirmForm(WebForm):
    """Confirm the draft the party read: its version travels with the button."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    agree = forms.BooleanField(
        label=gettext_lazy("我已阅读上述协议草稿，同意其全部内容"),
        error_messages={"required": gettext_lazy("请勾选，表示您同意这一版协议草稿。")},
    )


def _case(request: HttpRequest, reference: str) -> Complaint:
    """The party's own case, else 404 (a foreign case is not revealed)."""
    try:
        return case_for(request.actor, reference)
    except NotFound:
        raise Http404 from None


def _party(request: HttpRequest, complaint: Complaint) -> str:
    return Party.CONSUMER if request.actor.is_consumer_of(complaint) else Party.PLATFORM


def _context(
    request: HttpRequest,
    complaint: Complaint,
    *,
    reply_form: tuple[int, ReplyForm] | None = None,
    confirm_form: ConfirmForm | None = None,
) -> dict:
    party = _party(request, complaint)
    mediating = complaint.status == Status.MEDIATING
    proposals = []
    for p in complaint.mediation_proposals.order_by("created_at", "id"):
        mine = getattr(p, f"{party}_reply")
        form = None
        if reply_form is not None and reply_form[0] == p.pk:
            form = reply_form[1]  # the one just posted, with its errors
        elif mediating and not mine:
            form = ReplyForm(prefix=f"reply-{p.pk}")
        proposals.append({"proposal": p, "form": form})
    agreement, confirmed = agreement_and_confirmed_parties(complaint)
    can_confirm = (
        mediating
        and agreement is not None
        and agreement.state == Agreement.State.DRAFT
        and party not in confirmed
    )
    if can_confirm and confirm_form is None:
        confirm_form = ConfirmForm(prefix="confirm", initial={"version": agreement.version})
    back = (
        reverse("consumer:complaint_detail", args=[complaint.reference])
        if party == Party.CONSUMER
        else reverse("platform:complaint_detail", args=[complaint.reference])
    )
    return {
        "complaint": complaint,
        "party": party,
        "back": back,
        "in_mediation": complaint.mediation_started_at is not None,
        "sessions": list(complaint.sessions.order_by("scheduled_at", "id")),
        "proposals": proposals,
        "agreement": agreement,
        "parties": [
            {"party": value, "label": label, "confirmed": value in confirmed}
            for value, label in Party.choices
        ],
        "confirm_form": confirm_form if can_confirm else None,
        "issued": agreement is not None and agreement.state == Agreement.State.ISSUED,
    }


@role_required(*PARTY_ROLES)
def case(request: HttpRequest, reference: str) -> HttpResponse:
    """The mediation of the party's case: sessions, proposals, the agreement draft."""
    complaint = _case(request, reference)
    return render(request, "web/party/case.html", _context(request, complaint))


@require_POST
@role_required(*PARTY_ROLES)
def reply(request: HttpRequest, reference: str, proposal_id: int) -> HttpResponse:
    """Accept or decline a mediator's proposal, with an optional comment (once)."""
    complaint = _case(request, reference)
    proposal = MediationProposal.objects.filter(pk=proposal_id, complaint=complaint).first()
    if proposal is None:
        raise Http404
    form = ReplyForm(data=request.POST, prefix=f"reply-{proposal.pk}")
    if form.is_valid():
        if getattr(proposal, f"{_party(request, complaint)}_reply"):
            form.add_error("reply", _("您已答复过这一方案。"))
        else:
            try:
                mediation_proposal_reply(
                    complaint_id=complaint.pk,
                    proposal_id=proposal.pk,
                    actor=request.actor,
                    reply=form.cleaned_data["reply"],
                    comment=form.cleaned_data["comment"],
                )
            except DomainValidationError as exc:
                add_domain_errors(form, exc)
            except TransitionForbidden:
                raise PermissionDenied from None
            except NotFound:
                raise Http404 from None
            except (TransitionConflict, ConcurrentUpdate) as exc:
                return case_refused(request, exc, "party:case", complaint.reference)
            else:
                messages.success(request, _("您的答复已提交，调解员和对方会看到。"))
                url = reverse("party:case", args=[complaint.reference])
                return redirect(f"{url}#proposal-{proposal.pk}")
    context = _context(request, complaint, reply_form=(proposal.pk, form))
    return render(request, "web/party/case.html", context)


def _client_ip(request: HttpRequest) -> str | None:
    # REMOTE_ADDR as the WSGI server saw it, as the API records it (api/views/mediation.py).
    return request.META.get("REMOTE_ADDR") or None


@require_POST
@role_required(*PARTY_ROLES)
def confirm(request: HttpRequest, reference: str) -> HttpResponse:
    """Confirm the version of the agreement draft the party read (IP and browser recorded)."""
    complaint = _case(request, reference)
    form = ConfirmForm(data=request.POST, prefix="confirm")
    if form.is_valid():
        agreement = Agreement.objects.filter(complaint=complaint).first()
        version = form.cleaned_data["version"]
        if agreement is None or agreement.state != Agreement.State.DRAFT:
            form.add_error("agree", _("没有待确认的协议草稿。"))
        elif version != agreement.version:
            form.add_error(
                "agree",
                _("协议草稿已更新为第 %(v)s 版，请阅读新的内容后再确认。")
                % {"v": agreement.version},
            )
        else:
            try:
                agreement_confirm(
                    complaint_id=complaint.pk,
                    actor=request.actor,
                    version=version,
                    ip=_client_ip(request),
                    user_agent=request.META.get("HTTP_USER_AGENT", ""),
                )
            except DomainValidationError as exc:
                add_domain_errors(form, exc)
            except TransitionForbidden:
                raise PermissionDenied from None
            except NotFound:
                raise Http404 from None
            except (TransitionConflict, ConcurrentUpdate) as exc:
                return case_refused(request, exc, "party:case", complaint.reference)
            else:
                messages.success(request, _("您已确认协议草稿；双方都确认后，调解员将出具协议书。"))
                url = reverse("party:case", args=[complaint.reference])
                return redirect(f"{url}#agreement")
    # The version is hidden: its errors belong beside the box the party ticks.
    for message in form.errors.pop("version", []):
        form.add_error("agree", message)
    return render(request, "web/party/case.html", _context(request, complaint, confirm_form=form))
