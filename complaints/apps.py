from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplaintsConfig(AppConfig):
    name = "complaints"
    verbose_name = _("投诉")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from complaints import checks, workdays  # noqa: F401 (checks registers itself)
        from complaints.models import CalendarDay, CalendarYear, Region
        from complaints.selectors import clear_region_cache

        for signal in (post_save, post_delete):
            signal.connect(
                lambda **kw: clear_region_cache(),
                sender=Region,
                weak=False,
                dispatch_uid=f"region-cache-{signal}",
            )

        # An edit by staff takes effect in this process at once (others within the TTL).
        for model in (CalendarDay, CalendarYear):
            for signal in (post_save, post_delete):
                signal.connect(
                    lambda **kw: workdays.clear_cache(),
                    sender=model,
                    weak=False,
                    dispatch_uid=f"calendar-cache-{model.__name__}-{signal}",
                )
