"""URL configuration: the admin, the API (api/urls.py) and the web pages."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularSwaggerSplitView

from api.errors import api_400, api_404, api_500
from complaints.web import errors as web_errors
from complaints.web import views as web_views

# /healthz, /readyz and /metrics are answered by config.health.OperationsEndpointsMiddleware,
# before the Host check and the HTTPS redirect (probes call a backend by its address).
urlpatterns = [
    path("admin/", admin.site.urls),
    # Swagger UI with its start-up script as a separate file (`?script`), so the Content
    # Security Policy needs no inline script; first, so it answers before api.urls's
    # inline-script page of the same name.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("api/", include("api.urls")),
    # Web pages (complaints/web/). The language switch (POST): Django's set_language,
    # which also keeps a signed-in user's choice for their emails.
    path("i18n/setlang/", web_views.set_language, name="set_language"),
    # Two-factor enrolment and verification (complaints/security/).
    path("accounts/2fa/", include("complaints.security.urls")),
    path("accounts/", include("complaints.web.account_urls")),
    # A case's evidence page lives in evidence/ (the core may not import evidence).
    path("complaints/<str:reference>/evidence/", include("evidence.web_urls")),
    path("complaints/", include("complaints.web.consumer_urls")),
    # Staff pages and the mediator workbench (mediation/web/).
    path("staff/", include("mediation.web.staff_urls")),
    path("mediator/", include("mediation.web.urls")),
    # The parties' view of their case's mediation (consumer and platform).
    path("mediation/", include("mediation.web.party_urls")),
    # The platform console (api/web/), the regulator dashboard and the public disclosure
    # list (reporting/web/).
    path("console/", include("api.web.urls")),
    path("regulator/", include("reporting.web.urls")),
    path("disclosure/", include("reporting.web.public_urls")),
    path("", include("complaints.web.urls")),
]


def handler400(request, exception=None):
    """Problem+json under /api/, the web's page elsewhere."""
    if request.path.startswith("/api/"):
        return api_400(request, exception)
    return web_errors.bad_request(request, exception)


def handler403(request, exception=None):
    """The web's 403 page (DRF answers its own 403s under /api/ as problem+json)."""
    return web_errors.permission_denied(request, exception)


def handler404(request, exception=None):
    """Problem+json under /api/, the web's page elsewhere."""
    if request.path.startswith("/api/"):
        return api_404(request, exception)
    return web_errors.page_not_found(request, exception)


def handler500(request):
    """Problem+json under /api/, the web's page elsewhere."""
    if request.path.startswith("/api/"):
        return api_500(request)
    return web_errors.server_error(request)
