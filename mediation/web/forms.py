"""The forms of the staff pages and the mediator workbench.

They check shape and say what is wrong in the reader's language; the rules stay in the
services, whose errors `add_domain_errors` puts next to the same fields. Each form
has its own prefix, so that several live on one page with distinct ids.
"""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from complaints.choices import FailReason, ReferralRoute, RejectReason, Role
from complaints.models import User
from complaints.web.forms import WebForm
from mediation.models import AgreementConfirmation, MediationSession

MONEY = {"max_digits": 12, "decimal_places": 2, "min_value": Decimal("0.00")}


def _text(label, *, rows: int = 3, max_length: int = 5000, required: bool = True, help_text=""):
    return forms.CharField(
        label=label,
        max_length=max_length,
        required=required,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


# Staff.


class AcceptForm(WebForm):
    """Accepting takes no fields: the button is the decision."""


class RejectForm(WebForm):
    reason_code = forms.ChoiceField(
        label=_("不予受理的理由（《市场监督管理投诉举报处理暂行办法》第十六条）"),
        choices=[("", _("请选择"))] + list(RejectReason.choices),
    )
    reason = _text(
        _("书面说明"),
        help_text=_("告知消费者的具体原因；消费者还可采取的途径会随决定一并告知。"),
    )


class ReassignForm(WebForm):
    mediator = forms.ModelChoiceField(
        label=_("新的调解员"), queryset=User.objects.none(), empty_label=_("请选择")
    )
    reason = _text(_("更换理由"), max_length=500, rows=2)

    def __init__(self, *args, complaint=None, excluded=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        mediators = User.objects.filter(role=Role.MEDIATOR, is_active=True).exclude(
            pk__in=list(excluded)
        )
        if complaint is not None and complaint.mediator_id:
            mediators = mediators.exclude(pk=complaint.mediator_id)
        self.fields["mediator"].queryset = mediators.order_by("username")


# Mediator workbench.


class NoteForm(WebForm):
    body = _text(
        _("笔记内容"),
        max_length=10000,
        help_text=_("仅调解员和投诉中心可见，保存后不能修改。"),
    )


class MessageForm(WebForm):
    body = _text(_("给消费者和平台的消息"), help_text=_("双方都能看到，并作为证据保全。"))


class SessionForm(WebForm):
    scheduled_at = forms.DateTimeField(
        label=_("时间"),
        help_text=_("北京时间。"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    channel = forms.ChoiceField(label=_("方式"), choices=MediationSession.Channel.choices)
    location = forms.CharField(label=_("地点或链接（选填）"), max_length=300, required=False)
    participants = _text(
        _("参加人（选填）"),
        rows=2,
        max_length=2100,
        required=False,
        help_text=_("每行一人，最多 20 人。"),
    )

    def clean_scheduled_at(self):
        when = self.cleaned_data["scheduled_at"]
        if when <= timezone.now():
            raise forms.ValidationError(_("会议时间须在将来。"))
        return when

    def clean_participants(self) -> list[str]:
        names = [n.strip() for n in self.cleaned_data["participants"].splitlines() if n.strip()]
        if len(names) > 20:
            raise forms.ValidationError(_("最多 20 名参加人。"))
        if any(len(n) > 100 for n in names):
            raise forms.ValidationError(_("每个名字不超过 100 个字。"))
        return names


class SessionRecordForm(WebForm):
    minutes = _text(
        _("调解笔录"),
        rows=4,
        max_length=20000,
        required=False,
        help_text=_("会议已举行时必填；取消会议时可不填。"),
    )
    cancelled = forms.BooleanField(label=_("会议已取消"), required=False)

    def clean(self):
        data = super().clean()
        if not data.get("cancelled") and not (data.get("minutes") or "").strip():
            self.add_error("minutes", _("请填写调解笔录，或勾选“会议已取消”。"))
        return data


class ProposalForm(WebForm):
    terms = _text(_("调解方案"), rows=4, max_length=10000)
    amount = forms.DecimalField(label=_("金额（元）"), **MONEY)


class AgreementDraftForm(WebForm):
    facts = _text(_("争议事实"), rows=4, max_length=10000)
    terms = _text(_("协议条款"), rows=4, max_length=10000)
    amount = forms.DecimalField(label=_("金额（元）"), **MONEY)
    fulfilment_days = forms.IntegerField(
        label=_("履行期限（日）"),
        min_value=1,
        max_value=90,
        initial=7,
        help_text=_("协议出具之日起的自然日，1 至 90 日。"),
    )


class ConfirmationRecordForm(WebForm):
    """The mediator records a party's confirmation given in a session (not online)."""

    party = forms.ChoiceField(label=_("确认的一方"), choices=AgreementConfirmation.Party.choices)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    per_complaint = True  # offers only the parties yet to confirm the current draft

    def __init__(self, *args, complaint=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if complaint is not None:
            confirmed = set(
                AgreementConfirmation.objects.filter(
                    agreement__complaint=complaint, version=F("agreement__version")
                ).values_list("party", flat=True)
            )
            self.fields["party"].choices = [
                (value, label)
                for value, label in AgreementConfirmation.Party.choices
                if value not in confirmed
            ]


class IssueForm(WebForm):
    """Issue the draft the mediator saw: its version travels with the button."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class CompensationForm(WebForm):
    amount = forms.DecimalField(
        label=_("先行赔付金额（元）"),
        help_text=_("不超过约定金额，没有约定时不超过诉求金额。"),
        **{**MONEY, "min_value": Decimal("0.01")},
    )
    per_complaint = True  # built with the case, whose amounts cap the payout

    def __init__(self, *args, complaint=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.ceiling = None
        if complaint is not None:
            agreed = complaint.agreed_amount
            self.ceiling = agreed if agreed is not None else complaint.amount_claimed

    def clean_amount(self) -> Decimal:
        # The same cap the start_compensation transition applies, said in the reader's words.
        amount = self.cleaned_data["amount"]
        if self.ceiling is not None and amount > self.ceiling:
            raise forms.ValidationError(
                _("不能超过约定或诉求的金额 %(ceiling)s 元。") % {"ceiling": self.ceiling}
            )
        return amount


class PauseForm(WebForm):
    reason = _text(
        _("暂停原因"),
        rows=2,
        help_text=_("如检测、鉴定：暂停期间不计入调解期限（第二十二条）。"),
    )


class ResumeForm(WebForm):
    """Resuming takes no fields."""


class FailForm(WebForm):
    reason_code = forms.ChoiceField(
        label=_("终止调解的理由（第二十三条）"),
        choices=[("", _("请选择"))] + list(FailReason.choices),
    )
    reason = _text(_("书面说明"))


class ReferForm(WebForm):
    route = forms.ChoiceField(
        label=_("引导的途径"), choices=[("", _("请选择"))] + list(ReferralRoute.choices)
    )
    reason = _text(_("书面说明"))


class RecuseForm(WebForm):
    reason = _text(
        _("回避理由"),
        rows=2,
        max_length=500,
        help_text=_("案件将转给负担最轻的其他调解员，您将不能再查看此案件。"),
    )
