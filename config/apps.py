"""The operations app: system checks for production (durability of the database)."""

from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Registers the checks in config/checks.py; has no models."""

    name = "config"
    label = "ops"
    verbose_name = "Operations"

    def ready(self) -> None:
        from config import checks  # noqa: F401 (registers the checks)
