"""Load the shipped GB/T 2260 code list (2023 statistical division codes)."""

from django.db import migrations


def forwards(apps, schema_editor):
    from complaints.region_data import load_regions

    load_regions(apps.get_model("complaints", "Region"))


def backwards(apps, schema_editor):
    apps.get_model("complaints", "Region").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("complaints", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
