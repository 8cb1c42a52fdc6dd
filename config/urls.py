"""URL configuration: the admin, the API (api/urls.py) and the web pages."""

from django.contrib import admin
from django.urls import include, path

from api.errors import api_400, api_404, api_500

urlpatterns = [
    path("admin/", admin.site.urls),
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
