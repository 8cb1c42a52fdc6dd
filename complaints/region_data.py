"""Read the shipped GB/T 2260 code list (complaints/data/regions, source in SOURCE.md)."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data" / "regions"


def region_rows(data_dir: Path = DATA_DIR) -> Iterator[tuple[str, str, str, str | None]]:
    """Yield (code, name, level, parent code) for provinces, then cities, then counties."""
    with open(data_dir / "provinces.csv", encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            yield row["code"], row["name"], "province", None
    with open(data_dir / "cities.csv", encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            yield row["code"], row["name"], "city", row["provinceCode"]
    with open(data_dir / "areas.csv", encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            yield row["code"], row["name"], "county", row["cityCode"]


def load_regions(region_model, data_dir: Path = DATA_DIR) -> tuple[int, int]:
    """Insert new codes and update renamed ones; codes no longer listed are marked inactive.

    Returns (created, updated). Works with the historical model inside migrations.
    """
    existing = {r.code: r for r in region_model.objects.all()}
    seen: set[str] = set()
    created = updated = 0
    for code, name, level, parent in region_rows(data_dir):
        seen.add(code)
        current = existing.get(code)
        if current is None:
            region_model.objects.create(
                code=code, name=name, level=level, parent_id=parent, is_active=True
            )
            created += 1
        elif (current.name, current.level, current.parent_id, current.is_active) != (
            name,
            level,
            parent,
            True,
        ):
            region_model.objects.filter(code=code).update(
                name=name, level=level, parent_id=parent, is_active=True
            )
            updated += 1
    region_model.objects.exclude(code__in=seen).update(is_active=False)
    return created, updated
