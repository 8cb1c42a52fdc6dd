"""Pages every role shares: the home page, which sends each role to its own start page."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.views import i18n
from django.views.decorators.http import require_POST

from complaints.choices import Role
from complaints.models.preferences import remember_language


def role_home_url(role: str) -> str | None:
    """The start page of `role`: the URL named `<role>:home` (each role's pages define it)."""
    if role == Role.CONSUMER:
        return reverse("consumer:complaint_list")
    try:
        return reverse(f"{role}:home")
    except NoReverseMatch:
        return None


def home(request: HttpRequest) -> HttpResponse:
    """Visitors see what the service does; a signed-in user goes to their role's start page."""
    if request.user.is_authenticated:
        url = role_home_url(request.user.role)
        if url:
            return redirect(url)
    return render(request, "web/home.html")


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Django's set_language (the language cookie), and for a signed-in user also their
    preference, so that emails reach them in the language they chose."""
    response = i18n.set_language(request)
    if request.user.is_authenticated:
        remember_language(request.user, request.POST.get("language", ""))
    return response
