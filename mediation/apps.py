from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MediationConfig(AppConfig):
    name = "mediation"
    verbose_name = _("调解与先行赔付")

    def ready(self) -> None:
        from complaints.signals import complaint_transitioned
        from mediation.receivers import on_complaint_change

        complaint_transitioned.connect(
            on_complaint_change, dispatch_uid="mediation.on_complaint_change"
        )
