"""Statistics for staff and regulators, the consumer's rating, reports and disclosure."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from api.authentication import actor_of
from api.schema import problems
from api.serializers_reporting import (
    RatingCreateSerializer,
    RatingSerializer,
    SummaryQuerySerializer,
    SummarySerializer,
    TimeseriesQuerySerializer,
    TimeseriesSerializer,
)
from complaints.exceptions import DomainValidationError, NotFound
from complaints.models import Platform
from complaints.selectors import complaints_visible_to
from reporting.counters import shanghai_date
from reporting.selectors import (
    StatsFilter,
    statistics_region_for,
    statistics_summary,
    statistics_timeseries,
)
from reporting.services import rating_record

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
