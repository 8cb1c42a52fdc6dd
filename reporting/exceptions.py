"""Errors of the reporting app.

Each extends the core error with the same meaning, so api/errors.py answers it with
that error's status (409, 403) while `code` stays our own.
"""

from __future__ import annotations

from complaints.exceptions import TransitionConflict, TransitionForbidden, WeiquanError


class AlreadyRated(TransitionConflict):
    """The consumer has already rated this complaint; a rating is given once."""

    code = "already_rated"

    def __init__(self) -> None:
        WeiquanError.__init__(
            self, "This complaint has already been rated.", action="rate", allowed_transitions=[]
        )


class OutsideRegion(TransitionForbidden):
    """The requested region lies outside the caller's jurisdiction."""

    code = "outside_region"

    def __init__(self, *, region: str, region_prefix: str) -> None:
        WeiquanError.__init__(
            self,
            f"Region '{region}' is outside your jurisdiction ({region_prefix}).",
            action="statistics",
            region=region,
            region_prefix=region_prefix,
        )


class StatisticsForbidden(TransitionForbidden):
    """Only complaint-centre staff and regulators see statistics and reports."""

    code = "statistics_forbidden"

    def __init__(self, *, role: str) -> None:
        WeiquanError.__init__(
            self, f"A {role} may not see statistics or reports.", action="statistics", role=role
        )


class ReportNotReady(TransitionConflict):
    """The report's files are not made yet; its `progress` says how far it is."""

    code = "report_not_ready"

    def __init__(self, *, state: str, progress: int) -> None:
        WeiquanError.__init__(
            self,
            f"The report is {state} ({progress}%); download it once it is done.",
            action="download",
            progress=progress,
        )


class WarningForbidden(TransitionForbidden):
    """Only complaint-centre staff publish consumer warnings."""

    code = "warning_forbidden"

    def __init__(self, *, role: str) -> None:
        WeiquanError.__init__(
            self, f"A {role} may not publish consumer warnings.", action="publish", role=role
        )
