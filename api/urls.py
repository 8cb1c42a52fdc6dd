"""The REST API: /api/v1/ resources, the OpenAPI schema and interactive docs."""

from django.urls import include, path, register_converter
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import SimpleRouter

from api.views.complaints import ComplaintViewSet
from api.views.data_rights import DataExportView, ErasureView
from api.views.evidence import (
    CheckpointListView,
    ComplaintEvidenceView,
    EvidenceDownloadView,
    EvidenceVerifyView,
    PublicKeyView,
)
from api.views.mediation import (
    AgreementConfirmView,
    AgreementPdfView,
    AgreementView,
    CaseNotesView,
    CompensationView,
    DepositEntriesView,
    DepositView,
    FulfilmentObjectionView,
    FulfilmentReportView,
    MediationClockView,
    MediationProposalReplyView,
    MediationProposalsView,
    MediatorCasesView,
    NoticePdfView,
    ReassignView,
    RecoveryListView,
    RecoveryRecoverView,
    RecoveryWriteOffView,
    RecuseView,
    SessionRecordView,
    SessionsView,
)
from api.views.packages import ComplaintEvidencePackageView
from api.views.reporting import (
    ComplaintRatingView,
    DisclosureView,
    ReportDetailView,
    ReportDownloadView,
    ReportListView,
    StatsSummaryView,
    StatsTimeseriesView,
    WarningListView,
)
from api.views.webhooks import WebhookEndpointViewSet

router = SimpleRouter()
router.register("complaints", ComplaintViewSet, basename="complaint")
router.register("webhook-endpoints", WebhookEndpointViewSet, basename="webhook-endpoint")


class RecordIdConverter:
    """A database id: 1 to 18 digits, so a huge number is a 404, not an overflow."""

    regex = "[1-9][0-9]{0,17}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(RecordIdConverter, "record_id")

REFERENCE = "<str:reference>"

urlpatterns = [
    path("v1/", include(router.urls)),
    path(
        f"v1/complaints/{REFERENCE}/evidence/",
        ComplaintEvidenceView.as_view(),
        name="complaint-evidence",
    ),
    path(
        f"v1/complaints/{REFERENCE}/evidence-package/",
        ComplaintEvidencePackageView.as_view(),
        name="complaint-evidence-package",
    ),
    path(
        "v1/evidence/<record_id:pk>/download/",
        EvidenceDownloadView.as_view(),
        name="evidence-download",
    ),
    path(
        "v1/evidence/<record_id:pk>/verify/", EvidenceVerifyView.as_view(), name="evidence-verify"
    ),
    # Mediation: the case file, fulfilment and advance compensation of one complaint.
    *[
        path(f"v1/complaints/{REFERENCE}/{suffix}", view.as_view(), name=name)
        for suffix, view, name in (
            ("notes/", CaseNotesView, "complaint-notes"),
            ("sessions/", SessionsView, "complaint-sessions"),
            ("sessions/<record_id:pk>/record/", SessionRecordView, "complaint-session-record"),
            ("mediation-proposals/", MediationProposalsView, "complaint-mediation-proposals"),
            (
                "mediation-proposals/<record_id:pk>/reply/",
                MediationProposalReplyView,
                "complaint-mediation-proposal-reply",
            ),
            ("agreement/", AgreementView, "complaint-agreement"),
            ("agreement/confirm/", AgreementConfirmView, "complaint-agreement-confirm"),
            ("agreement.pdf", AgreementPdfView, "complaint-agreement-pdf"),
            ("notice.pdf", NoticePdfView, "complaint-notice-pdf"),
            ("recuse/", RecuseView, "complaint-recuse"),
            ("reassign/", ReassignView, "complaint-reassign"),
            ("mediation-clock/", MediationClockView, "complaint-mediation-clock"),
            ("fulfilment/report/", FulfilmentReportView, "complaint-fulfilment-report"),
            ("fulfilment/objection/", FulfilmentObjectionView, "complaint-fulfilment-objection"),
            ("compensation/", CompensationView, "complaint-compensation"),
        )
    ],
    path("v1/mediation/cases/", MediatorCasesView.as_view(), name="mediation-cases"),
    path("v1/deposit/", DepositView.as_view(), name="deposit"),
    path("v1/deposit/entries/", DepositEntriesView.as_view(), name="deposit-entries"),
    path("v1/recoveries/", RecoveryListView.as_view(), name="recovery-list"),
    path(
        "v1/recoveries/<record_id:pk>/recover/",
        RecoveryRecoverView.as_view(),
        name="recovery-recover",
    ),
    path(
        "v1/recoveries/<record_id:pk>/write-off/",
        RecoveryWriteOffView.as_view(),
        name="recovery-write-off",
    ),
    path("v1/evidence/checkpoints/", CheckpointListView.as_view(), name="evidence-checkpoints"),
    path("v1/evidence/public-key/", PublicKeyView.as_view(), name="evidence-public-key"),
    path(
        f"v1/complaints/{REFERENCE}/rating/",
        ComplaintRatingView.as_view(),
        name="complaint-rating",
    ),
    path("v1/stats/summary/", StatsSummaryView.as_view(), name="stats-summary"),
    path("v1/stats/timeseries/", StatsTimeseriesView.as_view(), name="stats-timeseries"),
    path("v1/reports/", ReportListView.as_view(), name="report-list"),
    path("v1/reports/<record_id:pk>/", ReportDetailView.as_view(), name="report-detail"),
    path(
        "v1/reports/<record_id:pk>/download/",
        ReportDownloadView.as_view(),
        name="report-download",
    ),
    path("v1/disclosure/", DisclosureView.as_view(), name="disclosure"),
    path("v1/disclosure/warnings/", WarningListView.as_view(), name="disclosure-warnings"),
    # The consumer's own data (PIPL): export, and erasure within retention.
    path("v1/me/data-export/", DataExportView.as_view(), name="me-data-export"),
    path("v1/me/erasure/", ErasureView.as_view(), name="me-erasure"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
]
