"""Who may open the platform console: a platform user whose account names its platform."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from complaints.choices import Role
from complaints.web.access import role_required


def console_required(view: Callable) -> Callable:
    """Anonymous -> login (302); another role, or a platform user without an
    active platform -> 403.

    Sets `request.actor` (its `platform` is the user's) and `request.platform`.
    """

    @role_required(Role.PLATFORM)
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        platform = request.actor.platform
        if platform is None or not platform.is_active:
            raise PermissionDenied
        request.platform = platform
        return view(request, *args, **kwargs)

    return wrapper
