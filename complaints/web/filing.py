"""The consumer's filing wizard: platform and merchant, order, what happened, what they want,
review; then the evidence page of the filed complaint.

What was typed lives in the session (`filing_draft`, the raw field values) until the
complaint is filed, so going back and forth or an error never loses it. Filing calls
`complaints.services.complaint_file`; its field errors are shown beside their fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django import forms
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from complaints.choices import Category, Channel, Demand, IssueType, Role
from complaints.exceptions import DomainValidationError, TransitionForbidden
from complaints.models import Platform, Region
from complaints.selectors import region_name
from complaints.services import complaint_file
from complaints.web.access import role_required
from complaints.web.forms import WebForm, add_domain_errors

SESSION_KEY = "filing_draft"
AMOUNT = {"max_digits": 12, "decimal_places": 2, "min_value": Decimal("0")}


def _region_choices(parent: str | None, level: str) -> list[tuple[str, str]]:
    qs = Region.objects.filter(level=level, is_active=True)
    if parent is not None:
        qs = qs.filter(parent_id=parent)
    return [("", _("请选择"))] + list(qs.values_list("code", "name"))


class PlatformStep(WebForm):
    platform = forms.ChoiceField(label=_("电商平台"))
    merchant_name = forms.CharField(
        label=_("商家名称"),
        max_length=200,
        help_text=_("店铺或商家在平台上显示的名称。"),
    )
    province = forms.ChoiceField(label=_("商家所在省份"), required=False)
    city = forms.ChoiceField(label=_("城市"), required=False)
    region = forms.ChoiceField(
        label=_("区县"),
        required=False,
        help_text=_("按平台上显示的商家地址选择；不清楚可不选，按平台住所地处理。"),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        platforms = Platform.objects.filter(is_active=True).order_by("name")
        self.fields["platform"].choices = [("", _("请选择"))] + [
            (p.code, p.name) for p in platforms
        ]
        values = self.data if self.is_bound else self.initial
        province, city = values.get("province") or None, values.get("city") or None
        self.fields["province"].choices = _region_choices(None, Region.Level.PROVINCE)
        self.fields["city"].choices = (
            _region_choices(province, Region.Level.CITY) if province else [("", _("请选择"))]
        )
        self.fields["region"].choices = (
            _region_choices(city, Region.Level.COUNTY) if city else [("", _("请选择"))]
        )
        # Choosing a province or city loads the next list (htmx); without script the
        # "next" button reloads the step with the narrower lists.
        regions_url = reverse("consumer:regions")
        for name, target in (("province", "city"), ("city", "region")):
            self.fields[name].widget.attrs.update(
                {
                    "hx-get": regions_url,
                    "hx-target": f"#id_{target}",
                    "hx-trigger": "change",
                }
            )

    def clean(self):
        data = super().clean()
        region = data.get("region")
        for parent in ("province", "city"):
            if region and data.get(parent) and not region.startswith(data[parent]):
                self.add_error("region", _("所选区县不在所选省份或城市内。"))
        if not region and data.get("platform"):
            platform = Platform.objects.filter(code=data["platform"]).first()
            if platform is not None and not platform.domicile_region:
                self.add_error("region", _("请选择商家所在的区县。"))
        return data


class OrderStep(WebForm):
    order_number = forms.CharField(label=_("订单号"), max_length=64)
    order_date = forms.DateField(
        label=_("下单日期"), widget=forms.DateInput(attrs={"type": "date"})
    )
    category = forms.ChoiceField(label=_("商品或服务类别"), choices=Category.choices)
    amount_paid = forms.DecimalField(label=_("实付金额（元）"), **AMOUNT)

    def clean_order_date(self):
        value = self.cleaned_data["order_date"]
        if value > timezone.localdate():
            raise forms.ValidationError(_("下单日期不能晚于今天。"))
        return value


class ProblemStep(WebForm):
    issue_type = forms.ChoiceField(label=_("问题类型"), choices=IssueType.choices)
    description = forms.CharField(
        label=_("发生了什么"),
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("按时间顺序写清经过：买了什么、出了什么问题、与商家如何沟通。"),
    )


class DemandStep(WebForm):
    demand = forms.ChoiceField(label=_("您的诉求"), choices=Demand.choices)
    amount_claimed = forms.DecimalField(
        label=_("诉求金额（元）"),
        help_text=_("希望退还或赔偿的金额；不涉及金额填 0。"),
        **AMOUNT,
    )


@dataclass(frozen=True)
class Step:
    slug: str
    title: str
    form: type[WebForm] | None


STEPS = (
    Step("platform", _("平台与商家"), PlatformStep),
    Step("order", _("订单"), OrderStep),
    Step("problem", _("问题经过"), ProblemStep),
    Step("demand", _("诉求"), DemandStep),
    Step("review", _("核对提交"), None),
)
STEP_BY_SLUG = {s.slug: s for s in STEPS}
# After filing, evidence is uploaded to the complaint itself (it must exist to be
# preserved in its evidence chain): the wizard's last step is the evidence page.
EVIDENCE_STEP_TITLE = _("上传证据")
# Which step asks for each field, to show a service's error beside it.
FIELD_STEP = {name: step.slug for step in STEPS if step.form for name in step.form.base_fields}


def _draft(request: HttpRequest) -> dict:
    return dict(request.session.get(SESSION_KEY, {}))


def _save_draft(request: HttpRequest, form: forms.Form) -> None:
    draft = _draft(request)
    for name in form.fields:
        draft[name] = form.data.get(form.add_prefix(name), "")
    request.session[SESSION_KEY] = draft


def _steps_context(current: str) -> list[dict]:
    titles = [{"slug": s.slug, "title": s.title, "current": s.slug == current} for s in STEPS]
    return [*titles, {"slug": "evidence", "title": EVIDENCE_STEP_TITLE, "current": False}]


def _render_step(request, step: Step, form, status: int = 200) -> HttpResponse:
    index = STEPS.index(step)
    return render(
        request,
        "web/consumer/file_step.html",
        {
            "step": step,
            "form": form,
            "steps": _steps_context(step.slug),
            "previous": STEPS[index - 1] if index else None,
        },
        status=status,
    )


@role_required(Role.CONSUMER)
def file_start(request: HttpRequest) -> HttpResponse:
    """Start (or go on with) the wizard at its first step; ?new=1 starts over."""
    if request.GET.get("new"):
        request.session.pop(SESSION_KEY, None)
    return redirect("consumer:file_step", step=STEPS[0].slug)


@role_required(Role.CONSUMER)
def file_step(request: HttpRequest, step: str) -> HttpResponse:
    """One step: GET shows it with what was typed before, POST keeps it and moves on."""
    current = STEP_BY_SLUG.get(step)
    if current is None:
        raise Http404
    if current.form is None:
        return _review(request, current)
    index = STEPS.index(current)
    if request.method == "POST":
        form = current.form(data=request.POST)
        _save_draft(request, form)
        if "back" in request.POST and index:
            return redirect("consumer:file_step", step=STEPS[index - 1].slug)
        if form.is_valid():
            return redirect("consumer:file_step", step=STEPS[index + 1].slug)
        return _render_step(request, current, form)
    draft = _draft(request)
    form = current.form(initial={k: v for k, v in draft.items() if v})
    return _render_step(request, current, form)


def _validated_steps(draft: dict) -> tuple[dict, Step | None, forms.Form | None]:
    """All steps' cleaned data, or the first step whose input is not valid (and its form)."""
    cleaned: dict = {}
    for step in STEPS:
        if step.form is None:
            continue
        form = step.form(data=draft)
        if not form.is_valid():
            return cleaned, step, form
        cleaned.update(form.cleaned_data)
    return cleaned, None, None


def _review(request: HttpRequest, step: Step) -> HttpResponse:
    draft = _draft(request)
    cleaned, invalid, invalid_form = _validated_steps(draft)
    if invalid is not None:
        if request.method == "POST" or any(draft.get(f) for f in invalid_form.fields):
            return _render_step(request, invalid, invalid_form)
        return redirect("consumer:file_step", step=invalid.slug)
    if request.method == "POST":
        if "back" in request.POST:
            return redirect("consumer:file_step", step=STEPS[-2].slug)
        platform = Platform.objects.get(code=cleaned["platform"])
        try:
            complaint = complaint_file(
                consumer=request.user,
                platform=cleaned["platform"],
                merchant_name=cleaned["merchant_name"],
                order_number=cleaned["order_number"],
                order_date=cleaned["order_date"],
                category=cleaned["category"],
                issue_type=cleaned["issue_type"],
                amount_paid=cleaned["amount_paid"],
                amount_claimed=cleaned["amount_claimed"],
                demand=cleaned["demand"],
                description=cleaned["description"],
                region=cleaned["region"] or platform.domicile_region,
                channel=Channel.WEB,
            )
        except DomainValidationError as exc:
            field = next((f for f in exc.errors if f in FIELD_STEP), None)
            target = STEP_BY_SLUG[FIELD_STEP[field]] if field else STEPS[0]
            form = target.form(data=draft)
            form.is_valid()
            add_domain_errors(form, exc)
            return _render_step(request, target, form)
        except TransitionForbidden as exc:
            raise Http404 from exc
        request.session.pop(SESSION_KEY, None)
        return redirect(reverse("evidence_web:list", args=[complaint.reference]) + "?filed=1")
    platform = Platform.objects.filter(code=cleaned["platform"]).first()
    region_code = cleaned["region"] or (platform.domicile_region if platform else "")
    summary = [
        (_("电商平台"), platform.name if platform else cleaned["platform"]),
        (_("商家名称"), cleaned["merchant_name"]),
        (_("商家所在地"), region_name(region_code) if region_code else ""),
        (_("订单号"), cleaned["order_number"]),
        (_("下单日期"), cleaned["order_date"]),
        (_("商品或服务类别"), Category(cleaned["category"]).label),
        (_("实付金额（元）"), cleaned["amount_paid"]),
        (_("问题类型"), IssueType(cleaned["issue_type"]).label),
        (_("发生了什么"), cleaned["description"]),
        (_("您的诉求"), Demand(cleaned["demand"]).label),
        (_("诉求金额（元）"), cleaned["amount_claimed"]),
    ]
    return render(
        request,
        "web/consumer/file_review.html",
        {"step": step, "steps": _steps_context(step.slug), "summary": summary},
    )


@require_GET
@role_required(Role.CONSUMER)
def regions(request: HttpRequest) -> HttpResponse:
    """The <option>s under a province or city, for the wizard's region lists (htmx)."""
    parent = request.GET.get("province") or request.GET.get("city") or ""
    level = Region.Level.CITY if "province" in request.GET else Region.Level.COUNTY
    choices = _region_choices(parent, level) if parent else [("", _("请选择"))]
    return render(request, "web/consumer/region_options.html", {"choices": choices})
