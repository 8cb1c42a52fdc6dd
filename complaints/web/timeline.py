"""Plain words for a complaint's timeline and its next deadline, in the reader's language."""

from __future__ import annotations

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from complaints.choices import Demand, Resolution, Role
from complaints.models import Complaint, ComplaintEvent

# What each event means to the consumer reading the timeline.
EVENT_LABELS = {
    "filed": gettext_lazy("提交了投诉"),
    "accept": gettext_lazy("受理了投诉，已转交平台处理"),
    "reject": gettext_lazy("决定不予受理"),
    "respond": gettext_lazy("提出了处理方案"),
    "accept_proposal": gettext_lazy("接受了平台的方案"),
    "decline_proposal": gettext_lazy("不接受平台的方案，转入调解"),
    "escalate": gettext_lazy("平台未在期限内答复，转入调解"),
    "sign_agreement": gettext_lazy("签署了调解协议"),
    "confirm_fulfilment": gettext_lazy("确认已履行，投诉办结"),
    "start_compensation": gettext_lazy("启动先行赔付"),
    "pay_compensation": gettext_lazy("先行赔付已支付，投诉办结"),
    "fail_mediation": gettext_lazy("调解终止，未达成协议"),
    "refer": gettext_lazy("调解终止，已告知其他解决途径"),
    "withdraw": gettext_lazy("撤回了投诉"),
    "close_no_reply": gettext_lazy("消费者未在期限内答复方案，投诉办结"),
    "message_posted": gettext_lazy("在协商记录中发送了消息"),
    "fulfilment_reported": gettext_lazy("报告已履行"),
    "fulfilment_objected": gettext_lazy("对履行情况提出了异议"),
    "fulfilment_missed": gettext_lazy("履行期限已过，平台未报告履行"),
    "proposal_reminder": gettext_lazy("提醒：请对平台的方案作出决定"),
    "mediation_reminder": gettext_lazy("提醒：调解期限将至"),
    "mediation_paused": gettext_lazy("调解计时暂停（检测或鉴定）"),
    "mediation_resumed": gettext_lazy("调解计时恢复"),
    "mediator_reassigned": gettext_lazy("更换了调解员"),
    "mediator_recused": gettext_lazy("调解员回避，已另行指派"),
    "session_scheduled": gettext_lazy("安排了调解会议"),
    "session_cancelled": gettext_lazy("取消了调解会议"),
    "mediation_proposed": gettext_lazy("提出了调解方案"),
    "mediation_proposal_replied": gettext_lazy("对调解方案作出了答复"),
    "agreement_drafted": gettext_lazy("调解协议草稿已拟定"),
    "agreement_confirmed": gettext_lazy("确认了调解协议"),
    "compensation_blocked": gettext_lazy("先行赔付暂缓：保证金或限额不足"),
    "compensation_unblocked": gettext_lazy("先行赔付恢复办理"),
    "parties_notified": gettext_lazy("已书面告知双方调解终止"),
    "rated": gettext_lazy("评价了处理结果"),
}
ROLE_LABELS = {
    Role.CONSUMER: gettext_lazy("您"),
    Role.PLATFORM: gettext_lazy("平台"),
    Role.STAFF: gettext_lazy("投诉中心"),
    Role.MEDIATOR: gettext_lazy("调解员"),
    Role.REGULATOR: gettext_lazy("市场监管部门"),
    Role.SYSTEM: gettext_lazy("系统"),
}

# The next deadline in plain words: who must do what by when ({date} in the reader's form).
DEADLINE_SENTENCES = {
    "acceptance": gettext_lazy("投诉中心须在 %(date)s 前决定是否受理"),
    "response": gettext_lazy("平台须在 %(date)s 前答复"),
    "proposal": gettext_lazy("您须在 %(date)s 前决定是否接受平台的方案"),
    "mediation": gettext_lazy("调解须在 %(date)s 前结束"),
    "fulfilment": gettext_lazy("平台须在 %(date)s 前履行"),
    "objection": gettext_lazy("如未收到，您可在 %(date)s 前提出异议"),
    "notice": gettext_lazy("投诉中心须在 %(date)s 前书面告知调解结果"),
}


def long_date(moment) -> str:
    """A day as people write it: 2026年12月10日 / 10 December 2026 (in Asia/Shanghai)."""
    day = timezone.localtime(moment).date() if hasattr(moment, "hour") else moment
    return date_format(day, _("Y年n月j日"))


def deadline_sentence(complaint: Complaint) -> dict | None:
    """The next binding deadline as a sentence, and whether it has passed."""
    deadline = complaint.next_deadline()
    if deadline is None:
        return None
    template = DEADLINE_SENTENCES.get(deadline["name"])
    if template is None:
        return None
    return {
        "text": template % {"date": long_date(deadline["due_at"])},
        "due_at": deadline["due_at"],
        "overdue": deadline["due_at"] < timezone.now(),
    }


def event_entry(event: ComplaintEvent, viewer_role: str) -> dict:
    """One line of the timeline: when, who, what, and the details a reader needs."""
    who = ROLE_LABELS.get(event.actor_role, event.actor_role)
    if event.actor_role == Role.CONSUMER and viewer_role != Role.CONSUMER:
        who = gettext_lazy("消费者")
    details = []
    payload = event.payload or {}
    if event.name == "respond":
        resolution = payload.get("resolution")
        if resolution in Resolution.values:
            details.append(Resolution(resolution).label)
        if payload.get("amount"):
            details.append(_("金额 %(amount)s 元") % {"amount": payload["amount"]})
        if payload.get("message"):
            details.append(payload["message"])
    elif event.name == "filed" and payload.get("demand") in Demand.values:
        details.append(_("诉求：%(demand)s") % {"demand": Demand(payload["demand"]).label})
    elif event.name in {"reject", "withdraw", "fulfilment_objected", "decline_proposal"}:
        if payload.get("reason"):
            details.append(payload["reason"])
    elif event.name == "rated" and payload.get("score"):
        details.append(_("%(score)s 星") % {"score": payload["score"]})
    return {
        "at": event.created_at,
        "who": who,
        "what": EVENT_LABELS.get(event.name, gettext_lazy("案件记录有更新")),
        "details": details,
        "name": event.name,
    }
