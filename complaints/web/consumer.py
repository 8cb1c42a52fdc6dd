"""The consumer's pages: my complaints, one complaint (timeline, next deadline, proposal,
thread, downloads) and the actions on it, each a POST through complaints.services."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from complaints.choices import REMAINING_ROUTES, RejectReason, Role, Status
from complaints.exceptions import (
    ConcurrentUpdate,
    DomainValidationError,
    TransitionConflict,
    TransitionForbidden,
)
from complaints.selectors import complaints_visible_to
from complaints.services import (
    complaint_transition,
    fulfilment_object,
    message_post,
    thread_read,
    transitions_available,
)
from complaints.web.access import role_required, visible_complaint_or_404
from complaints.web.forms import WebForm, add_domain_errors
from complaints.web.timeline import deadline_sentence, event_entry

# The transitions a consumer fires from the complaint page, with what the button says
# and the question asked before (web.js, data-confirm).
CONSUMER_ACTIONS = {
    "accept_proposal": (gettext_lazy("接受方案"), gettext_lazy("确定接受平台的方案吗？")),
    "decline_proposal": (
        gettext_lazy("不接受，申请调解"),
        gettext_lazy("确定不接受平台的方案、转入调解吗？"),
    ),
    "escalate": (gettext_lazy("平台逾期未答复，申请调解"), ""),
    "confirm_fulfilment": (
        gettext_lazy("确认已收到"),
        gettext_lazy("确认平台已按约定履行？确认后投诉将办结。"),
    ),
    "withdraw": (gettext_lazy("撤回投诉"), gettext_lazy("确定撤回这件投诉吗？撤回后不能恢复。")),
}
# Which of them take a free-text reason.
WITH_REASON = {"decline_proposal", "withdraw"}


# The reason field's label, per action that takes one.
REASON_LABELS = {
    "decline_proposal": gettext_lazy("不接受的原因（选填）"),
    "withdraw": gettext_lazy("撤回的原因（选填）"),
}


class ReasonForm(WebForm):
    reason = forms.CharField(
        label=gettext_lazy("原因（选填）"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.prefix in REASON_LABELS:
            self.fields["reason"].label = REASON_LABELS[self.prefix]


class ObjectionForm(WebForm):
    reason = forms.CharField(
        label=gettext_lazy("未收到或不符合约定的情况"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class MessageForm(WebForm):
    body = forms.CharField(
        label=gettext_lazy("给平台或调解员留言"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


@role_required(Role.CONSUMER)
def complaint_list(request: HttpRequest) -> HttpResponse:
    """My complaints, newest first, each with its status and next deadline."""
    complaints = complaints_visible_to(request.actor).order_by("-filed_at", "-id")
    rows = [{"complaint": c, "deadline": deadline_sentence(c)} for c in complaints]
    return render(request, "web/consumer/complaint_list.html", {"rows": rows})


def _detail_context(request: HttpRequest, complaint, **forms_) -> dict:
    actor = request.actor
    available = transitions_available(complaint, actor)
    events = list(complaint.events.order_by("created_at", "id"))
    thread, _unread = thread_read(complaint=complaint, actor=actor)
    actions = [
        {
            "name": name,
            "label": label,
            "confirm": confirm,
            "with_reason": name in WITH_REASON,
            "form": forms_.get(f"{name}_form") or ReasonForm(prefix=name),
        }
        for name, (label, confirm) in CONSUMER_ACTIONS.items()
        if name in available
    ]
    names = {e.name for e in events}
    rated = next((e for e in reversed(events) if e.name == "rated"), None)
    return {
        "complaint": complaint,
        "deadline": deadline_sentence(complaint),
        "timeline": [event_entry(e, Role.CONSUMER) for e in events],
        "actions": actions,
        "thread": thread,
        "message_form": forms_.get("message_form") or MessageForm(),
        "can_post": not complaint.is_terminal,
        "can_object": complaint.status == Status.SETTLED
        and complaint.fulfilment_reported_at is not None,
        "objection_form": forms_.get("objection_form") or ObjectionForm(),
        "has_agreement": "sign_agreement" in names,
        "can_rate": complaint.status == Status.CLOSED and rated is None,
        "rating": rated.payload if rated else None,
        "remaining_routes": REMAINING_ROUTES.get(complaint.reason_code)
        if complaint.reason_code in RejectReason.values
        else None,
    }


@role_required(Role.CONSUMER)
def complaint_detail(request: HttpRequest, reference: str) -> HttpResponse:
    """One of my complaints: where it stands, what happens next, and what I can do."""
    complaint = visible_complaint_or_404(request, reference)
    return render(
        request, "web/consumer/complaint_detail.html", _detail_context(request, complaint)
    )


def _rerender(request, complaint, status: int = 200, **forms_) -> HttpResponse:
    return render(
        request,
        "web/consumer/complaint_detail.html",
        _detail_context(request, complaint, **forms_),
        status=status,
    )


def _refused(request, complaint, exc: Exception) -> HttpResponse:
    """A transition the state no longer allows (someone was faster): say so and reload."""
    if isinstance(exc, ConcurrentUpdate):
        messages.error(request, _("这件投诉刚刚被其他人更新，请查看最新状态后再操作。"))
    else:
        messages.error(request, _("这件投诉当前的状态不允许此操作，页面已刷新为最新状态。"))
    return redirect("consumer:complaint_detail", reference=complaint.reference)


@require_POST
@role_required(Role.CONSUMER)
def complaint_act(request: HttpRequest, reference: str, action: str) -> HttpResponse:
    """Fire one of CONSUMER_ACTIONS through complaint_transition."""
    if action not in CONSUMER_ACTIONS:
        raise Http404
    complaint = visible_complaint_or_404(request, reference)
    params = {}
    form = None
    if action in WITH_REASON:
        form = ReasonForm(data=request.POST, prefix=action)
        if not form.is_valid():
            return _rerender(request, complaint, **{f"{action}_form": form})
        if form.cleaned_data["reason"]:
            params["reason"] = form.cleaned_data["reason"]
    try:
        complaint_transition(
            complaint_id=complaint.pk, name=action, actor=request.actor, params=params
        )
    except DomainValidationError as exc:
        form = form or ReasonForm(data=request.POST, prefix=action)
        form.is_valid()
        add_domain_errors(form, exc)
        return _rerender(request, complaint, **{f"{action}_form": form})
    except (TransitionConflict, TransitionForbidden, ConcurrentUpdate) as exc:
        return _refused(request, complaint, exc)
    messages.success(request, _("已提交：%(action)s") % {"action": CONSUMER_ACTIONS[action][0]})
    return redirect("consumer:complaint_detail", reference=complaint.reference)


@require_POST
@role_required(Role.CONSUMER)
def complaint_object(request: HttpRequest, reference: str) -> HttpResponse:
    """Object that the reported remedy did not arrive (fulfilment_object)."""
    complaint = visible_complaint_or_404(request, reference)
    form = ObjectionForm(data=request.POST)
    if not form.is_valid():
        return _rerender(request, complaint, objection_form=form)
    try:
        fulfilment_object(
            complaint_id=complaint.pk, actor=request.actor, reason=form.cleaned_data["reason"]
        )
    except DomainValidationError as exc:
        add_domain_errors(form, exc)
        return _rerender(request, complaint, objection_form=form)
    except (TransitionConflict, TransitionForbidden, ConcurrentUpdate) as exc:
        return _refused(request, complaint, exc)
    messages.success(request, _("异议已提交，调解员将跟进处理。"))
    return redirect("consumer:complaint_detail", reference=complaint.reference)


@require_POST
@role_required(Role.CONSUMER)
def complaint_message(request: HttpRequest, reference: str) -> HttpResponse:
    """Post to the negotiation thread; htmx gets the thread back, a plain form a redirect."""
    complaint = visible_complaint_or_404(request, reference)
    form = MessageForm(data=request.POST)
    if form.is_valid():
        try:
            message_post(
                complaint_id=complaint.pk, actor=request.actor, body=form.cleaned_data["body"]
            )
        except DomainValidationError as exc:
            add_domain_errors(form, exc)
        except (TransitionConflict, TransitionForbidden, ConcurrentUpdate) as exc:
            return _refused(request, complaint, exc)
        else:
            if request.headers.get("HX-Request"):
                context = _detail_context(request, complaint)
                return render(request, "web/consumer/thread.html", context)
            url = reverse("consumer:complaint_detail", kwargs={"reference": reference})
            return redirect(url + "#thread")
    if request.headers.get("HX-Request"):
        context = _detail_context(request, complaint, message_form=form)
        return render(request, "web/consumer/thread.html", context)
    return _rerender(request, complaint, message_form=form)
