"""Seed the working-day calendar table from the `chinesecalendar` package."""

from __future__ import annotations

from datetime import date


def seed_calendar(year_model, day_model, *, years: range | None = None) -> list[int]:
    """Copy holidays and make-up workdays of the package's years into the tables.

    Years already in the table are left alone, so staff edits survive a re-run.
    Returns the years added. Works with historical models inside migrations.
    """
    import chinese_calendar

    package_years = sorted(
        {d.year for d in chinese_calendar.holidays} | {d.year for d in chinese_calendar.workdays}
    )
    wanted = [y for y in package_years if years is None or y in years]
    known = set(year_model.objects.values_list("year", flat=True))
    added = []
    source = f"chinesecalendar {getattr(chinese_calendar, '__version__', '')}".strip()
    for year in wanted:
        if year in known:
            continue
        days = [
            day_model(date=d, kind="holiday", name=str(chinese_calendar.holidays[d] or ""))
            for d in sorted(chinese_calendar.holidays)
            if d.year == year
        ] + [
            day_model(date=d, kind="workday", name=str(chinese_calendar.workdays[d] or ""))
            for d in sorted(chinese_calendar.workdays)
            if d.year == year and isinstance(d, date)
        ]
        # The package lists weekend days inside holiday periods; weekday-only holidays and
        # the rest are the same for our purpose: every listed day is a departure or a no-op.
        day_model.objects.bulk_create(days, ignore_conflicts=True)
        year_model.objects.create(year=year, source=source)
        added.append(year)
    return added
