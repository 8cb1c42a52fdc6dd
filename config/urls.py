"""URL configuration: the admin, the API (api/urls.py) and the web pages."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularSwaggerSplitView

from api.errors import api_400, api_404, api_500

# /healthz, /readyz and /metrics are answered by config.health.OperationsEndpointsMiddleware,
# before the Host check and the HTTPS redirect (probes call a backend by its address).
urlpatterns = [
    path("admin/", admin.site.urls),
    # Swagger UI with its start-up script as a separate file (`?script`), so the Content
    # Security Policy needs no inline script; first, so it answers before api.urls's
    # inline-script page of the same name.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("api/", include("api.urls")),
]


def handler400(request, exception=None):
    """Problem+json under /api/, Django's page elsewhere."""
    if request.path.startswith("/api/"):
        return api_400(request, exception)
    from django.views.defaults import bad_request

    return bad_request(request, exception)


def handler404(request, exception=None):
    """Problem+json under /api/, Django's page elsewhere."""
    if request.path.startswith("/api/"):
        return api_404(request, exception)
    from django.views.defaults import page_not_found

    return page_not_found(request, exception)


def handler500(request):
    if request.path.startswith("/api/"):
        return api_500(request)
    from django.views.defaults import server_error

    return server_error(request)
