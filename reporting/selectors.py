"""Reads of the statistics: only the summary tables, never the complaints table.

Every figure is for the complaints filed in the period (by their Beijing filing day),
as they stand now. The summary reads the bounded rollups (`StatRollup`): each of its
queries reads the rows of its own filter only, (months x figures) or (months x
values), whatever the number of complaints. A period that does not start on the 1st
or end on the last day of a month, and a city or county, are summed from the
day-level cube (`StatCounter`) instead, which grows with the complaints; so does the
time series by day. Each read first folds the statistics journal (reporting.counters),
so it counts every event committed before it (except those another fold is adding
at that very moment).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Case, OuterRef, Q, QuerySet, Subquery, Sum, When
from django.db.models.functions import Substr

from complaints.actors import Actor
from complaints.choices import Category, IssueType, Outcome, Role, Status
from complaints.models import Platform
from complaints.privacy import mask_text
from complaints.selectors import region_name
from reporting.counters import ALL_TIME, EVERY_PLATFORM, statistics_fold_all
from reporting.exceptions import OutsideRegion, StatisticsForbidden
from reporting.models import Grain, Report, StatCounter, StatRollup

# The region prefix length to group by under a filter of each length: the next level.
REGION_LEVELS = {0: (2, "province"), 2: (4, "city"), 4: (6, "county"), 6: (6, "county")}
RESOLVED_OUTCOMES = (Outcome.RESOLVED, Outcome.COMPENSATED)


@dataclass(frozen=True)
class StatsFilter:
    """What a statistics request covers; `region` is a GB/T 2260 prefix ("" = all)."""

    start: date | None = None
    end: date | None = None
    platform_id: int | None = None
    region: str = ""
    category: str = ""


def statistics_region_for(actor: Actor, region: str | None) -> str:
    """The region prefix `actor` may see for a requested `region` filter.

    Staff: any (none = the whole country). A regulator: its own prefix, or a region
    inside it; anything else is refused, never silently narrowed or widened.
    """
    user = actor.user
    if actor.is_staff_member:
        return region or ""
    if actor.role == Role.REGULATOR and user is not None and user.is_active:
        prefix = user.region_prefix
        if not region:
            return prefix
        if not region.startswith(prefix):
            raise OutsideRegion(region=region, region_prefix=prefix)
        return region
    raise StatisticsForbidden(role=actor.role)


def _cells(f: StatsFilter, grain: str = Grain.CUBE) -> QuerySet[StatCounter]:
    qs = StatCounter.objects.filter(grain=grain)
    if f.start:
        qs = qs.filter(day__gte=f.start)
    if f.end:
        qs = qs.filter(day__lte=f.end)
    if f.region:
        qs = qs.filter(region__startswith=f.region)
    if f.platform_id:
        qs = qs.filter(platform_id=f.platform_id)
    if f.category:
        qs = qs.filter(category=f.category)
    return qs


def yuan(fen: int | None) -> Decimal:
    return (Decimal(fen or 0) / 100).quantize(Decimal("0.01"))


def rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def histogram_median(histogram: dict[int, int]) -> float | None:
    """The exact median of whole-day values from their counts (mean of the middle two)."""
    total = sum(histogram.values())
    if not total:
        return None
    wanted = [(total + 1) // 2, total // 2 + 1]  # 1-based ranks of the middle value(s)
    found: list[int] = []
    seen = 0
    for value in sorted(histogram):
        seen += histogram[value]
        while len(found) < 2 and seen >= wanted[len(found)]:
            found.append(value)
    middle = found[0] if total % 2 else (found[0] + found[1]) / 2
    return float(middle)


def _by(qs: QuerySet, *fields: str) -> list[dict]:
    return list(
        qs.filter(metric="filed")
        .values(*fields)
        .annotate(count=Sum("n"), fen=Sum("fen"))
        .order_by("-count", *fields)
    )


def whole_months(f: StatsFilter) -> bool:
    """Whether the rollups answer the filter: a period of whole months (or open) and
    the whole country or one province. A city or county is summed from the cube."""
    return (
        len(f.region) <= 2
        and (f.start is None or f.start.day == 1)
        and (f.end is None or (f.end + timedelta(days=1)).day == 1)
    )


BREAKDOWNS = ("platform", "category", "issue_type", "region")


def _summary_rows(f: StatsFilter, top: int) -> dict:
    """The summary's raw rows from the rollups in 2 queries, each of bounded size: the
    figures and every breakdown but the merchants' in one, the top merchants."""
    rollups = StatRollup.objects.filter(
        region=f.region, platform_id=f.platform_id or EVERY_PLATFORM, category=f.category
    )
    in_period = Q(month__gt=ALL_TIME)
    if f.start:
        in_period &= Q(month__gte=f.start)
    if f.end:
        in_period &= Q(month__lte=f.end.replace(day=1))
    name = Platform.objects.filter(code=OuterRef("value")).values("name")[:1]
    rows = (
        rollups.filter(in_period, dimension__in=("", *BREAKDOWNS))
        .values("dimension", "value", "metric", "bucket")
        .annotate(
            n=Sum("n"),
            fen=Sum("fen"),
            name=Case(When(dimension="platform", then=Subquery(name))),
        )
        .order_by()
    )
    figures: list[dict] = []
    by: dict[str, list[dict]] = {dimension: [] for dimension in BREAKDOWNS}
    for row in rows:
        if row["dimension"]:
            by[row["dimension"]].append({**row, "count": row["n"]})
        else:
            figures.append(row)
    for values in by.values():
        values.sort(key=lambda r: (-r["count"], r["value"]))
    merchants = rollups.filter(
        Q(month=ALL_TIME) if f.start is None and f.end is None else in_period,
        dimension="merchant",
    )
    return {
        "figures": figures,
        "platforms": [
            {"platform__code": r["value"], "platform__name": r["name"] or "", **r}
            for r in by["platform"]
        ],
        "merchants": [
            {
                "platform__code": r["value"].partition(":")[0],
                "merchant": r["value"].partition(":")[2],
                "count": r["count"],
            }
            for r in merchants.values("value")
            .annotate(count=Sum("n"))
            .order_by("-count", "value")[:top]
        ],  # fmt: skip
        "categories": [{"category": r["value"], **r} for r in by["category"]],
        "issue_types": [{"issue_type": r["value"], **r} for r in by["issue_type"]],
        "regions": [{"prefix": r["value"], **r} for r in by["region"]],
    }


def _summary_rows_from_cells(f: StatsFilter, top: int) -> dict:
    """The same rows summed from the day-level cube, for a period of partial months."""
    cube = _cells(f)
    length, _level = REGION_LEVELS[len(f.region)]
    return {
        "figures": list(
            cube.values("metric", "bucket").annotate(n=Sum("n"), fen=Sum("fen")).order_by()
        ),
        "platforms": _by(cube, "platform__code", "platform__name"),
        "merchants": _by(_cells(f, Grain.MERCHANT), "platform__code", "merchant")[:top],
        "categories": _by(cube, "category"),
        "issue_types": _by(cube, "issue_type"),
        "regions": _by(cube.annotate(prefix=Substr("region", 1, length)), "prefix"),
    }


def statistics_summary(f: StatsFilter, *, top: int = 10) -> dict:
    """Every figure of `GET /api/v1/stats/summary/` for the filter (2 queries, after
    folding what the journal holds: one more when it is empty)."""
    statistics_fold_all()
    rows = _summary_rows(f, top) if whole_months(f) else _summary_rows_from_cells(f, top)
    figures: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for row in rows["figures"]:
        figures[row["metric"]][row["bucket"]] = [row["n"] or 0, row["fen"] or 0]

    def n(metric: str, bucket: str = "") -> int:
        return figures[metric][bucket][0] if bucket in figures[metric] else 0

    def fen(metric: str, bucket: str = "") -> int:
        return figures[metric][bucket][1] if bucket in figures[metric] else 0

    def days(metric: str) -> dict[int, int]:
        return {int(bucket): count for bucket, (count, _f) in figures[metric].items() if count}

    ratings = {score: n("rating", str(score)) for score in range(1, 6)}
    rated = sum(ratings.values())
    closed_with_outcome = sum(n("outcome", o) for o in Outcome.values)
    resolved = sum(n("outcome", o) for o in RESOLVED_OUTCOMES)
    _length, level = REGION_LEVELS[len(f.region)]
    return {
        "total": n("filed"),
        "by_status": {s: n("status", s) for s in Status.values},
        "by_outcome": {o: n("outcome", o) for o in Outcome.values},
        "by_platform": [
            {
                "platform": row["platform__code"],
                "name": row["platform__name"],
                "count": row["count"],
                "amount_claimed": yuan(row["fen"]),
            }
            for row in rows["platforms"]
        ],
        "by_merchant": [
            {
                "platform": row["platform__code"],
                "merchant": mask_text(row["merchant"]),
                "count": row["count"],
            }
            for row in rows["merchants"]
        ],
        "by_category": [
            {
                "category": row["category"],
                "label": str(Category(row["category"]).label),
                "count": row["count"],
            }
            for row in rows["categories"]
            if row["category"] in Category.values
        ],  # fmt: skip
        "by_issue_type": [
            {
                "issue_type": row["issue_type"],
                "label": str(IssueType(row["issue_type"]).label),
                "count": row["count"],
            }
            for row in rows["issue_types"]
            if row["issue_type"] in IssueType.values
        ],  # fmt: skip
        "region_level": level,
        "by_region": [
            {"region": row["prefix"], "name": region_name(row["prefix"]), "count": row["count"]}
            for row in rows["regions"]
        ],
        "amount_claimed": yuan(fen("filed")),
        "amount_compensated": yuan(fen("compensated")),
        "amount_recovered": yuan(fen("recovered")),
        "compensated_count": n("compensated"),
        "recovered_count": n("recovered"),
        "responded_count": n("respond", "in_time") + n("respond", "late"),
        "response_within_deadline_rate": rate(
            n("respond", "in_time"), n("respond", "in_time") + n("respond", "late")
        ),
        "median_days_to_respond": histogram_median(days("respond_days")),
        "median_days_to_close": histogram_median(days("close_days")),
        "resolution_rate": rate(resolved, closed_with_outcome),
        "mediation_success_rate": rate(
            n("mediation", "success"), n("mediation", "success") + n("mediation", "failure")
        ),
        "satisfaction": {
            "count": rated,
            "average": (
                round(sum(s * c for s, c in ratings.items()) / rated, 2) if rated else None
            ),
            "distribution": {str(s): c for s, c in ratings.items()},
        },
    }


TIMESERIES_METRICS = {
    # metric: (counter metric, bucket or None for all buckets)
    "filed": ("filed", ""),
    "closed": ("status", Status.CLOSED),
    "compensated": ("compensated", ""),
    "recovered": ("recovered", ""),
}


def period_start(day: date, interval: str) -> date:
    if interval == "week":  # ISO weeks, Monday first
        return day - timedelta(days=day.weekday())
    if interval == "month":
        return day.replace(day=1)
    return day


def next_period(start: date, interval: str) -> date:
    if interval == "week":
        return start + timedelta(days=7)
    if interval == "month":
        return (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    return start + timedelta(days=1)


def statistics_timeseries(f: StatsFilter, *, interval: str, metric: str) -> list[dict]:
    """One point per day, week or month from `f.start` to `f.end`, zeros included (1 query)."""
    if f.start is None or f.end is None:
        raise ValueError("A time series needs both ends of its period.")
    statistics_fold_all()
    counter, bucket = TIMESERIES_METRICS[metric]
    rows = (
        _cells(f)
        .filter(metric=counter, bucket=bucket)
        .values("day")
        .annotate(n=Sum("n"), fen=Sum("fen"))
        .order_by("day")
    )
    totals: dict[date, list[int]] = defaultdict(lambda: [0, 0])
    for row in rows:
        cell = totals[period_start(row["day"], interval)]
        cell[0] += row["n"] or 0
        cell[1] += row["fen"] or 0
    points = []
    start = period_start(f.start, interval)
    while start <= f.end:
        count, fen = totals.get(start, (0, 0))
        points.append({"start": start, "count": count, "amount": yuan(fen)})
        start = next_period(start, interval)
    return points


def reports_visible_to(actor: Actor) -> QuerySet[Report]:
    """Staff: every report; a regulator: those of its region or a part of it."""
    qs = Report.objects.select_related("pdf_record", "xlsx_record", "csv_record")
    if actor.is_staff_member:
        return qs
    user = actor.user
    if actor.role == Role.REGULATOR and user is not None and user.is_active:
        return qs.filter(region_prefix__startswith=user.region_prefix)
    raise StatisticsForbidden(role=actor.role)
