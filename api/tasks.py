"""Celery tasks of the api app: they take ids, are idempotent and call the delivery code."""

from __future__ import annotations

from celery import shared_task


@shared_task
def deliver_message(message_id: int) -> bool:
    """Try one webhook message now if it is still due; True when the receiver took it."""
    from api.webhooks.delivery import deliver_message as deliver

    return deliver(message_id).delivered > 0


@shared_task
def deliver_due_webhooks() -> int:
    """Beat: try every due webhook message once; returns how many were delivered."""
    from api.webhooks.delivery import deliver_due

    return deliver_due().delivered


@shared_task
def purge_idempotency_records() -> int:
    """Beat: forget stored answers past their 24 hours (they hold personal data)."""
    from api.idempotency import purge_expired

    return purge_expired()


@shared_task
def complete_erasures() -> int:
    """Beat (daily): erase the identity kept for consumers' erasure requests once the last
    case that retention kept is purged."""
    from api.data_rights import complete_erasures as complete

    return complete()
