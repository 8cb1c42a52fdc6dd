"""The evidence app's receiver of the core's one signal (connected in EvidenceConfig.ready)."""

from __future__ import annotations

from complaints.batching import defer
from evidence.services import evidence_preserve_events


def preserve_event(sender, *, complaint, event, actor, name, **kwargs) -> None:
    """Preserve each complaint event in the transaction that wrote it (a batch's at
    once, complaints.batching)."""
    defer(evidence_preserve_events, (complaint, event, actor))
