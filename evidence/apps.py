from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvidenceConfig(AppConfig):
    name = "evidence"
    verbose_name = _("证据保全")

    def ready(self) -> None:
        from complaints.signals import complaint_transitioned
        from evidence.receivers import preserve_event

        complaint_transitioned.connect(preserve_event, dispatch_uid="evidence.preserve_event")
