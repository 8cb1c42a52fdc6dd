from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportingConfig(AppConfig):
    name = "reporting"
    verbose_name = _("统计报告")

    def ready(self) -> None:
        from complaints.signals import complaint_transitioned
        from reporting.receivers import count_event

        complaint_transitioned.connect(count_event, dispatch_uid="reporting.count_event")
