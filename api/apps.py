from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = _("接口")

    def ready(self) -> None:
        from api import schema  # noqa: F401 - registers the OpenAPI extensions
        from api.webhooks.outbox import write_outbox
        from complaints.signals import complaint_transitioned

        # Outbox rows are written in the transition's own transaction.
        complaint_transitioned.connect(write_outbox, dispatch_uid="api.webhooks.write_outbox")
