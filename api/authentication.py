"""Who is calling: a platform by `Authorization: Api-Key <key>`, or a user by session."""

from __future__ import annotations

from rest_framework import authentication, exceptions

from api.keys import api_key_authenticate
from api.models import ApiKey
from complaints.actors import Actor
from complaints.choices import Role
from complaints.security.twofactor import second_factor_missing


class PlatformClient:
    """The request.user of a platform's API call: no person, the platform itself."""

    is_authenticated = True
    is_active = True
    is_anonymous = False
    is_staff = False
    is_superuser = False
    role = Role.PLATFORM

    def __init__(self, api_key: ApiKey) -> None:
        self.api_key = api_key
        self.platform = api_key.platform
        self.platform_id = api_key.platform_id
        self.pk = None
        self.username = f"api-key:{api_key.prefix}"

    def __str__(self) -> str:
        return self.username


class ApiKeyAuthentication(authentication.BaseAuthentication):
    keyword = "Api-Key"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        scheme, _, raw = header.partition(" ")
        if scheme.lower() != self.keyword.lower():
            return None
        key = api_key_authenticate(raw.strip())
        if key is None:
            raise exceptions.AuthenticationFailed("Invalid or revoked API key.")
        return PlatformClient(key), key

    def authenticate_header(self, request):
        return self.keyword


class SecondFactorRequired(exceptions.PermissionDenied):
    default_detail = (
        "This account must verify its second factor (TOTP) before using the API: "
        "log in on the web and enter the code at /accounts/2fa/verify/."
    )
    default_code = "second_factor_required"


class VerifiedSessionAuthentication(authentication.SessionAuthentication):
    """The web login's session, refused (403) for roles that owe a second factor
    (complaints/security/twofactor.py): staff, mediators, regulators, admin users."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is not None and second_factor_missing(result[0]):
            raise SecondFactorRequired()
        return result


def actor_of(request) -> Actor:
    """The domain actor behind a DRF request."""
    user = request.user
    if isinstance(user, PlatformClient):
        return Actor.of_platform(user.platform, label=user.username)
    return Actor.of_user(user)
