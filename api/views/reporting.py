"""Statistics for staff and regulators, the consumer's rating, reports and disclosure."""

from __future__ import annotations

import base64
from datetime import timedelta

from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import permissions, status
from rest_framework.exceptions import ValidationError
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from api.authentication import actor_of
from api.schema import problems
from api.serializers_reporting import (
    DisclosureSerializer,
    RatingCreateSerializer,
    RatingSerializer,
    ReportCreateSerializer,
    ReportSerializer,
    SummaryQuerySerializer,
    SummarySerializer,
    TimeseriesQuerySerializer,
    TimeseriesSerializer,
    WarningCreateSerializer,
    WarningSerializer,
)
from complaints.exceptions import DomainValidationError, NotFound
from complaints.models import Platform
from complaints.selectors import complaints_visible_to
from evidence.exceptions import EvidenceUnavailable
from evidence.services import evidence_content
from reporting.counters import shanghai_date
from reporting.credit import disclosure_list
from reporting.exceptions import ReportNotReady
from reporting.models import ConsumerWarning, Report
from reporting.reports import MEDIA_TYPES, report_request
from reporting.selectors import (
    StatsFilter,
    reports_visible_to,
    statistics_region_for,
    statistics_summary,
    statistics_timeseries,
)
from reporting.services import rating_record, warning_publish

MAX_POINTS = 400
DEFAULT_SPAN = {
    "day": timedelta(days=29),
    "week": timedelta(weeks=11),
    "month": timedelta(days=334),
}


def _stats_filter(request, data: dict) -> StatsFilter:
    """The validated query as a filter, scoped to what the caller may see."""
    region = statistics_region_for(actor_of(request), data.get("region"))
    platform_id = None
    if data.get("platform"):
        platform_id = (
            Platform.objects.filter(code=data["platform"]).values_list("pk", flat=True).first()
        )
        if platform_id is None:
            raise DomainValidationError({"platform": f"Unknown platform '{data['platform']}'."})
    return StatsFilter(
        start=data.get("from"),
        end=data.get("to"),
        platform_id=platform_id,
        region=region,
        category=data.get("category", ""),
    )


class StatsSummaryView(APIView):
    """`GET /api/v1/stats/summary/`."""

    @extend_schema(
        summary="Complaint statistics (投诉统计)",
        description=(
            "Figures for the complaints filed between `from` and `to` (Beijing days), as "
            "they stand now, read from incrementally maintained summary tables. Staff see "
            "everything; a regulator sees its own region only: without `region` its whole "
            "region, with a `region` outside it 403. `by_region` drills one level below the "
            "region asked for (province, city, county). Rates are 0 to 1, medians in days "
            "(exact at day resolution), money in yuan as strings."
        ),
        parameters=[SummaryQuerySerializer],
        responses={200: SummarySerializer, **problems(400, 403, 422)},
    )
    def get(self, request):
        query = SummaryQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        summary = statistics_summary(
            _stats_filter(request, query.validated_data), top=query.validated_data["top"]
        )
        return Response(SummarySerializer(summary).data)


class StatsTimeseriesView(APIView):
    """`GET /api/v1/stats/timeseries/`."""

    @extend_schema(
        summary="Complaint statistics over time",
        description=(
            "One point per day, week (ISO, from Monday) or month between `from` and `to` "
            "(defaults: the last 30 days, 12 weeks or 12 months), zeros included; at most "
            f"{MAX_POINTS} points. Scoped like the summary."
        ),
        parameters=[TimeseriesQuerySerializer],
        responses={200: TimeseriesSerializer, **problems(400, 403, 422)},
    )
    def get(self, request):
        query = TimeseriesQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = dict(query.validated_data)
        interval = data["interval"]
        data["to"] = data.get("to") or shanghai_date(timezone.now())
        data["from"] = data.get("from") or data["to"] - DEFAULT_SPAN[interval]
        if data["from"] > data["to"]:
            raise DomainValidationError({"from": "Must not be after `to`."})
        span_days = (data["to"] - data["from"]).days + 1
        per_point = {"day": 1, "week": 7, "month": 28}[interval]
        if span_days > MAX_POINTS * per_point:
            raise DomainValidationError({"from": f"At most {MAX_POINTS} points per request."})
        points = statistics_timeseries(
            _stats_filter(request, data), interval=interval, metric=data["metric"]
        )
        return Response(
            TimeseriesSerializer(
                {"interval": interval, "metric": data["metric"], "points": points}
            ).data
        )


class ComplaintRatingView(APIView):
    """`POST /api/v1/complaints/{reference}/rating/`."""

    @extend_schema(
        summary="Rate the outcome (满意度评价)",
        description=(
            "The consumer rates how a closed complaint ended, 1 to 5 with an optional "
            "comment, once: a second rating is 409, as is a rating before the case is "
            "closed. Recorded as a `rated` event, so it is preserved as evidence."
        ),
        request=RatingCreateSerializer,
        responses={201: RatingSerializer, **problems(409, 422)},
    )
    def post(self, request, reference: str):
        actor = actor_of(request)
        complaint = complaints_visible_to(actor).filter(reference=reference).first()
        if complaint is None:
            raise NotFound("No such complaint.")
        body = RatingCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        rating = rating_record(complaint_id=complaint.pk, actor=actor, **body.validated_data)
        return Response(RatingSerializer(rating).data, status=status.HTTP_201_CREATED)


class ReportListView(APIView):
    """`GET, POST /api/v1/reports/`."""

    @extend_schema(
        operation_id="reports_list",
        summary="Periodic reports (统计报告)",
        description="Staff see every report; a regulator those of its region. Newest first.",
        responses={200: ReportSerializer(many=True), **problems(403)},
    )
    def get(self, request):
        reports = reports_visible_to(actor_of(request))[:200]
        return Response(ReportSerializer(reports, many=True).data)

    @extend_schema(
        operation_id="reports_create",
        summary="Ask for a monthly or quarterly report",
        description=(
            "Generated in the background: 202 with the new report (`state` pending, then "
            "running with its `progress` in percent, then done); 200 with the existing one "
            "when this period and region was asked for before. `start` is the first day of "
            "the month or quarter (422 otherwise). Staff: any `region` or none (the whole "
            "country); a regulator: its own region by default, or a part of it (403 "
            "outside). Each file is filed as an evidence record with its SHA-256."
        ),
        request=ReportCreateSerializer,
        responses={
            202: ReportSerializer,
            200: ReportSerializer,
            **problems(403, 422),
        },
    )
    def post(self, request):
        body = ReportCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        report, created = report_request(actor=actor_of(request), **body.validated_data)
        report.refresh_from_db()
        return Response(
            ReportSerializer(report).data,
            status=status.HTTP_202_ACCEPTED if created else status.HTTP_200_OK,
        )


class ReportDetailView(APIView):
    """`GET /api/v1/reports/{id}/`: the state and progress of one report."""

    @extend_schema(
        operation_id="reports_retrieve", responses={200: ReportSerializer, **problems(403)}
    )
    def get(self, request, pk: int):
        report = reports_visible_to(actor_of(request)).filter(pk=pk).first()
        if report is None:
            raise NotFound("No such report.")
        return Response(ReportSerializer(report).data)


class AnyFormatNegotiation(BaseContentNegotiation):
    """The answer is the file whatever `Accept` says, and `?format=` names the file's
    format, not a renderer (DRF would otherwise answer 404 for `format=pdf`)."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class ReportDownloadView(APIView):
    """`GET /api/v1/reports/{id}/download/?format=pdf|xlsx|csv`."""

    renderer_classes = [JSONRenderer]
    content_negotiation_class = AnyFormatNegotiation

    @extend_schema(
        operation_id="reports_download",
        summary="Download a report file",
        description=(
            "The PDF (with charts), the XLSX (numbers as number cells) or the CSV (UTF-8 "
            "with a BOM), exactly as filed in the evidence log: `Repr-Digest` carries the "
            "SHA-256 the evidence record holds. 409 while the report is being made."
        ),
        parameters=[
            OpenApiParameter(
                "format", str, OpenApiParameter.QUERY, enum=["pdf", "xlsx", "csv"], default="pdf"
            )
        ],
        responses={
            (200, media): OpenApiResponse(response=OpenApiTypes.BINARY, description=label)
            for media, label in (
                ("application/pdf", "The report as PDF"),
                (MEDIA_TYPES["xlsx"], "The report as an Excel workbook"),
                ("text/csv", "The report as CSV"),
            )
        }
        | problems(400, 403, 409),
    )
    def get(self, request, pk: int):
        fmt = request.query_params.get("format", "pdf")
        if fmt not in MEDIA_TYPES:
            raise ValidationError({"format": ["One of pdf, xlsx, csv."]})
        report = reports_visible_to(actor_of(request)).filter(pk=pk).first()
        if report is None:
            raise NotFound("No such report.")
        record = getattr(report, f"{fmt}_record")
        if report.state != Report.State.DONE or record is None:
            raise ReportNotReady(state=report.state, progress=report.progress)
        data = evidence_content(record)
        if data is None:
            raise EvidenceUnavailable()
        response = HttpResponse(data, content_type=MEDIA_TYPES[fmt])
        response["Content-Disposition"] = f'attachment; filename="{record.file_name}"'
        response["Content-Length"] = str(len(data))
        response["X-Content-Type-Options"] = "nosniff"
        digest = base64.b64encode(bytes.fromhex(record.sha256)).decode()
        response["Repr-Digest"] = f"sha-256=:{digest}:"
        return response


class DisclosureView(APIView):
    """`GET /api/v1/disclosure/`: public, no login."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(
        operation_id="disclosure_list",
        summary="Public list of the worst handlers (公示名单)",
        description=(
            "Platforms and merchants whose credit score is below the threshold, with the "
            "parts of the score, the figures behind them and the formula; and the consumer "
            "warnings (消费警示) staff published. No personal data of any consumer."
        ),
        responses=DisclosureSerializer,
    )
    def get(self, request):
        data = disclosure_list()
        data["warnings"] = ConsumerWarning.objects.select_related("platform")[:50]
        return Response(DisclosureSerializer(data).data)


class WarningListView(APIView):
    """`GET, POST /api/v1/disclosure/warnings/`: read by anyone, published by staff."""

    def get_permissions(self):
        if self.request.method == "GET":
            return [permissions.AllowAny()]
        return super().get_permissions()

    @extend_schema(
        operation_id="disclosure_warnings_list",
        summary="Consumer warnings (消费警示)",
        responses=WarningSerializer(many=True),
    )
    def get(self, request):
        warnings = ConsumerWarning.objects.select_related("platform")[:200]
        return Response(WarningSerializer(warnings, many=True).data)

    @extend_schema(
        operation_id="disclosure_warnings_create",
        summary="Publish a consumer warning",
        description="Staff only; phone numbers, ID numbers and e-mail addresses are masked.",
        request=WarningCreateSerializer,
        responses={201: WarningSerializer, **problems(403, 422)},
    )
    def post(self, request):
        body = WarningCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        warning = warning_publish(actor=actor_of(request), **body.validated_data)
        return Response(WarningSerializer(warning).data, status=status.HTTP_201_CREATED)
