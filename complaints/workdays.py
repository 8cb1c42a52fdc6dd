"""The Chinese working-day calendar (工作日): Monday–Friday, adjusted by the holiday table.

Holidays and make-up workdays (调休) come from `CalendarDay`, seeded from the
`chinesecalendar` package and extended by staff each year once the State Council
announces the next schedule. A year without a `CalendarYear` row has not been
announced: it falls back to Monday–Friday and logs a warning, never an exception.

Each process keeps one year's table in memory for `CACHE_SECONDS`; saving a
calendar row clears this process's copy at once (other processes within the TTL).
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import date, timedelta

logger = logging.getLogger(__name__)

CACHE_SECONDS = 300
# No plausible deadline needs more; guards against a loop over a corrupt table.
MAX_WORKDAYS = 3660

_lock = threading.Lock()
_years: dict[int, tuple[float, frozenset[date], frozenset[date], bool]] = {}
_warned: set[int] = set()


def clear_cache() -> None:
    """Forget the cached calendar (after staff edit it, and between tests)."""
    with _lock:
        _years.clear()
        _warned.clear()


def _load_year(year: int) -> tuple[frozenset[date], frozenset[date], bool]:
    now = time.monotonic()
    cached = _years.get(year)
    if cached and now - cached[0] < CACHE_SECONDS:
        return cached[1], cached[2], cached[3]

    from complaints.models import CalendarDay, CalendarYear

    announced = CalendarYear.objects.filter(year=year).exists()
    holidays: set[date] = set()
    workdays: set[date] = set()
    for day, kind in CalendarDay.objects.filter(date__year=year).values_list("date", "kind"):
        (holidays if kind == CalendarDay.Kind.HOLIDAY else workdays).add(day)
    entry = (now, frozenset(holidays), frozenset(workdays), announced)
    with _lock:
        _years[year] = entry
    return entry[1], entry[2], entry[3]


def is_announced(year: int) -> bool:
    """Whether the holiday schedule of `year` is in the table."""
    return _load_year(year)[2]


def is_workday(day: date) -> bool:
    """Whether `day` is a working day under the State Council schedule."""
    holidays, workdays, announced = _load_year(day.year)
    if not announced and day.year not in _warned:
        _warned.add(day.year)
        logger.warning(
            "Holiday schedule for %s is not in the calendar table; counting Monday to Friday. "
            "Add the year in the admin once the State Council announces it.",
            day.year,
        )
    if day in workdays:
        return True
    if day in holidays:
        return False
    return day.weekday() < 5


def add_workdays(start: date, n: int) -> date:
    """Return the n-th working day after `start` (`start` itself is not counted)."""
    if n < 0:
        raise ValueError("n must not be negative")
    if n > MAX_WORKDAYS:
        raise ValueError(f"n must not exceed {MAX_WORKDAYS}")
    day = start
    counted = 0
    while counted < n:
        day += timedelta(days=1)
        if is_workday(day):
            counted += 1
    return day


def next_workday(day: date) -> date:
    """Return `day` if it is a working day, else the first working day after it."""
    while not is_workday(day):
        day += timedelta(days=1)
    return day
