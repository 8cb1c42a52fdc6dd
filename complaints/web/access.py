"""Who may open a web page: the role guard, the request's domain actor, scoped lookups.

Anonymous visitors are sent to the login page (302); a signed-in user of another role
gets the 403 page; an object outside the actor's scope is a 404, so its existence is
not revealed. Scoping is decided in one place only, `complaints.selectors`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest

from complaints.actors import Actor
from complaints.choices import Role
from complaints.models import Complaint
from complaints.selectors import complaints_visible_to


def actor_of(request: HttpRequest) -> Actor:
    """The domain actor of the signed-in user (cached on the request)."""
    actor = getattr(request, "_weiquan_actor", None)
    if actor is None:
        actor = Actor.of_user(request.user)
        request._weiquan_actor = actor
    return actor


def has_role(request: HttpRequest, roles: tuple[str, ...]) -> bool:
    """True when the request's user is active and acts in one of `roles`."""
    user = request.user
    return bool(user.is_authenticated and user.is_active and user.role in roles)


def check_roles(request: HttpRequest, roles: tuple[str, ...]) -> None:
    """Raise PermissionDenied (the 403 page) unless the user acts in one of `roles`."""
    if not has_role(request, roles):
        raise PermissionDenied


def role_required(*roles: str) -> Callable:
    """Decorate a view: anonymous -> login (302), another role -> 403 page.

    Sets `request.actor` (complaints.actors.Actor) for the view.
    """
    unknown = set(roles) - set(Role.values)
    if not roles or unknown:
        raise ValueError(f"role_required needs known roles, not {sorted(unknown) or roles}")

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            check_roles(request, roles)
            request.actor = actor_of(request)
            return view(request, *args, **kwargs)

        wrapper.allowed_roles = tuple(roles)
        return wrapper

    return decorator


class RoleRequiredMixin:
    """The same guard for class-based views: set `allowed_roles = (Role.STAFF, ...)`."""

    allowed_roles: tuple[str, ...] = ()

    def dispatch(self, request: HttpRequest, *args, **kwargs):
        if not self.allowed_roles:
            raise ValueError(f"{type(self).__name__} must set allowed_roles")
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        check_roles(request, self.allowed_roles)
        request.actor = actor_of(request)
        return super().dispatch(request, *args, **kwargs)


def visible_complaint_or_404(request: HttpRequest, reference: str) -> Complaint:
    """The complaint `reference` if the request's actor may see it, else 404."""
    complaint = complaints_visible_to(actor_of(request)).filter(reference=reference).first()
    if complaint is None:
        raise Http404
    return complaint
