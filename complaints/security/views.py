"""The 2FA pages: enrol an authenticator app (QR code), and verify a code after login."""

from __future__ import annotations

from base64 import b32encode
from urllib.parse import urlencode

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from complaints.security.forms import TokenForm
from complaints.security.twofactor import (
    confirmed_device,
    enrolment_confirm,
    enrolment_device,
    second_factor_verified,
    second_factor_verify,
)


def _next_url(request: HttpRequest) -> str:
    """Where to go afterwards: a `next` on this site, else the home page."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return "/"


def _to(name: str, next_url: str) -> HttpResponseRedirect:
    return HttpResponseRedirect(f"{reverse(name)}?{urlencode({'next': next_url})}")


def _grouped(secret: str) -> str:
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@never_cache
@sensitive_post_parameters("token")
@login_required
def setup(request: HttpRequest) -> HttpResponse:
    """Enrol: a QR code of a new secret, confirmed by the first code the app shows."""
    next_url = _next_url(request)
    if confirmed_device(request.user) is not None:
        # Already enrolled: a replacement needs staff (a lost phone is a reset, not a
        # second device an attacker with the password could add).
        if second_factor_verified(request.user):
            return HttpResponseRedirect(next_url)
        return _to("security:verify", next_url)
    device = enrolment_device(request.user)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if enrolment_confirm(request=request, token=form.cleaned_data["token"]):
            messages.success(request, _("两步验证已启用。"))
            return HttpResponseRedirect(next_url)
        form.add_error("token", _("验证码不正确或已过期，请输入应用中当前显示的验证码。"))
    secret = b32encode(device.bin_key).decode()
    qr_svg = segno.make(device.config_url, error="m").svg_inline(
        scale=4, dark="#000", light="#fff", title=_("两步验证二维码")
    )
    return render(
        request,
        "web/security/setup.html",
        {"form": form, "qr_svg": qr_svg, "secret": _grouped(secret), "next": next_url},
    )


@never_cache
@sensitive_post_parameters("token")
@login_required
def verify(request: HttpRequest) -> HttpResponse:
    """After the password: the code from the enrolled app."""
    next_url = _next_url(request)
    if confirmed_device(request.user) is None:
        return _to("security:setup", next_url)
    if second_factor_verified(request.user):
        return HttpResponseRedirect(next_url)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if second_factor_verify(request=request, token=form.cleaned_data["token"]):
            return HttpResponseRedirect(next_url)
        form.add_error("token", _("验证码不正确或已过期；多次出错后需等待更久才能再试。"))
    return render(request, "web/security/verify.html", {"form": form, "next": next_url})
