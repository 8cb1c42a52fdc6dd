"""The regulator dashboard: the figures of GET /api/v1/stats/summary/ and /stats/timeseries/
for the filters, with bar charts drawn on the server (reporting.documents.bar_chart_svg,
as in the PDF reports), and region drilling from province to city to county."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy

from complaints.choices import Outcome, Status
from complaints.models import Platform
from complaints.selectors import region_name
from reporting.counters import shanghai_date
from reporting.documents import bar_chart_svg
from reporting.exceptions import OutsideRegion
from reporting.selectors import (
    StatsFilter,
    statistics_region_for,
    statistics_summary,
    statistics_timeseries,
)
from reporting.web.access import dashboard_required, root_region
from reporting.web.forms import StatsFilterForm

LEVELS = {
    "province": gettext_lazy("按省份"),
    "city": gettext_lazy("按地市"),
    "county": gettext_lazy("按区县"),
}


def _figures(s: dict) -> list[tuple[str, str, str]]:
    """(key, label, value as shown) of the headline figures."""

    def count(v) -> str:
        return f"{v:,}"

    def money(v: Decimal) -> str:
        return f"{v:,.2f}"

    def percent(v: float | None) -> str:
        return "—" if v is None else f"{v * 100:.1f}%"

    def days(v: float | None) -> str:
        return "—" if v is None else f"{v:.1f}"

    satisfaction = s["satisfaction"]
    return [
        ("total", gettext_lazy("投诉总量（件）"), count(s["total"])),
        ("closed", gettext_lazy("已结案（件）"), count(s["by_status"][Status.CLOSED])),
        ("amount_claimed", gettext_lazy("诉求金额（元）"), money(s["amount_claimed"])),
        ("amount_compensated", gettext_lazy("先行赔付（元）"), money(s["amount_compensated"])),
        ("amount_recovered", gettext_lazy("追偿收回（元）"), money(s["amount_recovered"])),
        (
            "response_within_deadline_rate",
            gettext_lazy("平台按期答复率"),
            percent(s["response_within_deadline_rate"]),
        ),
        (
            "median_days_to_respond",
            gettext_lazy("答复用时中位数（天）"),
            days(s["median_days_to_respond"]),
        ),
        (
            "median_days_to_close",
            gettext_lazy("办结用时中位数（天）"),
            days(s["median_days_to_close"]),
        ),
        ("resolution_rate", gettext_lazy("解决率"), percent(s["resolution_rate"])),
        (
            "mediation_success_rate",
            gettext_lazy("调解成功率"),
            percent(s["mediation_success_rate"]),
        ),
        ("satisfaction", gettext_lazy("满意度（1–5）"), days(satisfaction["average"])),
        ("ratings", gettext_lazy("评价数（件）"), count(satisfaction["count"])),
    ]


# The charts' width in SVG units: narrower than the PDF's (480), so that the labels stay
# legible when a phone scales the chart down to its width.
CHART_WIDTH = 360
# bar_chart_svg right-aligns labels in a 150-unit column, in 9-unit type: what fits.
LABEL_ROOM = 140


def _fit(label: str) -> str:
    """Shorten a label that would run off the chart's left edge (a long English name)."""
    width = 0.0
    for i, char in enumerate(label):
        width += 9 if ord(char) > 0x2E80 else 5.2
        if width > LABEL_ROOM:
            return label[: max(i - 1, 1)] + "…"
    return label


def _point_label(start: date, interval: str) -> str:
    return f"{start:%Y-%m}" if interval == "month" else f"{start:%Y-%m-%d}"


def _charts(summary: dict, points: list[dict], interval: str) -> list[dict]:
    """The charts: title, an id, and the SVG (labels escaped by bar_chart_svg)."""
    trend_titles = {
        "month": gettext_lazy("每月投诉量"),
        "week": gettext_lazy("每周投诉量（周一起）"),
        "day": gettext_lazy("每日投诉量"),
    }
    charts = [
        (
            "trend",
            trend_titles[interval],
            [(_point_label(p["start"], interval), p["count"]) for p in points],
        ),
        (
            "status",
            gettext_lazy("按处理状态"),
            [(str(Status(k).label), v) for k, v in summary["by_status"].items()],
        ),
        (
            "outcome",
            gettext_lazy("按办结结果"),
            [(str(Outcome(k).label), v) for k, v in summary["by_outcome"].items()],
        ),
        (
            "category",
            gettext_lazy("按商品或服务类别"),
            [(r["label"], r["count"]) for r in summary["by_category"]],
        ),
        (
            "platform",
            gettext_lazy("按平台"),
            [(r["name"], r["count"]) for r in summary["by_platform"]],
        ),
        (
            "region",
            gettext_lazy("按地区"),
            [(r["name"] or r["region"], r["count"]) for r in summary["by_region"]],
        ),
    ]
    return [
        {
            "id": key,
            "title": title,
            "svg": bar_chart_svg(
                str(title), [(_fit(str(label)), n) for label, n in rows], width=CHART_WIDTH
            ),
        }
        for key, title, rows in charts
        if rows
    ]


def _link(query: QueryDict, **changes: str) -> str:
    """The dashboard's query string with `changes` (an empty value drops the filter)."""
    query = query.copy()
    for key, value in changes.items():
        query.pop(key, None)
        if value:
            query[key] = value
    return "?" + query.urlencode()


def _breadcrumbs(root: str, region: str, query: QueryDict) -> list[dict]:
    """From the reader's whole region down to the one shown, each a link but the last."""
    crumbs = [{"name": region_name(root) or root if root else gettext_lazy("全国"), "code": root}]
    for length in (2, 4, 6):
        if len(root) < length <= len(region):
            code = region[:length]
            crumbs.append({"name": region_name(code) or code, "code": code})
    for crumb in crumbs:
        crumb["url"] = _link(query, region=crumb["code"])
    return crumbs


@dashboard_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """Statistics for the filters, inside the reader's region (outside it: 403)."""
    today = shanghai_date(timezone.now())
    form = StatsFilterForm(data=request.GET, today=today)
    context: dict = {"form": form}
    if not form.is_valid():
        return render(request, "web/regulator/dashboard.html", context)
    data = form.cleaned_data
    try:
        region = statistics_region_for(request.actor, data["region"] or None)
    except OutsideRegion:
        raise PermissionDenied from None
    platform = Platform.objects.filter(code=data["platform"]).first() if data["platform"] else None
    stats_filter = StatsFilter(
        start=data["from"],
        end=data["to"],
        platform_id=platform.pk if platform else None,
        region=region,
        category=data["category"],
    )
    summary = statistics_summary(stats_filter)
    points = statistics_timeseries(stats_filter, interval=data["interval"], metric="filed")
    regions = [
        {
            **row,
            "url": _link(request.GET, region=row["region"]) if len(region) < 6 else "",
        }
        for row in summary["by_region"]
    ]
    context.update(
        summary=summary,
        figures=_figures(summary),
        charts=_charts(summary, points, data["interval"]),
        points=points,
        period=(data["from"], data["to"]),
        platform=platform,
        region=region,
        region_label=region_name(region) or region if region else gettext_lazy("全国"),
        level=LEVELS[summary["region_level"]],
        regions=regions,
        breadcrumbs=_breadcrumbs(root_region(request), region, request.GET),
    )
    return render(request, "web/regulator/dashboard.html", context)
