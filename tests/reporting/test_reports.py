"""Periodic reports: asked for, generated in the background, filed as evidence, downloaded."""

from __future__ import annotations

import csv
import hashlib
import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from complaints.actors import Actor
from evidence.models import EvidenceRecord, Kind
from reporting import documents
from reporting.models import Report
from reporting.reports import report_request, reports_due
from reporting.selectors import StatsFilter, statistics_summary
from reporting.tasks import request_periodic_reports
from tests.api.clients import client_for
from tests.helpers import PROBLEM

pytestmark = pytest.mark.django_db
REPORTS = "/api/v1/reports/"
NOVEMBER = {"period": "month", "start": "2026-11-01"}


@pytest.fixture
def no_pdf(monkeypatch):
    """Skip rendering the PDF (seconds) where the test is about something else."""
    monkeypatch.setattr(documents, "report_pdf", lambda **kwargs: b"%PDF-1.7 stub")


def ask(user, body, capture):
    with capture(execute=True):
        return client_for(user).post(REPORTS, body, format="json")


def download(user, report_id, fmt):
    return client_for(user).get(f"{REPORTS}{report_id}/download/", {"format": fmt})


def test_monthly_report_files_match_the_summary(dataset, staff, django_capture_on_commit_callbacks):
    # when staff ask for November's national report
    response = ask(staff, NOVEMBER, django_capture_on_commit_callbacks)
    assert response.status_code == 202, response.content
    report_id = response.json()["id"]
    # then it was generated after the commit and is done
    detail = client_for(staff).get(f"{REPORTS}{report_id}/").json()
    assert (detail["state"], detail["progress"], detail["end"]) == ("done", 100, "2026-11-30")
    summary = statistics_summary(StatsFilter(start=date(2026, 11, 1), end=date(2026, 11, 30)))

    # each file is an evidence record of the chain report:<id>, with the bytes served
    records = EvidenceRecord.objects.filter(chain=f"report:{report_id}").order_by("seq")
    assert [r.kind for r in records] == [Kind.REPORT] * 3
    files = {}
    for fmt in ("pdf", "xlsx", "csv"):
        answer = download(staff, report_id, fmt)
        assert answer.status_code == 200, answer.content
        files[fmt] = answer.content
        assert hashlib.sha256(answer.content).hexdigest() == detail["formats"][fmt]
        assert records.filter(sha256=detail["formats"][fmt]).exists()
    assert download(staff, report_id, "xlsx")["Content-Type"].startswith(
        "application/vnd.openxmlformats"
    )

    # the PDF holds the Chinese headings and the figures (text extracted back)
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(files["pdf"])).pages)
    for expected in [
        "电子商务消费投诉统计报告",
        "统计期间：2026年11月01日至2026年11月30日",
        "地区：全国",
        "一、主要指标",
        "二、统计图",
        "三、分类统计",
        "投诉总量（件） 5",
        "诉求金额（元） 2,149.00",
        "先行赔付金额（元） 150.00",
        "追偿收回金额（元） 80.00",
        "平台按期答复率 66.67%",
        "答复用时中位数（天） 4.5",
        "办结用时中位数（天） 22.0",
        "调解成功率 50.00%",
        "按平台",
        "好物商城",
    ]:
        assert expected in text, expected

    # the workbook's cells are numbers equal to the summary's figures, with formats
    book = load_workbook(io.BytesIO(files["xlsx"]))
    sheet = book["概要"]
    cells = {row[0].value: row[1] for row in sheet.iter_rows(min_row=6) if row[0].value}
    assert cells["投诉总量（件）"].value == summary["total"] == 5
    assert Decimal(str(cells["诉求金额（元）"].value)) == summary["amount_claimed"]
    assert cells["诉求金额（元）"].number_format == "#,##0.00"
    assert Decimal(str(cells["先行赔付金额（元）"].value)) == Decimal("150.00")
    assert Decimal(str(cells["追偿收回金额（元）"].value)) == Decimal("80.00")
    assert cells["平台按期答复率"].value == summary["response_within_deadline_rate"] == 0.6667
    assert cells["平台按期答复率"].number_format == "0.00%"
    assert cells["办结用时中位数（天）"].value == 22.0
    assert cells["调解成功率"].value == 0.5
    platforms = [r for r in book["3.按平台"].iter_rows(min_row=2, values_only=True)]
    assert platforms == [("好物商城", 4, 1649), ("另一平台", 1, 500)]

    # the CSV is UTF-8 with a BOM and holds the same figures
    assert files["csv"].startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(files["csv"].decode("utf-8-sig"))))
    assert rows[0] == ["电子商务消费投诉统计报告"]
    assert ["投诉总量（件）", "5"] in rows
    assert ["诉求金额（元）", "2149.00"] in rows
    assert ["好物商城", "4", "1649.00"] in rows


def test_progress_is_visible_while_generating(
    dataset, staff, monkeypatch, django_capture_on_commit_callbacks
):
    seen = []

    def pdf(**kwargs):  # a look at the report while its PDF is being made
        report = Report.objects.get()
        seen.append((report.state, report.progress))
        return b"%PDF-1.7 stub"

    monkeypatch.setattr(documents, "report_pdf", pdf)
    ask(staff, NOVEMBER, django_capture_on_commit_callbacks)
    assert seen == [("running", 50)]
    assert Report.objects.get().state == "done"


def test_the_same_report_asked_again_is_the_first_one(
    dataset, staff, no_pdf, django_capture_on_commit_callbacks
):
    first = ask(staff, NOVEMBER, django_capture_on_commit_callbacks)
    again = ask(staff, NOVEMBER, django_capture_on_commit_callbacks)
    assert (first.status_code, again.status_code) == (202, 200)
    assert first.json()["id"] == again.json()["id"]
    assert EvidenceRecord.objects.filter(kind=Kind.REPORT).count() == 3


def test_a_regulator_reports_on_its_own_region_only(
    dataset, regulator, staff, no_pdf, django_capture_on_commit_callbacks
):
    mine = ask(regulator, NOVEMBER, django_capture_on_commit_callbacks)
    assert mine.status_code == 202
    assert mine.json()["region"] == "31"
    outside = ask(regulator, {**NOVEMBER, "region": "44"}, django_capture_on_commit_callbacks)
    assert outside.status_code == 403
    assert outside["Content-Type"] == PROBLEM
    # a national report made by staff is not the regulator's to see
    national = ask(staff, NOVEMBER, django_capture_on_commit_callbacks).json()
    listed = client_for(regulator).get(REPORTS).json()
    assert [r["id"] for r in listed] == [mine.json()["id"]]
    assert download(regulator, national["id"], "csv").status_code == 404
    # and the regional CSV counts Shanghai's four complaints
    rows = list(csv.reader(io.StringIO(
        download(regulator, mine.json()["id"], "csv").content.decode("utf-8-sig")
    )))  # fmt: skip
    assert ["投诉总量（件）", "4"] in rows


@pytest.mark.parametrize(
    "body, status",
    [
        ({"period": "month", "start": "2026-11-15"}, 422),
        ({"period": "quarter", "start": "2026-11-01"}, 422),
        ({"period": "month", "start": "2099-01-01"}, 422),
        ({"period": "year", "start": "2026-01-01"}, 400),
        ({"period": "month"}, 400),
    ],
)
def test_bad_report_requests_are_problems(staff, body, status, django_capture_on_commit_callbacks):
    response = ask(staff, body, django_capture_on_commit_callbacks)
    assert response.status_code == status
    assert response["Content-Type"] == PROBLEM


def test_downloads_wait_for_the_files_and_name_a_format(staff, no_pdf):
    report, _created = report_request(
        actor=Actor.of_user(staff), period="month", start=date(2026, 11, 1)
    )  # not generated: its task runs only after a commit
    pending = download(staff, report.pk, "pdf")
    assert pending.status_code == 409
    assert pending.json()["code"] == "report_not_ready"
    assert download(staff, report.pk, "docx").status_code == 400


@pytest.mark.parametrize("who", ["consumer", "mediator"])
def test_only_staff_and_regulators_see_reports(who, consumer, mediator):
    user = {"consumer": consumer, "mediator": mediator}[who]
    assert client_for(user).get(REPORTS).status_code == 403


def test_the_scheduled_task_asks_for_last_month_and_quarter_once(
    platform, no_pdf, time_machine, django_capture_on_commit_callbacks
):
    assert reports_due(date(2026, 12, 2)) == [("month", date(2026, 11, 1)),
                                               ("quarter", date(2026, 7, 1))]  # fmt: skip
    assert reports_due(date(2027, 1, 5)) == [("month", date(2026, 12, 1)),
                                              ("quarter", date(2026, 10, 1))]  # fmt: skip
    time_machine.move_to("2026-12-02T02:00:00Z")
    with django_capture_on_commit_callbacks(execute=True):
        request_periodic_reports.delay()
        request_periodic_reports.delay()
    reports = Report.objects.order_by("period")
    assert [(r.period, r.start, r.region_prefix, r.state) for r in reports] == [
        ("month", date(2026, 11, 1), "", "done"),
        ("quarter", date(2026, 7, 1), "", "done"),
    ]
