"""The dashboard's filters and the report request: shape only; the region a reader may
see is decided by reporting.selectors.statistics_region_for, never here."""

from __future__ import annotations

from datetime import date

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy

from complaints.choices import Category
from complaints.models import Platform
from complaints.web.forms import WebForm
from reporting.models import Report

# At most this many points in the time series chart (the API's limit too).
MAX_POINTS = 400
DAYS_PER_POINT = {"day": 1, "week": 7, "month": 28}
INTERVALS = [
    ("month", gettext_lazy("按月")),
    ("week", gettext_lazy("按周")),
    ("day", gettext_lazy("按日")),
]

region_code = RegexValidator(
    r"^\d{2}(\d{2}){0,2}$",
    gettext_lazy("地区代码是 2、4 或 6 位数字（GB/T 2260：省、市、区县）。"),
)


def months_back(day: date, months: int) -> date:
    """The first day of the month `months` before the month of `day`."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    return date(year, month + 1, 1)


class StatsFilterForm(WebForm):
    """GET filters of the dashboard; blank dates mean the last twelve months."""

    platform = forms.ChoiceField(label=gettext_lazy("平台"), required=False)
    region = forms.CharField(
        label=gettext_lazy("地区代码"),
        help_text=gettext_lazy("省 2 位、市 4 位、区县 6 位；留空为您的全部辖区。"),
        required=False,
        max_length=6,
        validators=[region_code],
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    category = forms.ChoiceField(
        label=gettext_lazy("商品或服务类别"),
        required=False,
        choices=[("", gettext_lazy("全部类别")), *Category.choices],
    )
    interval = forms.ChoiceField(label=gettext_lazy("趋势图按"), required=False, choices=INTERVALS)

    def __init__(self, *args, today: date, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        # `from` and `to`, as in the API's query (not Python names, so added here, first).
        dates = {
            name: forms.DateField(
                label=label, required=False, widget=forms.DateInput(attrs={"type": "date"})
            )
            for name, label in (
                ("from", gettext_lazy("起始日期")),
                ("to", gettext_lazy("截止日期")),
            )
        }
        self.fields = {**dates, **self.fields}
        self.fields["platform"].choices = [
            ("", gettext_lazy("全部平台")),
            *Platform.objects.order_by("name").values_list("code", "name"),
        ]

    def clean(self):
        data = super().clean()
        end = data.get("to") or self.today
        start = data.get("from") or months_back(end, 11)
        interval = data.get("interval") or "month"
        if "from" in data and "to" in data:
            if start > end:
                self.add_error("from", gettext_lazy("起始日期不能晚于截止日期。"))
            elif (end - start).days + 1 > MAX_POINTS * DAYS_PER_POINT[interval]:
                self.add_error(
                    "interval",
                    gettext_lazy("这段期间太长，趋势图画不下：请按周或按月，或缩短期间。"),
                )
        data.update({"from": start, "to": end, "interval": interval})
        return data


class ReportRequestForm(WebForm):
    """POST: ask for a monthly or quarterly report (reporting.reports.report_request)."""

    period = forms.ChoiceField(label=gettext_lazy("周期"), choices=Report.Period.choices)
    start = forms.DateField(
        label=gettext_lazy("起始日期"),
        help_text=gettext_lazy("月度报告填当月 1 日；季度报告填 1、4、7、10 月的 1 日。"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    region = forms.CharField(
        label=gettext_lazy("地区代码（选填）"),
        help_text=gettext_lazy("留空为您的全部辖区。"),
        required=False,
        max_length=6,
        validators=[region_code],
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
