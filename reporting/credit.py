"""Credit scores of platforms and merchants, and the public disclosure list (信用评价、公示).

Computed from the statistics counters (two queries), over the complaints filed in a
trailing window. The formula is published with the list (`FORMULA`), and every
figure behind a score is shown with it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from statistics import median

from django.conf import settings
from django.db.models import Sum
from django.utils import timezone

from complaints.choices import Outcome
from complaints.models import Platform
from complaints.privacy import mask_text
from reporting.counters import shanghai_date, statistics_fold_all
from reporting.models import Grain, StatCounter
from reporting.selectors import yuan

WEIGHTS = {"timeliness": 0.25, "resolution": 0.30, "recovery": 0.15, "satisfaction": 0.15,
           "volume": 0.15}  # fmt: skip
DEFAULTS = {"DISCLOSURE_THRESHOLD": 60.0, "DISCLOSURE_MIN_COMPLAINTS": 5,
            "DISCLOSURE_WINDOW_DAYS": 365}  # fmt: skip
METRICS = ("filed", "respond", "outcome", "compensated", "recovered", "rating")

FORMULA = (
    "score = 100 × (0.25·T + 0.30·R + 0.15·C + 0.15·S + 0.15·V), each part from 0 to 1, "
    "over the complaints filed in the window. "
    "T (timeliness) = answered within the deadline ÷ (answered + escalated unanswered); "
    "R (resolution) = closed as resolved or compensated ÷ all closed; "
    "C (recovery) = amount recovered from merchants ÷ advance compensation paid; "
    "S (satisfaction) = (average consumer rating − 1) ÷ 4; "
    "V (volume relative to size) = min(1, median complaints of the same kind ÷ own complaints), "
    "among those with at least the minimum number of complaints. "
    "A part with nothing to measure counts as 1 (S as 0.5). "
    "Listed: at least the minimum number of complaints and a score below the threshold."
)


def setting(name: str):
    return settings.WEIQUAN.get(name, DEFAULTS[name])


@dataclass
class Tally:
    """The counts behind one entity's score."""

    kind: str
    platform_id: int
    name: str
    cells: dict[tuple[str, str], list[int]] = field(
        default_factory=lambda: defaultdict(lambda: [0, 0])
    )

    def n(self, metric: str, bucket: str = "") -> int:
        return self.cells[(metric, bucket)][0] if (metric, bucket) in self.cells else 0

    def fen(self, metric: str) -> int:
        return self.cells[(metric, "")][1] if (metric, "") in self.cells else 0

    @property
    def complaints(self) -> int:
        return self.n("filed")

    def figures(self) -> dict:
        ratings = {s: self.n("rating", str(s)) for s in range(1, 6)}
        rated = sum(ratings.values())
        return {
            "complaints": self.complaints,
            "answered_in_time": self.n("respond", "in_time"),
            "answered_late_or_escalated": self.n("respond", "late"),
            "closed": sum(self.n("outcome", o) for o in Outcome.values),
            "resolved_or_compensated": self.n("outcome", Outcome.RESOLVED)
            + self.n("outcome", Outcome.COMPENSATED),
            "amount_compensated": str(yuan(self.fen("compensated"))),
            "amount_recovered": str(yuan(self.fen("recovered"))),
            "ratings": rated,
            "rating_average": round(sum(s * c for s, c in ratings.items()) / rated, 2)
            if rated
            else None,
        }


def _part(numerator: float, denominator: float, empty: float = 1.0) -> float:
    return min(numerator / denominator, 1.0) if denominator else empty


def components(tally: Tally, typical: float) -> dict[str, float]:
    f = tally.figures()
    answered = f["answered_in_time"] + f["answered_late_or_escalated"]
    average = f["rating_average"]
    return {
        "timeliness": round(_part(f["answered_in_time"], answered), 4),
        "resolution": round(_part(f["resolved_or_compensated"], f["closed"]), 4),
        "recovery": round(_part(tally.fen("recovered"), tally.fen("compensated")), 4),
        "satisfaction": round((average - 1) / 4, 4) if average is not None else 0.5,
        "volume": round(_part(typical, tally.complaints), 4),
    }


def score_of(parts: dict[str, float]) -> float:
    return round(100 * sum(WEIGHTS[k] * v for k, v in parts.items()), 1)


def _tallies(start: date, end: date) -> list[Tally]:
    statistics_fold_all()
    names = dict(Platform.objects.values_list("pk", "name"))
    tallies: dict[tuple, Tally] = {}
    window = StatCounter.objects.filter(day__gte=start, day__lte=end, metric__in=METRICS)
    for grain, kind, fields in (
        (Grain.CUBE, "platform", ("platform_id",)),
        (Grain.MERCHANT, "merchant", ("platform_id", "merchant")),
    ):
        rows = (
            window.filter(grain=grain)
            .values(*fields, "metric", "bucket")
            .annotate(n=Sum("n"), fen=Sum("fen"))
            .order_by()
        )
        for row in rows:
            key = (kind, *(row[f] for f in fields))
            if key not in tallies:
                name = row["merchant"] if kind == "merchant" else names.get(row["platform_id"], "")
                tallies[key] = Tally(kind=kind, platform_id=row["platform_id"], name=name)
            cell = tallies[key].cells[(row["metric"], row["bucket"])]
            cell[0] += row["n"] or 0
            cell[1] += row["fen"] or 0
    return list(tallies.values())


def credit_scores(*, today: date | None = None) -> dict:
    """Every platform's and merchant's score in the window; those disclosed first."""
    end = today or shanghai_date(timezone.now())
    start = end - timedelta(days=int(setting("DISCLOSURE_WINDOW_DAYS")) - 1)
    minimum = int(setting("DISCLOSURE_MIN_COMPLAINTS"))
    threshold = float(setting("DISCLOSURE_THRESHOLD"))
    codes = dict(Platform.objects.values_list("pk", "code"))
    tallies = _tallies(start, end)
    typical = {
        kind: median([t.complaints for t in tallies if t.kind == kind and t.complaints >= minimum]
                     or [minimum])
        for kind in ("platform", "merchant")
    }  # fmt: skip
    entities = []
    for tally in tallies:
        parts = components(tally, typical[tally.kind])
        entities.append(
            {
                "kind": tally.kind,
                "platform": codes.get(tally.platform_id, ""),
                "name": mask_text(tally.name),
                "score": score_of(parts),
                "complaints": tally.complaints,
                "components": parts,
                "figures": tally.figures(),
                "listed": tally.complaints >= minimum and score_of(parts) < threshold,
            }
        )
    entities.sort(key=lambda e: (e["score"], e["kind"], e["platform"], e["name"]))
    return {
        "formula": FORMULA,
        "threshold": threshold,
        "min_complaints": minimum,
        "window_from": start,
        "window_to": end,
        "entities": entities,
    }


def disclosure_list(*, today: date | None = None) -> dict:
    """The public list: only the entities below the threshold (公示名单)."""
    scores = credit_scores(today=today)
    scores["entities"] = [e for e in scores["entities"] if e.pop("listed")]
    return scores
