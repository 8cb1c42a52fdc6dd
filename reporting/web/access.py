"""Who may open the regulator dashboard: regulators (of a region) and complaint-centre staff."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from complaints.choices import Role
from complaints.web.access import role_required

DASHBOARD_ROLES = (Role.REGULATOR, Role.STAFF)


def dashboard_required(view: Callable) -> Callable:
    """Anonymous -> login (302); other roles -> 403; a regulator without a region -> 403
    (an empty prefix would otherwise read as the whole country)."""

    @role_required(*DASHBOARD_ROLES)
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        if request.actor.role == Role.REGULATOR and not request.user.region_prefix:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def root_region(request: HttpRequest) -> str:
    """The widest region the reader may see: a regulator's prefix, "" (the country) for staff."""
    return request.user.region_prefix if request.actor.role == Role.REGULATOR else ""
