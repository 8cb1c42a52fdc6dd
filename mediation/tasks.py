"""Celery tasks of mediation: they take ids, are idempotent and call the services."""

from __future__ import annotations

from celery import shared_task


@shared_task
def render_agreement(agreement_id: int) -> int | None:
    """Render, sign and preserve an issued agreement's PDF; returns its evidence record id."""
    from mediation.agreements import agreement_render

    record = agreement_render(agreement_id=agreement_id)
    return record.pk if record else None


@shared_task
def issue_end_notice(complaint_id: int) -> int | None:
    """Render, preserve and send the notice that mediation ended (Order 121 art. 23)."""
    from mediation.agreements import end_notice_issue

    notice = end_notice_issue(complaint_id=complaint_id)
    return notice.pk if notice else None


@shared_task
def compensation_recheck(platform_id: int) -> dict:
    """Block or unblock a platform's unpaid advance compensations after its balance moved."""
    from mediation.compensation import compensation_recheck as run

    return run(platform_id=platform_id)
