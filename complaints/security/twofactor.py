"""Two-factor authentication (TOTP, django-otp): who needs it, and the middleware that
insists.

Staff, mediators and regulators read consumers' personal data and decide cases, and
an admin user can do anything: after the password, each must prove a second factor
(a six-digit code from an authenticator app) before any page but the 2FA pages
themselves. `SecondFactorMiddleware` sends such a user to enrolment (no device yet)
or verification; the API answers 403 `second_factor_required` instead
(`api.authentication.VerifiedSessionAuthentication`). Consumers and platform API keys
are not asked: a consumer files and follows their own case, and a platform's key is
itself the credential of a machine.

The verified device is remembered in the session (django-otp), so a verification
lasts as long as the login (SESSION_COOKIE_AGE) and a new login asks again.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.db import transaction
from django.http import HttpResponseRedirect
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

DEVICE_NAME = "authenticator"

# Paths a user who still owes the second factor may reach: the 2FA pages, logging
# out, the language switch, static files. /api/ answers for itself (403).
EXEMPT_PREFIXES = ("/accounts/2fa/", "/accounts/logout/", "/admin/logout/", "/i18n/", "/api/")


def second_factor_required(user) -> bool:
    """Whether `user` must verify a second factor: the roles in TWO_FACTOR_ROLES and
    every admin user."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if getattr(user, "is_staff", False) or getattr(user, "is_superuser", False):
        return True
    return getattr(user, "role", None) in settings.TWO_FACTOR_ROLES


def second_factor_verified(user) -> bool:
    """Whether this request's user proved a second factor in this session."""
    is_verified = getattr(user, "is_verified", None)
    return bool(is_verified and is_verified())


def second_factor_missing(user) -> bool:
    return second_factor_required(user) and not second_factor_verified(user)


def confirmed_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def enrolment_device(user) -> TOTPDevice:
    """The user's device being enrolled: a new secret until a code confirms it."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return device


def _accept(request, device: TOTPDevice) -> None:
    otp_login(request, device)
    # A new session key for the more privileged session (session fixation).
    request.session.cycle_key()


def enrolment_confirm(*, request, token: str) -> bool:
    """Confirm the enrolment device with a code from the app; then the session is verified."""
    with transaction.atomic():
        device = (
            TOTPDevice.objects.select_for_update()
            .filter(user=request.user, confirmed=False)
            .order_by("pk")
            .first()
        )
        if device is None or not device.verify_token(token):
            return False
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        # One authenticator per person: an older confirmed device is replaced.
        TOTPDevice.objects.filter(user=request.user).exclude(pk=device.pk).delete()
    _accept(request, device)
    return True


def second_factor_verify(*, request, token: str) -> bool:
    """Check a code against the user's confirmed device (django-otp throttles failures)."""
    with transaction.atomic():
        device = (
            TOTPDevice.objects.select_for_update()
            .filter(user=request.user, confirmed=True)
            .order_by("pk")
            .first()
        )
        if device is None or not device.verify_token(token):
            return False
    _accept(request, device)
    return True


def second_factor_reset(*, user) -> int:
    """Remove a user's devices (a lost phone): the next login enrols anew. Staff only,
    after checking who asks; returns how many devices were removed."""
    deleted, _ = TOTPDevice.objects.filter(user=user).delete()
    return deleted


def mark_session_verified(session, user) -> TOTPDevice:
    """Record in `session` that `user` passed the second factor, with a confirmed device
    made if needed: for tests and benchmarks that log in without a browser."""
    device = confirmed_device(user) or TOTPDevice.objects.create(
        user=user, name=DEVICE_NAME, confirmed=True
    )
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    return device


def second_factor_url(user, next_url: str) -> str:
    """Where `user` proves the second factor: enrolment when no device is confirmed."""
    name = "security:verify" if confirmed_device(user) else "security:setup"
    return f"{reverse(name)}?{urlencode({'next': next_url})}"


class SecondFactorMiddleware:
    """Send a logged-in user who owes a second factor to it, from every page.

    After django-otp's OTPMiddleware (it sets `request.user.is_verified`).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        exempt = path.startswith(EXEMPT_PREFIXES) or path.startswith(
            "/" + settings.STATIC_URL.lstrip("/")
        )
        if not exempt and second_factor_missing(request.user):
            return HttpResponseRedirect(second_factor_url(request.user, request.get_full_path()))
        return self.get_response(request)
