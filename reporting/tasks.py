"""Celery tasks of the reporting app: they take ids, are idempotent and call services."""

from __future__ import annotations

from celery import shared_task


@shared_task
def generate_report(report_id: int) -> None:
    """Make a report's files and file them as evidence (nothing to do once it is done)."""
    from reporting.reports import report_generate

    report_generate(report_id=report_id)


@shared_task
def request_periodic_reports() -> None:
    """Beat: ask for the national reports of the last full month and quarter, once each."""
    from reporting.reports import reports_request_due

    reports_request_due()


@shared_task
def fold_statistics() -> int:
    """Beat: add the statistics journal to the counters (readers fold too; this keeps
    what they find pending small)."""
    from reporting.counters import statistics_fold_all

    return statistics_fold_all()
