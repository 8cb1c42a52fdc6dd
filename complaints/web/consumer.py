"""The consumer's pages: my complaints, the filing wizard, one complaint and its actions."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from complaints.choices import Role
from complaints.selectors import complaints_visible_to
from complaints.web.access import role_required


@role_required(Role.CONSUMER)
def complaint_list(request: HttpRequest) -> HttpResponse:
    """My complaints, newest first."""
    complaints = complaints_visible_to(request.actor).order_by("-created_at")
    return render(request, "web/consumer/complaint_list.html", {"complaints": complaints})
