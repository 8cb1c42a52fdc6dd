"""Throttles: per platform API key, and per user (DRF's own) for sessions."""

from rest_framework.throttling import SimpleRateThrottle

from api.authentication import PlatformClient


class PlatformKeyRateThrottle(SimpleRateThrottle):
    scope = "platform_key"

    def get_cache_key(self, request, view):
        if isinstance(request.user, PlatformClient):
            return self.cache_format % {"scope": self.scope, "ident": request.user.api_key.prefix}
        return None
