"""Webhook reads, scoped to the platform that owns them."""

from __future__ import annotations

from django.db.models import QuerySet

from api.models import WebhookEndpoint
from complaints.models import Platform


def webhook_endpoints_of(platform: Platform) -> QuerySet[WebhookEndpoint]:
    """A platform's endpoints, newest first (disabled ones too: their history matters)."""
    return WebhookEndpoint.objects.filter(platform=platform).order_by("-created_at", "-id")
