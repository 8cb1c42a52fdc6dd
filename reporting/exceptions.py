"""Errors of the reporting app; api/errors.py maps their codes to HTTP statuses."""

from __future__ import annotations

from complaints.exceptions import WeiquanError


class AlreadyRated(WeiquanError):
    """The consumer has already rated this complaint; a rating is given once."""

    code = "already_rated"


class OutsideRegion(WeiquanError):
    """The requested region lies outside the caller's jurisdiction."""

    code = "outside_region"

    def __init__(self, *, region: str, region_prefix: str) -> None:
        super().__init__(
            f"Region '{region}' is outside your jurisdiction ({region_prefix}).",
            region=region,
            region_prefix=region_prefix,
        )


class StatisticsForbidden(WeiquanError):
    """Only complaint-centre staff and regulators see statistics and reports."""

    code = "statistics_forbidden"

    def __init__(self, *, role: str) -> None:
        super().__init__(f"A {role} may not see statistics or reports.", role=role)
