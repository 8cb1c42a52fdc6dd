from django.db import migrations, models


class Migration(migrations.Migration):
    """The platform's work queue in the list's order (docs/performance.md)."""

    dependencies = [
        ("complaints", "0006_mediation_reminder"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="complaint",
            index=models.Index(
                fields=["platform", "status", "-updated_at", "-id"],
                name="complaint_platform_queue",
            ),
        ),
    ]
