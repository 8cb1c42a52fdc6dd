"""The console's complaints: the list the API shows the platform, one complaint (timeline,
thread, evidence) and the platform's actions on it, each a POST through the services the
API calls (transition_fire, message_post, fulfilment_report, evidence_upload)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from api.web.access import console_required
from api.web.forms import (
    FulfilmentForm,
    MessageForm,
    RespondForm,
    TransactionRecordForm,
    add_service_errors,
)
from complaints.choices import Role, Status
from complaints.exceptions import (
    ConcurrentUpdate,
    DomainValidationError,
    TransitionConflict,
    TransitionForbidden,
)
from complaints.models import Complaint
from complaints.selectors import complaints_visible_to, region_name
from complaints.services import fulfilment_report, message_post, thread_read, transitions_available
from complaints.web.access import visible_complaint_or_404
from complaints.web.forms import WebForm
from complaints.web.timeline import event_entry, long_date
from evidence.exceptions import QuotaExceeded, UnsupportedEvidenceType, UploadTooLarge
from evidence.models import Kind, Store
from evidence.selectors import evidence_of
from evidence.services import evidence_upload
from mediation.services import transition_fire

PAGE_SIZE = 25
# A platform sees a complaint once it is forwarded (complaints_visible_to).
LIST_STATUSES = [(value, label) for value, label in Status.choices if value != Status.SUBMITTED]

# The next deadline in words addressed to the platform (the consumer's page words its own).
DEADLINE_SENTENCES = {
    "response": gettext_lazy("须在 %(date)s 前答复"),
    "proposal": gettext_lazy("消费者须在 %(date)s 前决定是否接受方案"),
    "mediation": gettext_lazy("调解须在 %(date)s 前结束"),
    "fulfilment": gettext_lazy("须在 %(date)s 前履行并报告"),
    "objection": gettext_lazy("消费者可在 %(date)s 前对履行提出异议"),
    "notice": gettext_lazy("投诉中心须在 %(date)s 前书面告知调解结果"),
}


def deadline_for_platform(complaint: Complaint) -> dict | None:
    """The next binding deadline as a sentence for the platform, and whether it passed."""
    deadline = complaint.next_deadline()
    if deadline is None or deadline["name"] not in DEADLINE_SENTENCES:
        return None
    return {
        "text": DEADLINE_SENTENCES[deadline["name"]] % {"date": long_date(deadline["due_at"])},
        "due_at": deadline["due_at"],
        "overdue": deadline["due_at"] < timezone.now(),
    }


class StatusFilterForm(WebForm):
    status = forms.ChoiceField(
        label=gettext_lazy("状态"),
        required=False,
        choices=[("", gettext_lazy("全部")), *LIST_STATUSES],
    )


@console_required
def complaint_list(request: HttpRequest) -> HttpResponse:
    """The complaints against this platform, newest first, with the next deadline."""
    complaints = complaints_visible_to(request.actor).order_by("-accepted_at", "-id")
    form = StatusFilterForm(data=request.GET or None)
    if form.is_bound and form.is_valid() and form.cleaned_data["status"]:
        complaints = complaints.filter(status=form.cleaned_data["status"])
    page = Paginator(complaints, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [{"complaint": c, "deadline": deadline_for_platform(c)} for c in page]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "web/platform/complaint_list.html",
        {"form": form, "page": page, "rows": rows, "query": query.urlencode()},
    )


def _context(request: HttpRequest, complaint: Complaint, **forms_) -> dict:
    actor = request.actor
    available = transitions_available(complaint, actor)
    events = list(complaint.events.order_by("created_at", "id"))
    thread, _unread = thread_read(complaint=complaint, actor=actor)
    files = evidence_of(complaint).filter(store=Store.FILE)
    return {
        "complaint": complaint,
        "region_name": region_name(complaint.region),
        "deadline": deadline_for_platform(complaint),
        "timeline": [event_entry(e, Role.PLATFORM) for e in events],
        "thread": thread,
        "files": list(files),
        "can_respond": "respond" in available,
        "respond_form": forms_.get("respond_form") or RespondForm(),
        "can_post": not complaint.is_terminal,
        "message_form": forms_.get("message_form") or MessageForm(),
        "can_report": complaint.status == Status.SETTLED
        and complaint.fulfilment_reported_at is None,
        "fulfilment_form": forms_.get("fulfilment_form") or FulfilmentForm(),
        "can_upload": not complaint.is_terminal,
        "upload_form": forms_.get("upload_form") or TransactionRecordForm(),
        "has_agreement": any(e.name == "sign_agreement" for e in events),
    }


def _page(request: HttpRequest, complaint: Complaint, **forms_) -> HttpResponse:
    return render(
        request, "web/platform/complaint_detail.html", _context(request, complaint, **forms_)
    )


def _refused(request: HttpRequest, complaint: Complaint, exc: Exception) -> HttpResponse:
    """The state no longer allows it (someone was faster): say so and show the case."""
    if isinstance(exc, ConcurrentUpdate):
        messages.error(request, _("这件投诉刚刚被其他人更新，请查看最新状态后再操作。"))
    else:
        messages.error(request, _("这件投诉当前的状态不允许此操作，页面已刷新为最新状态。"))
    return redirect("platform:complaint_detail", reference=complaint.reference)


def _done(request: HttpRequest, complaint: Complaint, text: str, anchor: str = "") -> HttpResponse:
    messages.success(request, text)
    url = reverse("platform:complaint_detail", kwargs={"reference": complaint.reference})
    return redirect(url + anchor)


@console_required
def complaint_detail(request: HttpRequest, reference: str) -> HttpResponse:
    """One complaint: the facts, the deadline, the timeline, the thread and the actions."""
    return _page(request, visible_complaint_or_404(request, reference))


@require_POST
@console_required
def complaint_respond(request: HttpRequest, reference: str) -> HttpResponse:
    """Answer with a proposal: the `respond` transition, as the API fires it."""
    complaint = visible_complaint_or_404(request, reference)
    form = RespondForm(data=request.POST)
    if not form.is_valid():
        return _page(request, complaint, respond_form=form)
    try:
        transition_fire(
            complaint_id=complaint.pk, name="respond", actor=request.actor, params=form.params()
        )
    except DomainValidationError as exc:
        add_service_errors(form, exc)
        return _page(request, complaint, respond_form=form)
    except (TransitionConflict, TransitionForbidden, ConcurrentUpdate) as exc:
        return _refused(request, complaint, exc)
    return _done(request, complaint, _("方案已提交，消费者将收到通知。"))


@require_POST
@console_required
def complaint_message(request: HttpRequest, reference: str) -> HttpResponse:
    """Post to the negotiation thread."""
    complaint = visible_complaint_or_404(request, reference)
    form = MessageForm(data=request.POST)
    if not form.is_valid():
        return _page(request, complaint, message_form=form)
    try:
        message_post(complaint_id=complaint.pk, actor=request.actor, body=form.cleaned_data["body"])
    except DomainValidationError as exc:
        add_service_errors(form, exc)
        return _page(request, complaint, message_form=form)
    except (TransitionConflict, TransitionForbidden, ConcurrentUpdate) as exc:
        return _refused(request, complaint, exc)
    return _done(request, complaint, _("消息已发送。"), "#thread")


@require_POST
@console_required
def complaint_fulfilment(request: HttpRequest, reference: str) -> HttpResponse:
    """Report the agreed remedy done (fulfilment_report); the consumer may object."""
    complaint = visible_complaint_or_404(request, reference)
    form = FulfilmentForm(data=request.POST)
    if not form.is_valid():
        return _page(request, complaint, fulfilment_form=form)
    try:
        fulfilment_report(
            complaint_id=complaint.pk, actor=request.actor, note=form.cleaned_data["note"]
        )
    except DomainValidationError as exc:
        add_service_errors(form, exc)
        return _page(request, complaint, fulfilment_form=form)
    except (TransitionConflict, TransitionForbidden, ConcurrentUpdate) as exc:
        return _refused(request, complaint, exc)
    return _done(request, complaint, _("已报告履行，消费者可在异议期内提出异议。"))


@require_POST
@console_required
def complaint_upload(request: HttpRequest, reference: str) -> HttpResponse:
    """Upload a transaction record as evidence of the case (evidence_upload)."""
    complaint = visible_complaint_or_404(request, reference)
    form = TransactionRecordForm(data=request.POST, files=request.FILES)
    if not form.is_valid():
        return _page(request, complaint, upload_form=form)
    upload = form.cleaned_data["file"]
    try:
        evidence_upload(
            complaint_id=complaint.pk,
            actor=request.actor,
            data=upload.read(),
            file_name=upload.name,
            kind=Kind.TRANSACTION_RECORD,
            description=form.cleaned_data["description"],
        )
    except UploadTooLarge:
        form.add_error("file", _("文件太大。"))
    except UnsupportedEvidenceType:
        form.add_error("file", _("不支持这种文件。请上传 PDF、图片或纯文本文件。"))
    except QuotaExceeded:
        form.add_error("file", _("这件投诉的证据已达到数量或容量上限。"))
    except DomainValidationError as exc:
        add_service_errors(form, exc)
    except (TransitionConflict, TransitionForbidden):
        form.add_error(None, _("这件投诉当前不能再上传证据。"))
    else:
        text = _("交易记录已上传并保全：%(name)s") % {"name": upload.name}
        return _done(request, complaint, text, "#files")
    return _page(request, complaint, upload_form=form)
