from collections import defaultdict

from django.db import migrations

BATCH = 5000


def fill(apps, schema_editor):
    """Roll the counters already kept up into the new rollups (statistics kept so far).

    Uses reporting.counters.rollup_deltas, the one definition of a rollup: it is a pure
    function of counter keys, so the rows written here are those the receiver would
    have written. On a large table `rebuild_statistics` does the same from the events.
    """
    from reporting.counters import ROLLUP_COLUMNS, rollup_deltas

    StatCounter = apps.get_model("reporting", "StatCounter")
    StatRollup = apps.get_model("reporting", "StatRollup")
    Platform = apps.get_model("complaints", "Platform")
    codes = dict(Platform.objects.values_list("pk", "code"))
    totals = defaultdict(lambda: [0, 0])
    cells = StatCounter.objects.order_by("pk").values_list(
        "grain", "day", "region", "platform_id", "category", "issue_type", "merchant",
        "metric", "bucket", "n", "fen",
    )  # fmt: skip
    for row in cells.iterator(chunk_size=BATCH):
        for key, (n, fen) in rollup_deltas({row[:-2]: [row[-2], row[-1]]}, codes).items():
            totals[key][0] += n
            totals[key][1] += fen
    StatRollup.objects.bulk_create(
        (
            StatRollup(**dict(zip(ROLLUP_COLUMNS, key, strict=True)), n=n, fen=fen)
            for key, (n, fen) in totals.items()
            if n or fen
        ),
        batch_size=BATCH,
    )


def empty(apps, schema_editor):
    apps.get_model("reporting", "StatRollup").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("reporting", "0002_statistics_rollups"),
    ]

    operations = [migrations.RunPython(fill, empty)]
