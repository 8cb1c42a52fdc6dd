"""Celery tasks of the evidence app."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from evidence.log import checkpoint_create
from evidence.retention import evidence_purge_due


@shared_task(name="evidence.tasks.make_checkpoint")
def make_checkpoint() -> int:
    """Sequence new records and sign a checkpoint (Celery beat, at least daily)."""
    return checkpoint_create().pk


@shared_task(name="evidence.tasks.purge_evidence")
def purge_evidence() -> dict:
    """Purge the contents of cases past retention and not on hold (Celery beat, daily)."""
    return evidence_purge_due(now=timezone.now()).as_dict()
