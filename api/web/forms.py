"""The platform console's forms: shape only, like the API's serializers; the services
check the rules and their errors are put next to these fields."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from api.webhooks.events import WEBHOOK_EVENT_TYPES
from complaints.choices import Resolution
from complaints.exceptions import DomainValidationError
from complaints.web.forms import WebForm

MERCHANT_FIELDS = ("name", "credit_code", "address", "contact")


class RespondForm(WebForm):
    """The platform's answer: a proposal (the `respond` transition, RespondSerializer)."""

    resolution = forms.ChoiceField(label=gettext_lazy("处理方案"), choices=Resolution.choices)
    amount = forms.DecimalField(
        label=gettext_lazy("金额（元）"),
        help_text=gettext_lazy("退款、赔偿等方案须填写；不予支持时可不填。"),
        required=False,
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0"),
    )
    message = forms.CharField(
        label=gettext_lazy("给消费者的说明"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    merchant_name = forms.CharField(
        label=gettext_lazy("商家真实名称（选填）"),
        help_text=gettext_lazy(
            "提供商家的真实名称、地址和联系方式（消费者权益保护法第四十四条）；"
            "不提供的，平台可能须先行赔付。"
        ),
        required=False,
        max_length=200,
    )
    merchant_credit_code = forms.CharField(
        label=gettext_lazy("统一社会信用代码（选填）"), required=False, max_length=18
    )
    merchant_address = forms.CharField(
        label=gettext_lazy("商家地址（选填）"), required=False, max_length=300
    )
    merchant_contact = forms.CharField(
        label=gettext_lazy("商家联系方式（选填）"), required=False, max_length=100
    )

    def clean(self):
        # The transition refuses it too (in English); here the reader gets it in words of
        # their own language, before the service is called.
        data = super().clean()
        resolution = data.get("resolution")
        missing = data.get("amount") is None and "amount" not in self.errors
        if resolution and resolution != Resolution.DECLINE and missing:
            self.add_error("amount", _("这个方案须填写金额。"))
        return data

    def params(self) -> dict:
        """The transition's parameters, as the API passes them to the service."""
        data = self.cleaned_data
        params = {"resolution": data["resolution"], "message": data["message"]}
        if data["amount"] is not None:
            params["amount"] = data["amount"]
        merchant = {k: data[f"merchant_{k}"] for k in MERCHANT_FIELDS if data[f"merchant_{k}"]}
        if merchant:
            params["merchant"] = merchant
        return params


def add_service_errors(form: forms.Form, exc: DomainValidationError) -> None:
    """A service's field errors next to this form's fields; `merchant.name` is `merchant_name`."""
    for field, messages in exc.errors.items():
        name = field.replace(".", "_")
        target = name if name in form.fields else None
        for message in messages:
            form.add_error(target, message)


class MessageForm(WebForm):
    body = forms.CharField(
        label=gettext_lazy("给消费者或调解员留言"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class FulfilmentForm(WebForm):
    note = forms.CharField(
        label=gettext_lazy("履行情况说明（选填）"),
        help_text=gettext_lazy("例如退款流水号、快递单号。消费者可在异议期内提出异议。"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class TransactionRecordForm(WebForm):
    """A transaction record (交易记录) uploaded as evidence of the case."""

    file = forms.FileField(label=gettext_lazy("交易记录文件"))
    description = forms.CharField(
        label=gettext_lazy("说明（选填）"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _(
            "订单、支付或物流记录，PDF、图片或纯文本，不超过 %(size)s。"
        ) % {"size": filesizeformat(settings.WEIQUAN["EVIDENCE_MAX_UPLOAD_BYTES"])}

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.WEIQUAN["EVIDENCE_MAX_UPLOAD_BYTES"]
        if upload.size > limit:
            raise forms.ValidationError(
                _("文件太大（%(size)s），每个文件不超过 %(limit)s。")
                % {"size": filesizeformat(upload.size), "limit": filesizeformat(limit)}
            )
        return upload


class ApiKeyForm(WebForm):
    name = forms.CharField(
        label=gettext_lazy("密钥名称"),
        help_text=gettext_lazy("用于区分不同系统，例如“客服系统”。"),
        max_length=100,
    )


class WebhookEndpointForm(WebForm):
    url = forms.URLField(
        label=gettext_lazy("回调地址"),
        help_text=gettext_lazy("必须是 https 地址，且不能指向内网。"),
        max_length=500,
        assume_scheme="https",
    )
    events = forms.MultipleChoiceField(
        label=gettext_lazy("订阅的事件"),
        help_text=gettext_lazy("不选则接收全部事件。"),
        required=False,
        choices=[(t, t) for t in WEBHOOK_EVENT_TYPES],
        widget=forms.CheckboxSelectMultiple,
    )
