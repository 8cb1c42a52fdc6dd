"""Web page fixtures: a logged-in test client per role, and the two languages."""

from __future__ import annotations

import pytest
from django.test import Client

ROLES = ("consumer", "staff", "mediator", "platform", "regulator")


@pytest.fixture
def role_user(db, platform):
    """role_user("mediator") -> a fresh active user of that role (one per role and name)."""
    from tests.factories import UserFactory

    def make(role: str, username: str | None = None, **fields):
        extra = {}
        if role == "platform":
            extra["platform"] = platform
        if role == "regulator":
            extra["region_prefix"] = "31"
        return UserFactory(username=username or f"web-{role}", role=role, **{**extra, **fields})

    return make


@pytest.fixture
def client_for(role_user):
    """client_for("staff") -> a Client logged in as a user of that role (or the user given)."""

    def make(role: str | None = None, *, user=None, language: str | None = None) -> Client:
        client = Client()
        user = user or role_user(role)
        client.force_login(user)
        _pass_second_factor(client, user)
        if language:
            from django.conf import settings

            client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        return client

    return make


def _pass_second_factor(client: Client, user) -> None:
    """Roles that must prove a second factor (complaints/security/twofactor.py) get a
    session that has proved it, as after a real TOTP check."""
    try:
        from complaints.security.twofactor import mark_session_verified, second_factor_required
    except ImportError:  # the security layer is not there (yet): nothing to pass
        return
    if second_factor_required(user):
        session = client.session
        mark_session_verified(session, user)
        session.save()


@pytest.fixture(params=["zh-hans", "en"])
def language(request) -> str:
    """Run the test once per language; pass it to client_for(..., language=language)."""
    return request.param
