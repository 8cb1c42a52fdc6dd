"""The reporting app's receiver of the core's one signal (connected in ReportingConfig.ready)."""

from __future__ import annotations

from complaints.batching import defer
from reporting.counters import ComplaintFacts, event_deltas, journal_add


def count_event(sender, *, complaint, event, actor, name, **kwargs) -> None:
    """Journal the event's increments in the transaction that wrote it: never lost,
    never counted twice (a rolled-back change takes its increments with it; the fold
    adds each journal row once). A batch's events share one journal row."""
    defer(
        journal_add,
        event_deltas(
            ComplaintFacts.of(complaint),
            name=event.name,
            from_status=event.from_status,
            to_status=event.to_status,
            payload=event.payload,
            at=event.created_at,
        ),
    )
