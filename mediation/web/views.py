"""The mediator workbench (调解工作台): my cases by deadline, and one case's whole file with
the mediator's actions (notes, sessions, proposals, the agreement, advance compensation,
the clock, failure, referral, recusal).

Staff may open it too: they see every case in mediation and may do what the services
allow them (notes, the clock, advance compensation). Every action is a POST through
the same services the API calls; a service's field errors are shown next to the field,
with what was typed kept.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from complaints.access_log import personal_data_read
from complaints.choices import Outcome, Role, Status
from complaints.exceptions import (
    ConcurrentUpdate,
    DomainValidationError,
    NotFound,
    TransitionConflict,
    TransitionForbidden,
)
from complaints.models import Complaint
from complaints.services import (
    mediation_pause,
    mediation_resume,
    message_post,
    thread_party,
    transitions_available,
)
from complaints.web.access import role_required
from complaints.web.forms import WebForm, add_domain_errors
from complaints.web.timeline import event_entry
from mediation import agreements, services
from mediation.models import Agreement, AgreementConfirmation, MediationSession
from mediation.selectors import case_for
from mediation.services import CASE_STATUSES, transition_fire
from mediation.web import forms as f
from mediation.web.display import case_refused, deadline_rows, next_deadline
from mediation.web.selectors import case_file, workbench_cases

WORKBENCH_ROLES = (Role.MEDIATOR, Role.STAFF)
PAGE_SIZE = 50
Party = AgreementConfirmation.Party


@role_required(*WORKBENCH_ROLES)
def home(request: HttpRequest) -> HttpResponse:
    """My cases (staff: every case in mediation), the most urgent deadline first."""
    page = Paginator(workbench_cases(request.actor), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "web/mediator/home.html",
        {
            "page": page,
            "rows": [{"complaint": c, "deadline": next_deadline(c)} for c in page.object_list],
            "for_staff": request.actor.role == Role.STAFF,
        },
    )


def _case(request: HttpRequest, reference: str) -> Complaint:
    """The case if it is the mediator's (staff: any), else 404."""
    try:
        return case_for(request.actor, reference)
    except NotFound:
        raise Http404 from None


# What may be done now, and the empty form of each action.


def _abilities(
    complaint: Complaint, actor, agreement: Agreement | None, all_confirmed: bool
) -> dict[str, bool]:
    available = set(transitions_available(complaint, actor))
    mine = actor.is_mediator_of(complaint)
    mediating = complaint.status == Status.MEDIATING
    draft = agreement is not None and agreement.state == Agreement.State.DRAFT
    clock = mediating and (mine or actor.is_staff_member)
    return {
        "note": mine or actor.is_staff_member,
        "message": thread_party(complaint, actor) is not None and not complaint.is_terminal,
        "session": mine and mediating,
        "record": mine and complaint.status in CASE_STATUSES,
        "proposal": mine and mediating,
        "agreement": mine and mediating and (agreement is None or draft),
        "confirm": mine and mediating and draft and not all_confirmed,
        "issue": "sign_agreement" in available and draft,
        "compensation": "start_compensation" in available,
        "pause": clock and complaint.mediation_paused_at is None,
        "resume": clock and complaint.mediation_paused_at is not None,
        "fail": "fail_mediation" in available,
        "refer": "refer" in available,
        "recuse": mine and complaint.status in CASE_STATUSES,
    }


def _empty_forms(complaint: Complaint, agreement: Agreement | None) -> dict[str, WebForm]:
    version = {"version": agreement.version} if agreement else {}
    draft = (
        {
            "facts": agreement.facts,
            "terms": agreement.terms,
            "amount": agreement.amount,
            "fulfilment_days": agreement.fulfilment_days,
        }
        if agreement
        else {}
    )
    amount = complaint.agreed_amount
    return {
        "note": f.NoteForm(prefix="note"),
        "message": f.MessageForm(prefix="message"),
        "session": f.SessionForm(prefix="session"),
        "proposal": f.ProposalForm(prefix="proposal"),
        "agreement": f.AgreementDraftForm(prefix="agreement", initial=draft),
        "confirm": f.ConfirmationRecordForm(prefix="confirm", complaint=complaint, initial=version),
        "issue": f.IssueForm(prefix="issue", initial=version),
        "compensation": f.CompensationForm(
            prefix="compensation",
            complaint=complaint,
            initial={"amount": amount} if amount is not None else {},
        ),
        "pause": f.PauseForm(prefix="pause"),
        "resume": f.ResumeForm(prefix="resume"),
        "fail": f.FailForm(prefix="fail"),
        "refer": f.ReferForm(prefix="refer"),
        "recuse": f.RecuseForm(prefix="recuse"),
    }


def _context(request: HttpRequest, complaint: Complaint, bound: dict | None = None) -> dict:
    actor = request.actor
    file = case_file(complaint, actor)
    personal_data_read(
        actor=request.user,
        subject=complaint.consumer_id,
        fields=["display_name", "phone", "email", "description", "messages"],
        purpose="web_mediator_case",
        complaint=complaint,
        request=request,
    )
    bound = bound or {}
    forms = {**_empty_forms(complaint, file.agreement), **bound}
    sessions = [
        {
            "session": s,
            "form": bound.get(f"record-{s.pk}") or f.SessionRecordForm(prefix=f"record-{s.pk}"),
        }
        for s in file.sessions
    ]
    parties = [
        {"party": value, "label": label, "confirmed": value in file.confirmed_parties}
        for value, label in Party.choices
    ]
    all_confirmed = all(p["confirmed"] for p in parties)
    can = _abilities(complaint, actor, file.agreement, all_confirmed)
    return {
        "complaint": complaint,
        "file": file,
        "deadlines": deadline_rows(complaint),
        "timeline": [event_entry(e, actor.role) for e in file.events],
        "sessions": sessions,
        "parties": parties,
        "all_confirmed": all_confirmed,
        "forms": forms,
        "can": can,
        "can_act": any(
            can[k] for k in ("issue", "compensation", "pause", "resume", "fail", "refer", "recuse")
        ),
        "is_mediator": actor.is_mediator_of(complaint),
        "has_notice": complaint.outcome in (Outcome.MEDIATION_FAILED, Outcome.REFERRED),
        "issued": file.agreement is not None and file.agreement.state == Agreement.State.ISSUED,
    }


@role_required(*WORKBENCH_ROLES)
def case(request: HttpRequest, reference: str) -> HttpResponse:
    """The whole case file and the actions open now."""
    complaint = _case(request, reference)
    return render(request, "web/mediator/case.html", _context(request, complaint))


# The actions. Each takes the case, the valid form and the request, calls one service,
# and returns what to tell the user; a service error goes next to the form's fields.


@dataclass(frozen=True)
class Action:
    form: type[WebForm]
    run: Callable[[HttpRequest, Complaint, dict], object]
    done: str
    anchor: str


def _transition(name: str, params: Callable[[dict], dict]):
    def run(request, complaint, data):
        return transition_fire(
            complaint_id=complaint.pk, name=name, actor=request.actor, params=params(data)
        )

    return run


def _client_ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def _issue(request, complaint, data):
    """sign_agreement with exactly the current draft, once both parties confirmed it."""
    agreement = Agreement.objects.filter(complaint=complaint).first()
    if agreement is None or agreement.state != Agreement.State.DRAFT:
        raise DomainValidationError({"version": _("没有可出具的协议草稿。")})
    if data["version"] != agreement.version:
        raise DomainValidationError(
            {"version": _("草稿已更新为第 %(v)s 版，请核对后再出具。") % {"v": agreement.version}}
        )
    confirmed = set(
        agreement.confirmations.filter(version=agreement.version).values_list("party", flat=True)
    )
    missing = [str(label) for value, label in Party.choices if value not in confirmed]
    if missing:
        raise DomainValidationError(
            {"version": _("尚待确认：%(parties)s。") % {"parties": "、".join(missing)}}
        )
    return transition_fire(
        complaint_id=complaint.pk,
        name="sign_agreement",
        actor=request.actor,
        params={
            "terms": agreement.terms,
            "amount": agreement.amount,
            "fulfilment_days": agreement.fulfilment_days,
        },
    )


ACTIONS: dict[str, Action] = {
    "note": Action(
        f.NoteForm,
        lambda r, c, d: services.case_note_add(complaint=c, actor=r.actor, body=d["body"]),
        gettext_lazy("笔记已保存。"),
        "notes",
    ),
    "message": Action(
        f.MessageForm,
        lambda r, c, d: message_post(complaint_id=c.pk, actor=r.actor, body=d["body"]),
        gettext_lazy("消息已发送。"),
        "thread",
    ),
    "session": Action(
        f.SessionForm,
        lambda r, c, d: services.session_schedule(complaint_id=c.pk, actor=r.actor, **d),
        gettext_lazy("调解会议已安排，双方将收到通知。"),
        "sessions",
    ),
    "proposal": Action(
        f.ProposalForm,
        lambda r, c, d: services.mediation_propose(complaint_id=c.pk, actor=r.actor, **d),
        gettext_lazy("调解方案已提交给双方。"),
        "proposals",
    ),
    "agreement": Action(
        f.AgreementDraftForm,
        lambda r, c, d: agreements.agreement_draft(complaint_id=c.pk, actor=r.actor, **d),
        gettext_lazy("协议草稿已保存；双方须确认这一版后才能出具。"),
        "agreement",
    ),
    "confirm": Action(
        f.ConfirmationRecordForm,
        lambda r, c, d: agreements.agreement_confirm(
            complaint_id=c.pk,
            actor=r.actor,
            version=d["version"],
            party=d["party"],
            ip=_client_ip(r),
            user_agent=r.META.get("HTTP_USER_AGENT", ""),
        ),
        gettext_lazy("已记录该方在调解会议中的确认。"),
        "agreement",
    ),
    "issue": Action(
        f.IssueForm, _issue, gettext_lazy("调解协议书已出具，签名文件生成后可下载。"), "agreement"
    ),
    "compensation": Action(
        f.CompensationForm,
        _transition("start_compensation", lambda d: {"amount": d["amount"]}),
        gettext_lazy("已启动先行赔付。"),
        "compensation",
    ),
    "pause": Action(
        f.PauseForm,
        lambda r, c, d: mediation_pause(complaint_id=c.pk, actor=r.actor, reason=d["reason"]),
        gettext_lazy("调解计时已暂停。"),
        "clock",
    ),
    "resume": Action(
        f.ResumeForm,
        lambda r, c, d: mediation_resume(complaint_id=c.pk, actor=r.actor),
        gettext_lazy("调解计时已恢复，暂停的天数已顺延。"),
        "clock",
    ),
    "fail": Action(
        f.FailForm,
        _transition("fail_mediation", lambda d: dict(d)),
        gettext_lazy("调解已终止；终止告知书将发给双方。"),
        "outcome",
    ),
    "refer": Action(
        f.ReferForm,
        _transition("refer", lambda d: dict(d)),
        gettext_lazy("已终止调解并引导其他途径；告知书将发给双方。"),
        "outcome",
    ),
    "recuse": Action(
        f.RecuseForm,
        lambda r, c, d: services.mediator_recuse(
            complaint_id=c.pk, actor=r.actor, reason=d["reason"]
        ),
        gettext_lazy("您已回避，案件已转交其他调解员。"),
        "",
    ),
}


def _perform(request, complaint, form, prefix: str, run, done, anchor: str) -> HttpResponse:
    if form.is_valid():
        try:
            run(request, complaint, form.cleaned_data)
        except DomainValidationError as exc:
            add_domain_errors(form, exc)
        except TransitionForbidden:
            raise PermissionDenied from None
        except NotFound:
            raise Http404 from None
        except (TransitionConflict, ConcurrentUpdate) as exc:
            return case_refused(request, exc, "mediator:case", complaint.reference)
        else:
            messages.success(request, done)
            if not case_for_or_none(request, complaint.reference):
                return redirect("mediator:home")
            url = reverse("mediator:case", args=[complaint.reference])
            return redirect(f"{url}#{anchor}" if anchor else url)
    return render(request, "web/mediator/case.html", _context(request, complaint, {prefix: form}))


def case_for_or_none(request: HttpRequest, reference: str) -> Complaint | None:
    """The case if the actor still sees it (a mediator who recused does not)."""
    try:
        return case_for(request.actor, reference)
    except NotFound:
        return None


@require_POST
@role_required(*WORKBENCH_ROLES)
def act(request: HttpRequest, reference: str, action: str) -> HttpResponse:
    """Do one of ACTIONS on the case (a POST with its form)."""
    spec = ACTIONS.get(action)
    if spec is None:
        raise Http404
    complaint = _case(request, reference)
    extra = {"complaint": complaint} if getattr(spec.form, "per_complaint", False) else {}
    form = spec.form(data=request.POST, prefix=action, **extra)
    return _perform(request, complaint, form, action, spec.run, spec.done, spec.anchor)


@require_POST
@role_required(*WORKBENCH_ROLES)
def session_record(request: HttpRequest, reference: str, session_id: int) -> HttpResponse:
    """Record the minutes of a session held (调解笔录), or that it was called off."""
    complaint = _case(request, reference)
    if not MediationSession.objects.filter(pk=session_id, complaint=complaint).exists():
        raise Http404
    prefix = f"record-{session_id}"
    form = f.SessionRecordForm(data=request.POST, prefix=prefix)

    def run(request, complaint, data):
        return services.session_record(
            complaint_id=complaint.pk, session_id=session_id, actor=request.actor, **data
        )

    done = gettext_lazy("会议记录已保存。")
    return _perform(request, complaint, form, prefix, run, done, f"session-{session_id}")
