"""Words the mediation pages share: deadlines, abuse signals, transitions, refusals."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from complaints.abuse import AbuseSignal, Signal
from complaints.exceptions import ConcurrentUpdate
from complaints.models import Complaint
from complaints.web.timeline import long_date

# Each deadline by what must happen, for the people who see to it (not the consumer).
DEADLINE_LABELS = {
    "acceptance": gettext_lazy("受理决定"),
    "response": gettext_lazy("平台答复"),
    "proposal": gettext_lazy("消费者决定是否接受方案"),
    "mediation": gettext_lazy("调解期限"),
    "fulfilment": gettext_lazy("履行期限"),
    "objection": gettext_lazy("消费者异议期限"),
    "notice": gettext_lazy("书面告知调解终止"),
}


def deadline_rows(complaint: Complaint, *, now=None) -> list[dict]:
    """The deadlines that bind now: what, by when (in words), whether passed, and the rule."""
    now = now or timezone.now()
    return [
        {
            "name": d["name"],
            "label": DEADLINE_LABELS.get(d["name"], d["name"]),
            "due_at": d["due_at"],
            "date": long_date(d["due_at"]),
            "overdue": d["due_at"] < now,
            "basis": d["basis"],
        }
        for d in complaint.deadlines()
    ]


def next_deadline(complaint: Complaint, *, now=None) -> dict | None:
    rows = deadline_rows(complaint, now=now)
    return rows[0] if rows else None


def signal_text(signal: AbuseSignal) -> str:
    """One signal in words, with its figure (Order 121 art. 17)."""
    if signal.code == Signal.ACCOUNT:
        return _("同一账号近 90 日投诉 %(n)s 件") % {"n": signal.count}
    if signal.code == Signal.PHONE:
        return _("同一手机号关联 %(accounts)s 个账号，近 90 日投诉 %(n)s 件") % {
            "accounts": signal.accounts,
            "n": signal.count,
        }
    if signal.code == Signal.PURCHASES:
        return _("近 90 日就同一商家的 %(n)s 个订单投诉（购买频次异常）") % {"n": signal.count}
    if signal.code == Signal.SIMILAR_TEXT:
        return _("与其他账号近 30 日的 %(n)s 件投诉内容高度相似") % {"n": signal.count}
    return signal.code


def signal_rows(signals: list[AbuseSignal]) -> list[dict]:
    return [{"code": s.code, "text": signal_text(s), "references": s.references} for s in signals]


def case_refused(request: HttpRequest, exc: Exception, page: str, reference: str) -> HttpResponse:
    """A change the case's state no longer allows, or someone else's change got there
    first: say which above the case's page (URL name `page`), reloaded."""
    if isinstance(exc, ConcurrentUpdate):
        messages.error(request, _("案件刚刚被其他人更新，请查看最新状态后再操作。"))
    else:
        messages.error(request, _("案件当前的状态不允许此操作，页面已刷新为最新状态。"))
    return redirect(page, reference=reference)
