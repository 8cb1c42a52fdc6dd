"""Deadline rules: one table, each rule with its legal source, and how to count them.

Counting follows SAMR Order 121 art. 45: the day of the triggering event is not
counted, and a calendar-day period whose last day is not a working day ends on the
first working day after it. A deadline falls due at the end of its last day in the
complaint centre's time zone. Complaints accepted before Order 121 came into force
(2026-04-15) keep the mediation limit of SAMR Order 20.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from django.conf import settings
from django.utils import timezone

from complaints.workdays import add_workdays, next_workday

ORDER_121_IN_FORCE = date(2026, 4, 15)


class Unit(StrEnum):
    WORKDAYS = "workdays"
    DAYS = "days"


@dataclass(frozen=True)
class Rule:
    key: str
    count: int | None  # None: the count comes from a setting or the platform
    unit: Unit
    basis: str


RULES: dict[str, Rule] = {
    rule.key: rule
    for rule in (
        Rule(
            "acceptance",
            7,
            Unit.WORKDAYS,
            "SAMR Order 121 art. 15; CRPL implementing regulations art. 46",
        ),
        Rule("response", None, Unit.WORKDAYS, "12315 ODR practice; platform agreement"),
        Rule("proposal_decision", None, Unit.DAYS, "Weiquan rules: consumer decision window"),
        Rule(
            "mediation",
            60,
            Unit.DAYS,
            "SAMR Order 121 art. 22, art. 23(5); CRPL implementing regulations art. 46",
        ),
        Rule("mediation_order20", 45, Unit.WORKDAYS, "SAMR Order 20 (2019): 45 working days"),
        Rule("mediation_notice", 7, Unit.WORKDAYS, "SAMR Order 121 art. 23"),
        Rule("fulfilment", None, Unit.DAYS, "mediation agreement or accepted proposal"),
        Rule("fulfilment_objection", None, Unit.DAYS, "Weiquan rules: objection window"),
    )
}


def local_date(moment: datetime) -> date:
    """The calendar date of `moment` in the complaint centre's time zone."""
    return timezone.localtime(moment).date()


def end_of_day(day: date) -> datetime:
    """The last instant of `day` in the complaint centre's time zone, as an aware datetime."""
    return datetime.combine(day, time.max, tzinfo=timezone.get_default_timezone())


def last_day(rule: Rule, start: date, count: int) -> date:
    """The last day of a period of `count` units starting the day after `start`."""
    if rule.unit is Unit.WORKDAYS:
        return add_workdays(start, count)
    return next_workday(start + timedelta(days=count))


def compute_due(key: str, start: datetime, count: int | None = None) -> datetime:
    """When the deadline `key`, triggered at `start`, falls due."""
    rule = RULES[key]
    n = count if count is not None else rule.count
    if n is None:
        raise ValueError(f"rule {key} needs an explicit count")
    return end_of_day(last_day(rule, local_date(start), n))


def mediation_rule_for(accepted_at: datetime) -> str:
    """Order 121 for complaints accepted on or after 2026-04-15, else Order 20."""
    return "mediation" if local_date(accepted_at) >= ORDER_121_IN_FORCE else "mediation_order20"


def setting(name: str) -> int:
    return int(settings.WEIQUAN[name])
