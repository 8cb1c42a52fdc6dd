"""The reporting app's receiver of the core's one signal (connected in ReportingConfig.ready)."""

from __future__ import annotations

from reporting.counters import ComplaintFacts, counters_add, event_deltas


def count_event(sender, *, complaint, event, actor, name, **kwargs) -> None:
    """Add the event to the statistics in the transaction that wrote it: never lost,
    never counted twice (a rolled-back change takes its increments with it)."""
    counters_add(
        event_deltas(
            ComplaintFacts.of(complaint),
            name=event.name,
            from_status=event.from_status,
            to_status=event.to_status,
            payload=event.payload,
            at=event.created_at,
        ),
        codes={complaint.platform_id: complaint.platform.code},
    )
