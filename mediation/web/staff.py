"""Complaint-centre staff pages (受理人员): the acceptance queue with the art. 17 signals,
one complaint with accept / reject / reassign, the overdue lists, and where the admin
does the rest (legal holds, the working-day calendar, webhook re-delivery).

Here rather than in complaints/web/ because a staff page reads mediation's records
(recusals, the workbench) and its strings belong in this app's catalogue. Views parse,
call one service, and render; every change is a POST through the services.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from complaints.abuse import abuse_signals
from complaints.access_log import personal_data_read
from complaints.choices import REMAINING_ROUTES, RejectReason, Role, Status
from complaints.exceptions import (
    ConcurrentUpdate,
    DomainValidationError,
    NotFound,
    TransitionConflict,
    TransitionForbidden,
)
from complaints.selectors import region_name
from complaints.services import complaint_transition, transitions_available
from complaints.web.access import role_required, visible_complaint_or_404
from complaints.web.forms import add_domain_errors
from complaints.web.timeline import event_entry
from mediation.models import Recusal
from mediation.services import CASE_STATUSES, mediator_reassign
from mediation.web.display import DEADLINE_LABELS, deadline_rows, next_deadline, signal_rows
from mediation.web.forms import AcceptForm, ReassignForm, RejectForm
from mediation.web.selectors import (
    OVERDUE_KINDS,
    acceptance_queue,
    overdue_complaints,
    overdue_counts,
)

PAGE_SIZE = 50


def _page(request: HttpRequest, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


@role_required(Role.STAFF)
def queue(request: HttpRequest) -> HttpResponse:
    """The acceptance queue: complaints waiting for a decision, the nearest deadline first,
    each with the signals of Order 121 art. 17 beside it."""
    page = _page(request, acceptance_queue(request.actor))
    rows = list(page.object_list)
    signals = abuse_signals(rows)
    return render(
        request,
        "web/staff/queue.html",
        {
            "page": page,
            "rows": [
                {
                    "complaint": c,
                    "deadline": next_deadline(c),
                    "signals": signal_rows(signals.get(c.pk, [])),
                }
                for c in rows
            ],
        },
    )


def _routes() -> list[dict]:
    """Each ground of art. 16 with the routes the consumer keeps (art. 15)."""
    return [
        {"code": code, "label": label, "routes": REMAINING_ROUTES[RejectReason(code)]}
        for code, label in RejectReason.choices
    ]


def _recused(complaint) -> list[int]:
    return list(Recusal.objects.filter(complaint=complaint).values_list("mediator_id", flat=True))


def _complaint_context(request: HttpRequest, complaint, **forms) -> dict:
    actor = request.actor
    available = transitions_available(complaint, actor)
    signals = abuse_signals([complaint]).get(complaint.pk, [])
    in_mediation = complaint.status in CASE_STATUSES
    personal_data_read(
        actor=request.user,
        subject=complaint.consumer_id,
        fields=["display_name", "phone", "email", "description", "order_number"],
        purpose="web_staff_complaint",
        complaint=complaint,
        request=request,
    )
    remaining = None
    if complaint.status == Status.REJECTED and complaint.reason_code in RejectReason.values:
        remaining = REMAINING_ROUTES[RejectReason(complaint.reason_code)]
    return {
        "complaint": complaint,
        "deadlines": deadline_rows(complaint),
        "region": region_name(complaint.region),
        "signals": signal_rows(signals),
        "timeline": [
            event_entry(e, Role.STAFF) for e in complaint.events.order_by("created_at", "id")
        ],
        "can_accept": "accept" in available,
        "can_reject": "reject" in available,
        "accept_form": forms.get("accept_form") or AcceptForm(prefix="accept"),
        "reject_form": forms.get("reject_form") or RejectForm(prefix="reject"),
        "routes": _routes(),
        "remaining_routes": remaining,
        "can_reassign": in_mediation,
        "reassign_form": forms.get("reassign_form")
        or (
            ReassignForm(prefix="reassign", complaint=complaint, excluded=_recused(complaint))
            if in_mediation
            else None
        ),
        "retention_admin": reverse("admin:evidence_retentioncase_changelist")
        + f"?q={complaint.reference}",
    }


@role_required(Role.STAFF)
def complaint(request: HttpRequest, reference: str) -> HttpResponse:
    """One complaint as staff see it: the facts, the signals, the timeline, the decisions."""
    found = visible_complaint_or_404(request, reference)
    return render(request, "web/staff/complaint.html", _complaint_context(request, found))


def _rerender(request, complaint, **forms) -> HttpResponse:
    return render(
        request, "web/staff/complaint.html", _complaint_context(request, complaint, **forms)
    )


def _refused(request, complaint, exc: Exception) -> HttpResponse:
    """The state moved on (someone was faster): say so and show the complaint as it is."""
    if isinstance(exc, TransitionForbidden):
        raise PermissionDenied
    if isinstance(exc, ConcurrentUpdate):
        messages.error(request, _("这件投诉刚刚被其他人更新，请查看最新状态后再操作。"))
    else:
        messages.error(request, _("这件投诉当前的状态不允许此操作，页面已刷新为最新状态。"))
    return redirect("staff:complaint", reference=complaint.reference)


@require_POST
@role_required(Role.STAFF)
def accept(request: HttpRequest, reference: str) -> HttpResponse:
    """Accept and forward to the platform (受理); back to the queue or the complaint."""
    found = visible_complaint_or_404(request, reference)
    try:
        complaint_transition(complaint_id=found.pk, name="accept", actor=request.actor)
    except (TransitionConflict, TransitionForbidden, ConcurrentUpdate) as exc:
        return _refused(request, found, exc)
    messages.success(
        request, _("已受理投诉 %(reference)s，已转交平台处理。") % {"reference": reference}
    )
    if request.POST.get("next") == "queue":
        return redirect("staff:home")
    return redirect("staff:complaint", reference=reference)


@require_POST
@role_required(Role.STAFF)
def reject(request: HttpRequest, reference: str) -> HttpResponse:
    """Refuse on a ground of art. 16, with a written reason; the consumer is told the
    routes that remain open (art. 15)."""
    found = visible_complaint_or_404(request, reference)
    form = RejectForm(data=request.POST, prefix="reject")
    if not form.is_valid():
        return _rerender(request, found, reject_form=form)
    try:
        complaint_transition(
            complaint_id=found.pk, name="reject", actor=request.actor, params=form.cleaned_data
        )
    except DomainValidationError as exc:
        add_domain_errors(form, exc)
        return _rerender(request, found, reject_form=form)
    except (TransitionConflict, TransitionForbidden, ConcurrentUpdate) as exc:
        return _refused(request, found, exc)
    messages.success(request, _("已决定不予受理投诉 %(reference)s。") % {"reference": reference})
    return redirect("staff:complaint", reference=reference)


@require_POST
@role_required(Role.STAFF)
def reassign(request: HttpRequest, reference: str) -> HttpResponse:
    """Hand the case to another mediator, with a reason (never one who recused)."""
    found = visible_complaint_or_404(request, reference)
    if found.status not in CASE_STATUSES:
        messages.error(request, _("只有调解中、已达成协议或先行赔付中的案件可以更换调解员。"))
        return redirect("staff:complaint", reference=reference)
    form = ReassignForm(
        data=request.POST, prefix="reassign", complaint=found, excluded=_recused(found)
    )
    if not form.is_valid():
        return _rerender(request, found, reassign_form=form)
    try:
        mediator_reassign(
            complaint_id=found.pk,
            actor=request.actor,
            mediator=form.cleaned_data["mediator"],
            reason=form.cleaned_data["reason"],
        )
    except DomainValidationError as exc:
        add_domain_errors(form, exc)
        return _rerender(request, found, reassign_form=form)
    except (TransitionConflict, TransitionForbidden, ConcurrentUpdate, NotFound) as exc:
        return _refused(request, found, exc)
    messages.success(
        request,
        _("案件已交由 %(mediator)s 调解。") % {"mediator": form.cleaned_data["mediator"]},
    )
    return redirect("staff:complaint", reference=reference)


OVERDUE_TITLES = {
    "acceptance": gettext_lazy("超期未决定受理"),
    "response": gettext_lazy("平台超期未答复"),
    "proposal": gettext_lazy("消费者超期未决定"),
    "mediation": gettext_lazy("调解超期"),
    "fulfilment": gettext_lazy("超期未履行"),
    "objection": gettext_lazy("异议期已过"),
    "notice": gettext_lazy("超期未书面告知"),
}


@role_required(Role.STAFF)
def overdue(request: HttpRequest) -> HttpResponse:
    """Complaints past a deadline that still binds, by kind; the sweep acts on most of them
    within minutes, so what stays here needs a person."""
    kind = request.GET.get("kind") or None
    if kind is not None and kind not in OVERDUE_KINDS:
        raise Http404
    page = _page(request, overdue_complaints(request.actor, kind=kind))
    counts = overdue_counts(request.actor)
    return render(
        request,
        "web/staff/overdue.html",
        {
            "kind": kind,
            "kinds": [
                {"kind": k, "label": OVERDUE_TITLES[k], "count": counts[k]} for k in OVERDUE_KINDS
            ],
            "total": sum(counts.values()),
            "title": OVERDUE_TITLES[kind] if kind else _("全部超期"),
            "page": page,
            "rows": [
                {
                    "complaint": c,
                    "overdue": [d for d in deadline_rows(c) if d["overdue"]],
                }
                for c in page.object_list
            ],
            "labels": DEADLINE_LABELS,
        },
    )


@role_required(Role.STAFF)
def admin_tools(request: HttpRequest) -> HttpResponse:
    """Where the admin already does the work: legal holds, the calendar, webhook deliveries."""
    return render(
        request,
        "web/staff/admin_tools.html",
        {
            "links": {
                "retention": reverse("admin:evidence_retentioncase_changelist"),
                "calendar_years": reverse("admin:complaints_calendaryear_changelist"),
                "calendar_days": reverse("admin:complaints_calendarday_changelist"),
                "webhook_messages": reverse("admin:api_webhookmessage_changelist"),
                "webhook_failed": reverse("admin:api_webhookmessage_changelist") + "?state=failed",
            },
            "is_admin_user": request.user.is_staff,
        },
    )
