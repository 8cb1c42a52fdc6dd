"""The files of a periodic report (电子商务消费投诉统计报告): CSV, XLSX and PDF.

All three are made from the same summary (reporting.selectors.statistics_summary) and
the same list of sections, so their figures cannot differ. The PDF's charts are SVG
drawn here, on the server, with Chinese labels; WeasyPrint renders them with the page.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from xml.sax.saxutils import escape

from django.template.loader import render_to_string

from complaints.choices import Outcome, Status
from complaints.selectors import region_name
from reporting.counters import SHANGHAI

TITLE = "电子商务消费投诉统计报告"
MONEY_FORMAT = "#,##0.00"
RATE_FORMAT = "0.00%"
COUNT_FORMAT = "#,##0"
DAYS_FORMAT = "0.0"


@dataclass(frozen=True)
class Figure:
    """One headline figure: its label, value and kind (count, money, rate, days)."""

    key: str
    label: str
    value: int | Decimal | float | None
    kind: str


@dataclass(frozen=True)
class Section:
    """A breakdown table: its heading, column labels and rows (label, count[, amount])."""

    title: str
    columns: tuple[str, ...]
    rows: list[tuple]


def headline(summary: dict) -> list[Figure]:
    s = summary
    return [
        Figure("total", "投诉总量（件）", s["total"], "count"),
        Figure("closed", "已结案（件）", s["by_status"][Status.CLOSED], "count"),
        Figure("amount_claimed", "诉求金额（元）", s["amount_claimed"], "money"),
        Figure("amount_compensated", "先行赔付金额（元）", s["amount_compensated"], "money"),
        Figure("amount_recovered", "追偿收回金额（元）", s["amount_recovered"], "money"),
        Figure(
            "response_within_deadline_rate",
            "平台按期答复率",
            s["response_within_deadline_rate"],
            "rate",
        ),
        Figure(
            "median_days_to_respond", "答复用时中位数（天）", s["median_days_to_respond"], "days"
        ),
        Figure("median_days_to_close", "办结用时中位数（天）", s["median_days_to_close"], "days"),
        Figure("resolution_rate", "解决率", s["resolution_rate"], "rate"),
        Figure("mediation_success_rate", "调解成功率", s["mediation_success_rate"], "rate"),
        Figure("satisfaction_average", "满意度平均分（1–5）", s["satisfaction"]["average"], "days"),
        Figure("satisfaction_count", "评价数（件）", s["satisfaction"]["count"], "count"),
    ]


def sections(summary: dict) -> list[Section]:
    s = summary
    level = {"province": "省级", "city": "地市级", "county": "区县级"}[s["region_level"]]
    return [
        Section(
            "按处理状态",
            ("状态", "件数"),
            [(str(Status(k).label), v) for k, v in s["by_status"].items()],
        ),
        Section(
            "按办结结果",
            ("结果", "件数"),
            [(str(Outcome(k).label), v) for k, v in s["by_outcome"].items()],
        ),
        Section(
            "按平台",
            ("平台", "件数", "诉求金额（元）"),
            [(r["name"], r["count"], r["amount_claimed"]) for r in s["by_platform"]],
        ),
        Section(
            "投诉较多的商家",
            ("商家", "件数"),
            [(f"{r['merchant']}（{r['platform']}）", r["count"]) for r in s["by_merchant"]],
        ),
        Section(
            "按商品或服务类别",
            ("类别", "件数"),
            [(r["label"], r["count"]) for r in s["by_category"]],
        ),
        Section(
            "按问题类型",
            ("问题类型", "件数"),
            [(r["label"], r["count"]) for r in s["by_issue_type"]],
        ),
        Section(
            f"按地区（{level}）",
            ("地区", "件数"),
            [(r["name"] or r["region"], r["count"]) for r in s["by_region"]],
        ),
    ]


def period_text(start: date, end: date) -> str:
    return f"{start:%Y年%m月%d日}至{end:%Y年%m月%d日}"


def region_text(prefix: str) -> str:
    return region_name(prefix) or prefix if prefix else "全国"


def _plain(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4f}".rstrip("0").rstrip(".") if value % 1 else f"{value:.1f}"
    return str(value)


def report_csv(*, summary: dict, start: date, end: date, region: str) -> bytes:
    """UTF-8 with a BOM, so Excel opens the Chinese correctly; one row per figure."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([TITLE])
    writer.writerow(["统计期间", f"{start.isoformat()} 至 {end.isoformat()}"])
    writer.writerow(["地区", region_text(region), region])
    writer.writerow([])
    writer.writerow(["指标", "数值"])
    for figure in headline(summary):
        writer.writerow([figure.label, _plain(figure.value)])
    for section in sections(summary):
        writer.writerow([])
        writer.writerow([section.title])
        writer.writerow(section.columns)
        for row in section.rows:
            writer.writerow([_plain(v) for v in row])
    return out.getvalue().encode("utf-8-sig")


_FORMATS = {"count": COUNT_FORMAT, "money": MONEY_FORMAT, "rate": RATE_FORMAT, "days": DAYS_FORMAT}


def report_xlsx(*, summary: dict, start: date, end: date, region: str) -> bytes:
    """A workbook: 概要 (the headline figures as real numbers with number formats) and
    one sheet per breakdown."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = "概要"
    sheet.append([TITLE])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append(["统计期间", f"{start.isoformat()} 至 {end.isoformat()}"])
    sheet.append(["地区", region_text(region)])
    sheet.append([])
    sheet.append(["指标", "数值"])
    for figure in headline(summary):
        value = figure.value
        sheet.append([figure.label, value])
        cell = sheet.cell(row=sheet.max_row, column=2)
        cell.number_format = _FORMATS[figure.kind]
    sheet.column_dimensions["A"].width = 26
    sheet.column_dimensions["B"].width = 18
    for index, section in enumerate(sections(summary), start=1):
        page = book.create_sheet(f"{index}.{section.title}"[:31])
        page.append(list(section.columns))
        for cell in page[1]:
            cell.font = Font(bold=True)
        for row in section.rows:
            page.append(list(row))
            page.cell(row=page.max_row, column=2).number_format = COUNT_FORMAT
            if len(row) > 2:
                page.cell(row=page.max_row, column=3).number_format = MONEY_FORMAT
        page.column_dimensions["A"].width = 30
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def bar_chart_svg(title: str, rows: list[tuple[str, int]], width: int = 480) -> str:
    """A horizontal bar chart as inline SVG, labels in Chinese."""
    rows = [(label, int(count)) for label, count in rows]
    bar_height, gap, label_width, top = 16, 6, 150, 24
    height = top + len(rows) * (bar_height + gap) + 6
    most = max([count for _label, count in rows] + [1])
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="Noto Sans CJK SC, sans-serif">',
        f'<text x="0" y="14" font-size="11" font-weight="bold">{escape(title)}</text>',
    ]
    for i, (label, count) in enumerate(rows):
        y = top + i * (bar_height + gap)
        length = round((width - label_width - 50) * count / most)
        parts.append(
            f'<text x="{label_width - 6}" y="{y + 12}" font-size="9" '
            f'text-anchor="end">{escape(label)}</text>'
            f'<rect x="{label_width}" y="{y}" width="{length}" height="{bar_height}" '
            f'fill="#2f6db5"/>'
            f'<text x="{label_width + length + 4}" y="{y + 12}" font-size="9">{count}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _display(figure: Figure) -> str:
    v = figure.value
    if v is None:
        return "—"
    if figure.kind == "money":
        return f"{v:,.2f}"
    if figure.kind == "rate":
        return f"{v * 100:.2f}%"
    if figure.kind == "days":
        return f"{v:.1f}"
    return f"{v:,}"


def report_html(
    *, summary: dict, start: date, end: date, region: str, generated_at: datetime
) -> str:
    chart_sections = sections(summary)
    charts = [
        bar_chart_svg(section.title, [(row[0], row[1]) for row in section.rows])
        for section in chart_sections
        if section.rows and section.title in ("按处理状态", "按平台", "按商品或服务类别")
    ]
    return render_to_string(
        "reporting/report.html",
        {
            "title": TITLE,
            "period": period_text(start, end),
            "region": region_text(region),
            "figures": [(f.label, _display(f)) for f in headline(summary)],
            "sections": chart_sections,
            "charts": charts,
            "generated_at": generated_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M"),
        },
    )


def report_pdf(**kwargs) -> bytes:
    """The report as an A4 PDF (arguments as `report_html`)."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    html = report_html(**kwargs)
    # Everything is inline: no protocol allowed, so nothing reaches the network.
    return HTML(string=html, url_fetcher=URLFetcher(allowed_protocols=())).write_pdf()
