"""Template context for every web page: the role's navigation and the home link."""

from __future__ import annotations

from django.http import HttpRequest


def web(request: HttpRequest) -> dict:
    """`web_role` and `web_nav_templates` (web/nav/<role>.html, or none for visitors)."""
    user = getattr(request, "user", None)
    role = user.role if user is not None and user.is_authenticated else "anonymous"
    return {
        "web_role": role,
        # The first that exists is included: each app ships the navigation of its role
        # (web/nav/staff.html, web/nav/mediator.html, ...); web/nav/none.html is empty.
        "web_nav_templates": [f"web/nav/{role}.html", "web/nav/none.html"],
    }
