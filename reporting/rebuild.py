"""Recomputing the statistics from the complaints and their events, from scratch."""

from __future__ import annotations

from collections import defaultdict

from django.db import connection, transaction

from complaints.models import Complaint, ComplaintEvent, Platform
from reporting.counters import (
    KEY_COLUMNS,
    ROLLUP_COLUMNS,
    CellKey,
    ComplaintFacts,
    RollupKey,
    event_deltas,
    rollup_deltas,
    statistics_fold_all,
)
from reporting.models import StatCounter, StatJournal, StatRollup

BATCH = 2000


def counters_snapshot() -> dict[CellKey, tuple[int, int]]:
    """Every non-zero counter cell as {key: (n, fen)}, the journal folded first: what
    rebuilt and kept must share."""
    statistics_fold_all()
    rows = StatCounter.objects.exclude(n=0, fen=0).values_list(*KEY_COLUMNS, "n", "fen")
    return {tuple(row[:-2]): (row[-2], row[-1]) for row in rows}


def rollups_snapshot() -> dict[RollupKey, tuple[int, int]]:
    """Every non-zero rollup row as {key: (n, fen)}, the journal folded first."""
    statistics_fold_all()
    rows = StatRollup.objects.exclude(n=0, fen=0).values_list(*ROLLUP_COLUMNS, "n", "fen")
    return {tuple(row[:-2]): (row[-2], row[-1]) for row in rows}


@transaction.atomic
def statistics_rebuild() -> int:
    """Replace every counter and rollup with ones recomputed from all complaint events;
    the counter cell count.

    On PostgreSQL the journal is locked first (EXCLUSIVE: reads go on, writes wait
    for this to commit), so every event committed before the lock is read here and
    its journal row dropped, and an event committed after it journals its increments
    after this commits; then the counters and rollups, in the order a fold writes
    them.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for model in (StatJournal, StatCounter, StatRollup):
                cursor.execute(f"LOCK TABLE {model._meta.db_table} IN EXCLUSIVE MODE")
    totals: dict[CellKey, list[int]] = defaultdict(lambda: [0, 0])
    complaints = (
        Complaint.objects.select_related("consumer")
        .only(
            "filed_at", "region", "platform_id", "category", "issue_type", "merchant_name",
            "amount_claimed", "accepted_at", "outcome", "consumer__display_name",
            "consumer__username", "consumer__phone", "consumer__email",
        )
        .order_by("pk")
    )  # fmt: skip
    last = 0
    while True:
        batch = {c.pk: ComplaintFacts.of(c) for c in complaints.filter(pk__gt=last)[:BATCH]}
        if not batch:
            break
        last = max(batch)
        events = (
            ComplaintEvent.objects.filter(complaint_id__in=batch)
            .order_by("complaint_id", "created_at", "id")
            .values_list("complaint_id", "name", "from_status", "to_status", "payload",
                         "created_at")
        )  # fmt: skip
        for complaint_id, name, from_status, to_status, payload, at in events:
            deltas = event_deltas(
                batch[complaint_id],
                name=name,
                from_status=from_status,
                to_status=to_status,
                payload=payload or {},
                at=at,
            )
            for key, (n, fen) in deltas.items():
                totals[key][0] += n
                totals[key][1] += fen
    StatJournal.objects.all().delete()
    StatCounter.objects.all().delete()
    cells = [
        StatCounter(**dict(zip(KEY_COLUMNS, key, strict=True)), n=n, fen=fen)
        for key, (n, fen) in totals.items()
        if n or fen
    ]
    StatCounter.objects.bulk_create(cells, batch_size=BATCH)
    codes = dict(Platform.objects.values_list("pk", "code"))
    StatRollup.objects.all().delete()
    StatRollup.objects.bulk_create(
        (
            StatRollup(**dict(zip(ROLLUP_COLUMNS, key, strict=True)), n=n, fen=fen)
            for key, (n, fen) in rollup_deltas(totals, codes).items()
        ),
        batch_size=BATCH,
    )
    return len(cells)
