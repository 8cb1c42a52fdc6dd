"""The reports page: the periodic reports of the reader's region, their progress while
they are made, asking for one (POST, reporting.reports.report_request) and downloading
its files exactly as filed in the evidence log."""

from __future__ import annotations

import base64

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from complaints.exceptions import DomainValidationError
from complaints.web.forms import add_domain_errors
from evidence.services import evidence_content
from reporting.exceptions import OutsideRegion
from reporting.models import Report
from reporting.reports import MEDIA_TYPES, report_request
from reporting.selectors import reports_visible_to
from reporting.web.access import dashboard_required
from reporting.web.forms import ReportRequestForm

LIST_SIZE = 100


def _page(request: HttpRequest, form: ReportRequestForm, status: int = 200) -> HttpResponse:
    reports = list(reports_visible_to(request.actor)[:LIST_SIZE])
    working = any(r.state in (Report.State.PENDING, Report.State.RUNNING) for r in reports)
    return render(
        request,
        "web/regulator/reports.html",
        {"reports": reports, "form": form, "working": working},
        status=status,
    )


@dashboard_required
def reports(request: HttpRequest) -> HttpResponse:
    """The reports, newest period first; POST asks for one (generated in the background)."""
    if request.method != "POST":
        return _page(request, ReportRequestForm())
    form = ReportRequestForm(data=request.POST)
    if not form.is_valid():
        return _page(request, form)
    data = form.cleaned_data
    try:
        report, created = report_request(
            actor=request.actor,
            period=data["period"],
            start=data["start"],
            region=data["region"] or None,
        )
    except DomainValidationError as exc:
        add_domain_errors(form, exc)
        return _page(request, form)
    except OutsideRegion:
        form.add_error("region", _("这个地区不在您的辖区内。"))
        return _page(request, form)
    if created:
        messages.success(request, _("报告已开始生成，完成后可在下方下载。"))
    else:
        messages.info(request, _("这份报告已经生成过或正在生成，见下方列表。"))
    return redirect("regulator:reports")


@dashboard_required
def report_download(request: HttpRequest, pk: str, fmt: str) -> HttpResponse:
    """One file of a report in the reader's region (outside it: 404)."""
    report = reports_visible_to(request.actor).filter(pk=int(pk)).first()
    if report is None or fmt not in MEDIA_TYPES:
        raise Http404
    record = getattr(report, f"{fmt}_record")
    if report.state != Report.State.DONE or record is None:
        messages.error(request, _("这份报告还没有生成完，请稍后再下载。"))
        return redirect("regulator:reports")
    data = evidence_content(record)
    if data is None:
        raise Http404
    response = HttpResponse(data, content_type=MEDIA_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{record.file_name}"'
    response["X-Content-Type-Options"] = "nosniff"
    digest = base64.b64encode(bytes.fromhex(record.sha256)).decode()
    response["Repr-Digest"] = f"sha-256=:{digest}:"
    return response
