"""The console's integration settings: API keys (the key shown once; revoke) and webhook
endpoints (the signing secret shown once; disable; the delivery log), through the same
services as the admin and the API (api.keys, api.webhooks.services)."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from api.keys import api_key_create, api_key_revoke
from api.models import ApiKey, WebhookEndpoint, WebhookMessage
from api.web.access import console_required
from api.web.forms import ApiKeyForm, WebhookEndpointForm, add_service_errors
from api.webhooks.selectors import webhook_endpoints_of
from api.webhooks.services import webhook_endpoint_create, webhook_endpoint_disable
from complaints.exceptions import DomainValidationError, NotFound

PAGE_SIZE = 50


def _secret_page(request: HttpRequest, template: str, context: dict) -> HttpResponse:
    """A page that shows a secret once: never stored by a cache or the browser's history."""
    response = render(request, template, context)
    add_never_cache_headers(response)
    return response


# API keys.


def _keys_page(request: HttpRequest, form: ApiKeyForm, new_key: str = "") -> HttpResponse:
    keys = ApiKey.objects.filter(platform=request.platform).order_by("-created_at", "-id")
    context = {"keys": keys, "form": form, "new_key": new_key}
    return _secret_page(request, "web/platform/api_keys.html", context)


@console_required
def api_keys(request: HttpRequest) -> HttpResponse:
    """The platform's keys (active and revoked); POST issues a new one, shown once."""
    if request.method != "POST":
        return _keys_page(request, ApiKeyForm())
    form = ApiKeyForm(data=request.POST)
    if not form.is_valid():
        return _keys_page(request, form)
    try:
        _key, raw = api_key_create(
            platform=request.platform, name=form.cleaned_data["name"], created_by=request.user
        )
    except DomainValidationError as exc:
        add_service_errors(form, exc)
        return _keys_page(request, form)
    messages.success(request, _("新密钥已生成。它只显示这一次，请立即复制保存。"))
    return _keys_page(request, ApiKeyForm(), new_key=raw)


@require_POST
@console_required
def api_key_revoke_view(request: HttpRequest, pk: str) -> HttpResponse:
    """Revoke one of the platform's keys; another platform's key is a 404."""
    key = ApiKey.objects.filter(pk=int(pk), platform=request.platform).first()
    if key is None:
        raise Http404
    api_key_revoke(key_id=key.pk)
    messages.success(
        request, _("密钥 %(prefix)s 已吊销，使用它的请求将被拒绝。") % {"prefix": key.prefix}
    )
    return redirect("platform:api_keys")


# Webhook endpoints.


def _webhooks_page(
    request: HttpRequest, form: WebhookEndpointForm, created: WebhookEndpoint | None = None
) -> HttpResponse:
    endpoints = webhook_endpoints_of(request.platform)
    context = {"endpoints": endpoints, "form": form, "created": created}
    return _secret_page(request, "web/platform/webhooks.html", context)


@console_required
def webhooks(request: HttpRequest) -> HttpResponse:
    """The platform's endpoints; POST registers one and shows its signing secret once."""
    if request.method != "POST":
        return _webhooks_page(request, WebhookEndpointForm())
    form = WebhookEndpointForm(data=request.POST)
    if not form.is_valid():
        return _webhooks_page(request, form)
    try:
        endpoint = webhook_endpoint_create(
            platform=request.platform,
            url=form.cleaned_data["url"],
            events=form.cleaned_data["events"],
        )
    except DomainValidationError as exc:
        add_service_errors(form, exc)
        return _webhooks_page(request, form)
    messages.success(request, _("回调地址已添加。签名密钥只显示这一次，请立即复制保存。"))
    return _webhooks_page(request, WebhookEndpointForm(), created=endpoint)


@require_POST
@console_required
def webhook_disable(request: HttpRequest, pk: str) -> HttpResponse:
    """Stop sending to an endpoint (the API's DELETE); its delivery log stays."""
    try:
        endpoint = webhook_endpoint_disable(endpoint_id=int(pk), platform=request.platform)
    except NotFound:
        raise Http404 from None
    messages.success(request, _("已停用回调地址 %(url)s。") % {"url": endpoint.url})
    return redirect("platform:webhooks")


@console_required
def webhook_deliveries(request: HttpRequest, pk: str) -> HttpResponse:
    """The delivery log of one endpoint: each message, newest first, with every attempt."""
    endpoint = webhook_endpoints_of(request.platform).filter(pk=int(pk)).first()
    if endpoint is None:
        raise Http404
    deliveries = (
        WebhookMessage.objects.filter(endpoint=endpoint)
        .prefetch_related("delivery_attempts")
        .order_by("-created_at", "-id")
    )
    page = Paginator(deliveries, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request, "web/platform/webhook_deliveries.html", {"endpoint": endpoint, "page": page}
    )
