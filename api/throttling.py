"""Throttles: per platform API key, and per user (DRF's own) for sessions."""

from rest_framework.throttling import SimpleRateThrottle, UserRateThrottle

from api.authentication import PlatformClient


class PlatformKeyRateThrottle(SimpleRateThrottle):
    """Each API key has its own bucket."""

    scope = "platform_key"

    def get_cache_key(self, request, view):
        if isinstance(request.user, PlatformClient):
            return self.cache_format % {"scope": self.scope, "ident": request.user.api_key.prefix}
        return None


class SessionUserRateThrottle(UserRateThrottle):
    """Each logged-in user has their own bucket; API keys are left to the key throttle.

    DRF's UserRateThrottle keys on `request.user.pk`, which a platform client has not,
    so without this every platform would share one bucket.
    """

    def get_cache_key(self, request, view):
        if isinstance(request.user, PlatformClient):
            return None
        return super().get_cache_key(request, view)
