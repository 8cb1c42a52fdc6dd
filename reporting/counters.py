"""What each complaint event adds to the statistics, and writing it (counter upserts).

One function, `event_deltas`, turns an event into counter increments; the receiver
(each event as it happens) and `rebuild_statistics` (every event again) both use it,
so the two cannot disagree about what an event means.

Metrics (`metric`, `bucket`), all counted in the cells of the complaint's filing day:

| metric | bucket | n | fen | grains |
| --- | --- | --- | --- | --- |
| filed | "" | 1 | amount claimed | cube, merchant |
| status | the current status | +1 / -1 as it moves | - | cube |
| outcome | the outcome when closed | 1 | - | cube, merchant |
| respond | in_time / late (answered late, or escalated unanswered) | 1 | - | cube, merchant |
| respond_days | days from acceptance to the answer | 1 | - | cube |
| close_days | days from filing to `closed` | 1 | - | cube |
| mediation | success (agreement, or advance compensation decided) / failure | 1 | - | cube |
| compensated | "" | 1 | advance compensation paid | cube, merchant |
| recovered | "" | 1 | amount recovered from the merchant | cube, merchant |
| rating | the score, 1 to 5 | 1 | - | cube, merchant |

Days are whole calendar days between Asia/Shanghai dates, so the stored histograms
give exact medians at day resolution.

An event's increments are first appended to the journal (`StatJournal`, one row per
event, in the event's transaction: `journal_add`); `statistics_fold` moves a batch of
journal rows into the counters (`StatCounter`, the day-level cube) and the bounded
rollups (`StatRollup`, `rollup_deltas`) in one transaction. The summary reads the
rollups, the cube serves the day-level time series and periods that do not start and
end on month boundaries; both fold what is pending first.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from django.db import connection, transaction

from complaints.choices import Status
from complaints.models import Complaint, Platform, User
from complaints.privacy import mask_text
from reporting.models import (
    COUNTER_KEY,
    ROLLUP_KEY,
    Grain,
    StatCounter,
    StatJournal,
    StatRollup,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")

# (grain, day, region, platform_id, category, issue_type, merchant, metric, bucket)
CellKey = tuple[str, date, str, int, str, str, str, str, str]
# As columns: the platform is its id.
KEY_COLUMNS = tuple(StatCounter._meta.get_field(name).attname for name in COUNTER_KEY)
MERCHANT_METRICS = frozenset({"filed", "outcome", "respond", "compensated", "recovered", "rating"})
MEDIATION_SUCCESS = {"sign_agreement"}
MEDIATION_FAILURE = {"fail_mediation", "refer"}


def shanghai_date(moment: datetime) -> date:
    """The calendar day of `moment` in Beijing time, whatever TIME_ZONE says."""
    return moment.astimezone(SHANGHAI).date()


def to_fen(amount: object) -> int:
    """Yuan (a Decimal or its string) as whole fen; anything unreadable counts as 0."""
    try:
        return int((Decimal(str(amount)) * 100).to_integral_value())
    except (InvalidOperation, ValueError, TypeError):
        return 0


def merchant_label(name: str, consumer: User) -> str:
    """The merchant's name as the consumer typed it, without the consumer's own name,
    user name, phone or e-mail in it, nor any phone, ID number or e-mail address: the
    merchant dimension is shown to regulators and the public (PIPL art. 6)."""
    text = name
    for value, mask in (  # the longest first: an e-mail address holds the user name
        (consumer.email, "[邮箱]"),
        (consumer.phone, "[手机号]"),
        (consumer.display_name, "[姓名]"),
        (consumer.username, "[用户名]"),
    ):
        if value and len(value.strip()) >= 2:
            text = text.replace(value.strip(), mask)
    return mask_text(text)[:200]


@dataclass(frozen=True)
class ComplaintFacts:
    """What the counters need to know about a complaint: its dimensions and clocks."""

    day: date
    region: str
    platform_id: int
    category: str
    issue_type: str
    merchant: str
    amount_claimed_fen: int
    filed_at: datetime
    accepted_at: datetime | None
    # Set once the complaint is closed, which is final: the same for the receiver and
    # for a rebuild.
    outcome: str

    @classmethod
    def of(cls, complaint: Complaint) -> ComplaintFacts:
        return cls(
            day=shanghai_date(complaint.filed_at),
            region=complaint.region,
            platform_id=complaint.platform_id,
            category=complaint.category,
            issue_type=complaint.issue_type,
            merchant=merchant_label(complaint.merchant_name, complaint.consumer),
            amount_claimed_fen=to_fen(complaint.amount_claimed),
            filed_at=complaint.filed_at,
            accepted_at=complaint.accepted_at,
            outcome=complaint.outcome,
        )

    def key(self, grain: str, metric: str, bucket: str = "") -> CellKey:
        if grain == Grain.CUBE:
            return (grain, self.day, self.region, self.platform_id, self.category,
                    self.issue_type, "", metric, bucket)  # fmt: skip
        return (grain, self.day, self.region, self.platform_id, self.category,
                "", self.merchant, metric, bucket)  # fmt: skip


def _days(start: datetime | None, end: datetime) -> int | None:
    if start is None:
        return None
    return max((shanghai_date(end) - shanghai_date(start)).days, 0)


def _figures(
    facts: ComplaintFacts, *, name: str, from_status: str, to_status: str, payload: dict,
    at: datetime,
) -> list[tuple[str, str, int, int]]:  # fmt: skip
    """(metric, bucket, n, fen) for one event."""
    out: list[tuple[str, str, int, int]] = []
    if name == "filed":
        out.append(("filed", "", 1, facts.amount_claimed_fen))
    if from_status != to_status:
        if from_status:
            out.append(("status", from_status, -1, 0))
        if to_status:
            out.append(("status", to_status, 1, 0))
        if to_status == Status.CLOSED:
            if facts.outcome:
                out.append(("outcome", facts.outcome, 1, 0))
            days = _days(facts.filed_at, at)
            out.append(("close_days", str(days), 1, 0))
    if name == "respond":
        out.append(("respond", "late" if payload.get("late") else "in_time", 1, 0))
        days = _days(facts.accepted_at, at)
        if days is not None:
            out.append(("respond_days", str(days), 1, 0))
    elif name == "escalate":
        out.append(("respond", "late", 1, 0))
    if name in MEDIATION_SUCCESS or (
        name == "start_compensation" and from_status == Status.MEDIATING
    ):
        out.append(("mediation", "success", 1, 0))
    elif name in MEDIATION_FAILURE:
        out.append(("mediation", "failure", 1, 0))
    if name == "pay_compensation":
        out.append(("compensated", "", 1, to_fen(payload.get("amount"))))
    elif name == "recovery_recovered":
        out.append(("recovered", "", 1, to_fen(payload.get("amount"))))
    elif name == "rated":
        out.append(("rating", str(payload.get("score")), 1, 0))
    return out


def event_deltas(
    facts: ComplaintFacts, *, name: str, from_status: str, to_status: str, payload: dict,
    at: datetime,
) -> dict[CellKey, list[int]]:  # fmt: skip
    """The counter increments of one event, cell by cell: {key: [n, fen]}."""
    deltas: dict[CellKey, list[int]] = defaultdict(lambda: [0, 0])
    figures = _figures(
        facts, name=name, from_status=from_status, to_status=to_status, payload=payload, at=at
    )
    for metric, bucket, n, fen in figures:
        grains = (Grain.CUBE, Grain.MERCHANT) if metric in MERCHANT_METRICS else (Grain.CUBE,)
        for grain in grains:
            cell = deltas[facts.key(grain, metric, bucket)]
            cell[0] += n
            cell[1] += fen
    return {k: v for k, v in deltas.items() if v != [0, 0]}


# (dimension, region, platform_id, category, month, value, metric, bucket)
RollupKey = tuple[str, str, int, str, date, str, str, str]
ROLLUP_COLUMNS = ROLLUP_KEY
# The "month" of the merchants' all-time totals.
ALL_TIME = date(1, 1, 1)
EVERY_PLATFORM = 0


def rollup_deltas(
    deltas: Mapping[CellKey, list[int]], codes: Mapping[int, str]
) -> dict[RollupKey, list[int]]:
    """The rollup increments of counter increments (`codes`: platform id to code).

    Linear: the rollups of a sum of deltas are the sum of their rollups, so the
    receiver (one event at a time) and the rebuild (all events at once) agree.
    Each cell is added under the 8 filters it matches: region "" / its province,
    platform all / its own, category all / its own (a city or county filter reads the
    cube: a small part of it). Figures keep their
    (metric, bucket); the breakdowns count `filed` by platform, category, issue type,
    the region one level below the filter's, and merchant.
    """
    out: dict[RollupKey, list[int]] = defaultdict(lambda: [0, 0])

    def add(key: RollupKey, n: int, fen: int) -> None:
        cell = out[key]
        cell[0] += n
        cell[1] += fen

    for key, (n, fen) in deltas.items():
        grain, day, region, platform_id, category, issue_type, merchant, metric, bucket = key
        if grain == Grain.MERCHANT and metric != "filed":
            continue  # the merchants' other figures serve the credit scores (the cube)
        month = day.replace(day=1)
        for r in ("", region[:2]):
            child = region[: len(r) + 2]
            for p in (EVERY_PLATFORM, platform_id):
                for c in ("", category):
                    if grain == Grain.MERCHANT:
                        value = f"{codes[platform_id]}:{merchant}"
                        add(("merchant", r, p, c, month, value, metric, ""), n, fen)
                        add(("merchant", r, p, c, ALL_TIME, value, metric, ""), n, fen)
                        continue
                    add(("", r, p, c, month, "", metric, bucket), n, fen)
                    if metric != "filed":
                        continue
                    add(("platform", r, p, c, month, codes[platform_id], metric, ""), n, fen)
                    add(("category", r, p, c, month, category, metric, ""), n, fen)
                    add(("issue_type", r, p, c, month, issue_type, metric, ""), n, fen)
                    add(("region", r, p, c, month, child, metric, ""), n, fen)
    return {k: v for k, v in out.items() if v != [0, 0]}


def platform_codes(deltas: Mapping[CellKey, list[int]]) -> dict[int, str]:
    ids = {key[3] for key in deltas}
    return dict(Platform.objects.filter(pk__in=ids).values_list("pk", "code"))


def _upsert(model, key_columns: tuple[str, ...], deltas: Mapping[tuple, list[int]]) -> None:
    """Add `deltas` to `model`'s rows in one INSERT ... ON CONFLICT DO UPDATE."""
    if not deltas:
        return
    table = model._meta.db_table
    q = connection.ops.quote_name
    columns = [*key_columns, "n", "fen"]
    row = "(" + ", ".join(["%s"] * len(columns)) + ")"
    params: list[object] = []
    for key in sorted(deltas):
        params.extend([*key, *deltas[key]])
    sql = (
        f"INSERT INTO {q(table)} ({', '.join(q(c) for c in columns)}) "  # noqa: S608
        f"VALUES {', '.join([row] * len(deltas))} "
        f"ON CONFLICT ({', '.join(q(c) for c in key_columns)}) DO UPDATE SET "
        f"{q('n')} = {q(table)}.{q('n')} + excluded.{q('n')}, "
        f"{q('fen')} = {q(table)}.{q('fen')} + excluded.{q('fen')}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def counters_add(
    deltas: Mapping[CellKey, list[int]], codes: Mapping[int, str] | None = None
) -> None:
    """Add `deltas` to the counters and their rollups (two upsert statements).

    Safe under concurrency on PostgreSQL: the upsert takes the row lock, so two
    transactions adding to one cell serialise on it and neither increment is lost.
    Rows go in key order, and the counters always before the rollups, so two folds
    touching the same cells lock them in the same order and cannot deadlock each
    other. Only `statistics_fold` and tests call it: the rollups' coarse rows (a month
    of the whole country) are shared by every event of the month, and writing them
    in each event's transaction made every filing wait for the one before it.
    `codes` (platform id to code) saves a query when the caller has the platform.
    """
    if not deltas:
        return
    _upsert(StatCounter, KEY_COLUMNS, deltas)
    _upsert(StatRollup, ROLLUP_COLUMNS, rollup_deltas(deltas, codes or platform_codes(deltas)))


def journal_add(deltas: list[Mapping[CellKey, list[int]]]) -> None:
    """Append events' increments to the journal: one INSERT of one row holding their
    sum (one event's, or a batch's: complaints.batching), no shared row."""
    total: dict[CellKey, list[int]] = defaultdict(lambda: [0, 0])
    for event_deltas_ in deltas:
        for key, (n, fen) in event_deltas_.items():
            total[key][0] += n
            total[key][1] += fen
    cells = [[key[0], key[1].isoformat(), *key[2:], n, fen]
             for key, (n, fen) in sorted(total.items()) if n or fen]  # fmt: skip
    if cells:
        StatJournal.objects.create(cells=cells)


FOLD_BATCH = 5000


def statistics_fold(limit: int = FOLD_BATCH) -> int:
    """Add up to `limit` pending journal rows to the counters; how many were added.

    The rows are deleted in the transaction that adds them, so each is added exactly
    once: a crash rolls back both, and two folds at once take different rows (SKIP
    LOCKED on PostgreSQL; SQLite has one writer at a time). Their increments are
    summed first, so a batch writes each counter and rollup row once.
    """
    with transaction.atomic():
        rows = list(
            StatJournal.objects.select_for_update(skip_locked=True)
            .order_by("id")
            .values_list("id", "cells")[:limit]
        )
        if not rows:
            return 0
        StatJournal.objects.filter(id__in=[pk for pk, _ in rows]).delete()
        total: dict[CellKey, list[int]] = defaultdict(lambda: [0, 0])
        for _, cells in rows:
            for *key, n, fen in cells:
                cell = total[(key[0], date.fromisoformat(key[1]), *key[2:])]
                cell[0] += n
                cell[1] += fen
        counters_add({key: value for key, value in total.items() if value != [0, 0]})
    return len(rows)


def statistics_fold_all() -> int:
    """Fold until nothing is pending (what a reader or the beat task calls)."""
    folded = 0
    while batch := statistics_fold():
        folded += batch
    return folded
