"""Login throttling and lock-out, in the authentication backend every login goes through.

The admin login, the web login (Django's LoginView) and therefore the API's session
all call `django.contrib.auth.authenticate()`, which asks `LockoutModelBackend`. It
takes a user name, a phone number (found by its keyed hash) or an e-mail address, and:

- a user name with `LOGIN_FAILURE_LIMIT` failed passwords within
  `LOGIN_FAILURE_WINDOW_SECONDS` (and none since its last login) is locked until the
  oldest of them is that old: a password guesser gets a few tries per window;
- a client address with `LOGIN_ADDRESS_FAILURE_LIMIT` failures within the window,
  whatever the user names, is refused likewise (one address spraying many accounts).

A locked attempt is refused before the password is checked, so it confirms nothing,
and it is recorded (`refused`) without counting: it does not extend the lock. The
failures are rows (`LoginFailure`), not cache entries, so every web process sees
the same counts and staff can read them in the admin. Unknown user names count like
known ones, so the answers do not tell which accounts exist.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django import forms
from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from complaints.models import LoginFailure, User

_PHONE = re.compile(r"\+?[0-9][0-9 -]{4,30}")


@dataclass(frozen=True)
class Lockout:
    """Why a login is refused, and until when."""

    reason: str  # "account" or "address"
    until: datetime


def client_address(request) -> str | None:
    """The client's address: the proxy's header named by LOGIN_CLIENT_ADDRESS_HEADER
    (e.g. HTTP_X_REAL_IP, set by nginx), else REMOTE_ADDR; None when not an address."""
    if request is None:
        return None
    header = getattr(settings, "LOGIN_CLIENT_ADDRESS_HEADER", "")
    value = request.META.get(header, "") if header else ""
    value = (value or request.META.get("REMOTE_ADDR", "")).split(",")[0].strip()
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def _window() -> timedelta:
    return timedelta(seconds=settings.LOGIN_FAILURE_WINDOW_SECONDS)


def _until(times: list[datetime], limit: int) -> datetime | None:
    """When fewer than `limit` of these failure times (newest first) fall in the window."""
    if limit <= 0 or len(times) < limit:
        return None
    return times[limit - 1] + _window()


def lockout_for(username: str, address: str | None) -> Lockout | None:
    """The lock on this user name or address now, if any."""
    now = timezone.now()
    since = now - _window()
    last_login = User.objects.filter(username=username).values_list("last_login", flat=True).first()
    if last_login is not None and last_login > since:
        since = last_login
    account = list(
        LoginFailure.objects.filter(username=username, refused=False, at__gt=since)
        .order_by("-at")
        .values_list("at", flat=True)[: settings.LOGIN_FAILURE_LIMIT]
    )
    until = _until(account, settings.LOGIN_FAILURE_LIMIT)
    if until is not None and until > now:
        return Lockout(reason="account", until=until)
    if address is None:
        return None
    by_address = list(
        LoginFailure.objects.filter(address=address, refused=False, at__gt=now - _window())
        .order_by("-at")
        .values_list("at", flat=True)[: settings.LOGIN_ADDRESS_FAILURE_LIMIT]
    )
    until = _until(by_address, settings.LOGIN_ADDRESS_FAILURE_LIMIT)
    if until is not None and until > now:
        return Lockout(reason="address", until=until)
    return None


def login_failure_record(*, username: str, address: str | None, refused: bool = False) -> None:
    LoginFailure.objects.create(username=username[:150], address=address, refused=refused)


# Cybersecurity Law art. 21: network logs are kept for at least six months.
FAILURE_RETENTION = timedelta(days=190)


def login_failures_purge(*, now: datetime | None = None) -> int:
    """Forget failed logins older than the retention (daily); how many rows went."""
    cutoff = (now or timezone.now()) - FAILURE_RETENTION
    deleted, _ = LoginFailure.objects.filter(at__lt=cutoff).delete()
    return deleted


def login_unlock(*, username: str) -> int:
    """Lift a user name's lock (staff, after checking who asks): its failures stop counting.

    The rows stay (they are the record of what happened); they are marked refused,
    which is what a lock-out ignores. Returns how many failures were lifted.
    """
    return LoginFailure.objects.filter(username=username, refused=False).update(refused=True)


def user_for_login(identifier: str) -> User | None:
    """The account a login names: its user name, else its phone number (by the keyed
    hash), else its e-mail address when exactly one account has it."""
    user = User.objects.filter(username=identifier).first()
    if user is None and _PHONE.fullmatch(identifier):
        matches = list(User.objects.with_phone(identifier)[:2])
        user = matches[0] if len(matches) == 1 else None
    if user is None and "@" in identifier:
        matches = list(User.objects.filter(email__iexact=identifier)[:2])
        user = matches[0] if len(matches) == 1 else None
    return user


class LockoutModelBackend(ModelBackend):
    """Django's ModelBackend behind the lock: log in by user name, phone or e-mail;
    refuse locked accounts and addresses; count failures."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(User.USERNAME_FIELD)
        if username is None or password is None:
            return None
        identifier = str(username).strip()
        user = user_for_login(identifier)
        # The lock belongs to the account, however it is named; else to what was typed.
        name = user.username if user is not None else identifier
        address = client_address(request)
        lock = lockout_for(name, address)
        if lock is not None:
            login_failure_record(username=name, address=address, refused=True)
            if request is not None:
                request.login_lockout = lock
            # authenticate() stops at PermissionDenied: no other backend is asked.
            raise PermissionDenied(f"login locked ({lock.reason}) until {lock.until}")
        if user is None:
            User().set_password(password)  # as long as a real check (ModelBackend's defence)
        elif user.check_password(password) and self.user_can_authenticate(user):
            return user
        login_failure_record(username=name, address=address)
        return None


class LockoutMessageMixin:
    """For an AuthenticationForm: say that the login is locked, and until when, instead
    of "wrong password" (the admin's login form and the web's use it)."""

    def get_invalid_login_error(self):
        lock = getattr(self.request, "login_lockout", None)
        if lock is None:
            return super().get_invalid_login_error()
        until = formats.time_format(timezone.localtime(lock.until), "H:i")
        if lock.reason == "address":
            message = _("来自该地址的登录失败次数过多，请于 %(time)s 后再试。")
        else:
            message = _("登录失败次数过多，该账号已被暂时锁定，请于 %(time)s 后再试。")
        return forms.ValidationError(message, code="locked_out", params={"time": until})
