"""Pages every role shares: the home page, which sends each role to its own start page."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse

from complaints.choices import Role


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
