"""Deploy checks of the core: personal data cannot be stored without its keys.

Like the durability checks (config/checks.py), these run in
`manage.py check --deploy`, which docs/operations.md runs before gunicorn and the
workers start and config/gunicorn.py runs in the master: a production start without
PERSONAL_DATA_KEYS and PERSONAL_DATA_HASH_KEY, or with the development keys, stops
there. Code that needs a key and finds none raises ImproperlyConfigured at use.
"""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Tags, register

from complaints.encryption import configuration_problems


@register(Tags.security, deploy=True)
def check_personal_data_keys(app_configs=None, **kwargs) -> list[Error]:
    """The encryption and lookup keys are set, well-formed, and not the development ones."""
    errors = [
        Error(
            problem,
            hint="Set PERSONAL_DATA_KEYS and PERSONAL_DATA_HASH_KEY (docs/operations.md).",
            id="weiquan.E010",
        )
        for problem in configuration_problems()
    ]
    development = set(getattr(settings, "DEVELOPMENT_PERSONAL_DATA_KEYS", [])) | {
        getattr(settings, "DEVELOPMENT_PERSONAL_DATA_HASH_KEY", None)
    }
    configured = {*settings.PERSONAL_DATA_KEYS, settings.PERSONAL_DATA_HASH_KEY}
    if not settings.DEBUG and development & configured:
        errors.append(
            Error(
                "The development personal data keys are configured with DEBUG off.",
                hint="They are published in config/settings.py: generate keys of your own.",
                id="weiquan.E011",
            )
        )
    return errors
