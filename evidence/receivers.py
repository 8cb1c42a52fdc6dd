"""The evidence app's receiver of the core's one signal (connected in EvidenceConfig.ready)."""

from __future__ import annotations

from evidence.services import evidence_preserve_event


def preserve_event(sender, *, complaint, event, actor, name, **kwargs) -> None:
    """Preserve each complaint event in the transaction that wrote it."""
    evidence_preserve_event(complaint=complaint, event=event, actor=actor)
