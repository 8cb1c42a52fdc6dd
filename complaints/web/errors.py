"""The web's error pages: 400, 403, 404, 500 and the CSRF failure (/api/ answers its own)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.views import defaults


def bad_request(request: HttpRequest, exception=None) -> HttpResponse:
    return defaults.bad_request(request, exception, template_name="web/errors/400.html")


def permission_denied(request: HttpRequest, exception=None) -> HttpResponse:
    return defaults.permission_denied(request, exception, template_name="web/errors/403.html")


def page_not_found(request: HttpRequest, exception=None) -> HttpResponse:
    return defaults.page_not_found(request, exception, template_name="web/errors/404.html")


def server_error(request: HttpRequest) -> HttpResponse:
    return defaults.server_error(request, template_name="web/errors/500.html")


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """settings.CSRF_FAILURE_VIEW: a page that says what to do, not Django's debug text."""
    response = TemplateResponse(request, "web/errors/csrf.html", status=403)
    return response.render()
