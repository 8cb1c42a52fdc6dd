"""Seed the working-day calendar from chinesecalendar; staff extend it in the admin."""

from django.db import migrations


def forwards(apps, schema_editor):
    from complaints.calendar_data import seed_calendar

    seed_calendar(
        apps.get_model("complaints", "CalendarYear"), apps.get_model("complaints", "CalendarDay")
    )


def backwards(apps, schema_editor):
    apps.get_model("complaints", "CalendarDay").objects.all().delete()
    apps.get_model("complaints", "CalendarYear").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("complaints", "0002_load_regions")]
    operations = [migrations.RunPython(forwards, backwards)]
