"""Browser tests (marker `e2e`): Debian's Chromium driven by Playwright against a live server.

- `live_server` is pytest-django's: the server runs in a thread of the test process, so
  data the test makes must be committed (`E2E_DB` below: a transactional test, with the
  seeded regions and calendar restored after its flush), and Celery's eager mode and the
  locmem mail outbox of the test process apply to it too.
- The browser is /usr/bin/chromium (Debian's package, installed by `make system-deps`;
  Playwright's own browser download is never used), headless, started by the first
  browser call of a test and stopped at its end. Not once per session: while
  Playwright's sync API runs, it keeps an asyncio loop running in the main thread, and
  Django then keys its database connections by async context, so ORM calls of the test
  get connections of their own (harmless: the live server sees the same committed data),
  but the test database's flush and serialized-rollback restore at the end of a test
  would also run on such a new connection, which lacks the serialized data: the next
  transactional test would then find no regions. So Playwright stops (closing those
  connections) before pytest-django's teardown. A launch costs a second or two.
- Django refuses ORM calls from a thread with a running loop (SynchronousOnlyOperation);
  the test code and the server never run at the same time here (Playwright waits for
  each answer), so DJANGO_ALLOW_ASYNC_UNSAFE is set exactly while Playwright runs.
- Every page a test looks at is saved as a screenshot at phone width (375×812) and at
  desktop width (1280×800): var/e2e-screenshots/<test>/<NN>-<step>-<phone|desktop>.png
  (E2E_SCREENSHOT_DIR overrides the directory; var/ is ignored by git).
"""

from __future__ import annotations

import os
import re
import shutil
from base64 import b32decode
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOT_ROOT = Path(os.environ.get("E2E_SCREENSHOT_DIR") or ROOT / "var" / "e2e-screenshots")
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 800}
# A password the validators accept (length 10, three character classes).
PASSWORD = "Weiquan-e2e-2026"
# Each Playwright action or navigation waits at most this long (ms): long enough for a
# loaded two-core machine, short enough that a missing element fails the test quickly.
TIMEOUT_MS = 20_000
ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"
# Transactional (the live server's thread must see the data), and the regions and the
# calendar that migrations seeded are back after the flush, for the tests that follow.
E2E_DB = pytest.mark.django_db(transaction=True, serialized_rollback=True)
# Flags as Debian's Chromium runs headless on a closed network: no background calls out.
CHROMIUM_ARGS = [
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]


class Chromium:
    """Playwright and one headless Chromium for one test, started on first use."""

    def __init__(self) -> None:
        self._playwright = None
        self._browser = None
        self._async_unsafe_before: str | None = None

    @property
    def playwright(self):
        if self._playwright is None:
            self._start()
        return self._playwright

    @property
    def browser(self):
        if self._browser is None:
            self._start()
        return self._browser

    def _start(self) -> None:
        if not CHROMIUM.exists():
            message = (
                f"{CHROMIUM} is missing: install Debian's `chromium` package "
                "(`make system-deps` does, as root)"
            )
            if os.environ.get("CI"):
                pytest.fail(f"{message}; CI installs it, so this is an error here")
            pytest.skip(message)
        from playwright.sync_api import sync_playwright

        self._async_unsafe_before = os.environ.get(ASYNC_UNSAFE)
        os.environ[ASYNC_UNSAFE] = "true"
        self._playwright = sync_playwright().start()
        args = list(CHROMIUM_ARGS)
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            args.append("--no-sandbox")  # Chromium's sandbox refuses to run as root
        self._browser = self._playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=args
        )

    def stop(self) -> None:
        if self._playwright is None:
            return
        from django.db import connections

        if self._browser is not None:
            self._browser.close()
            self._browser = None
        # The connections the test opened while the loop ran (see the module docstring).
        connections.close_all()
        self._playwright.stop()
        self._playwright = None
        if self._async_unsafe_before is None:
            os.environ.pop(ASYNC_UNSAFE, None)
        else:
            os.environ[ASYNC_UNSAFE] = self._async_unsafe_before


@pytest.fixture
def chromium(live_server):
    """Playwright and a headless Chromium for this test, stopped before the test's
    database is flushed (the fixtures the test database needs are set up earlier)."""
    handle = Chromium()
    yield handle
    handle.stop()


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-")[:120] or "step"


@dataclass
class Screenshots:
    """Saves each page at both widths under one directory per test, numbered in order."""

    directory: Path
    taken: list[Path] = field(default_factory=list)

    def __call__(self, page, step: str) -> None:
        """Save `page` as it is now at phone and desktop width; restore its viewport."""
        number = len(self.taken) // 2 + 1
        before = page.viewport_size
        for name, size in (("phone", PHONE), ("desktop", DESKTOP)):
            page.set_viewport_size(size)
            path = self.directory / f"{number:02d}-{_slug(step)}-{name}.png"
            page.screenshot(path=str(path), full_page=True)
            self.taken.append(path)
        if before:
            page.set_viewport_size(before)


@pytest.fixture
def screenshots(request) -> Screenshots:
    """shoot = screenshots; shoot(page, "consumer-signup") after each page the test sees."""
    directory = SCREENSHOT_ROOT / _slug(request.node.name)
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True, exist_ok=True)
    return Screenshots(directory)


@dataclass
class Visitor:
    """One person at one browser (a context of their own: cookies, session, language)."""

    name: str
    page: object
    base_url: str
    shoot: Screenshots
    # What the pages asked with window.confirm (data-confirm forms); each is accepted.
    questions: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        def accept(dialog) -> None:
            self.questions.append(dialog.message)
            dialog.accept()

        self.page.on("dialog", accept)

    def go(self, path: str, step: str | None = None):
        """Open `path` on the live server; with `step`, screenshot the page (both widths)."""
        response = self.page.goto(self.base_url + path)
        assert response is not None and response.ok, f"{self.name}: GET {path} -> {response}"
        if step:
            self.snap(step)
        return response

    def snap(self, step: str) -> None:
        self.shoot(self.page, f"{self.name}-{step}")

    @property
    def path(self) -> str:
        """The current page's path (and query), without the server's address."""
        return self.page.url.removeprefix(self.base_url)

    def csrf_token(self) -> str:
        cookies = self.page.context.cookies(self.base_url)
        from django.conf import settings

        return next(c["value"] for c in cookies if c["name"] == settings.CSRF_COOKIE_NAME)

    def session_of(self, user, *, verified: bool = True, **session_data) -> None:
        """Be `user` without the login pages (for tests about something else): the session
        Django's test client makes (second factor passed unless `verified=False`), plus
        `session_data`, as this browser's session cookie."""
        from django.conf import settings
        from django.test import Client

        client = Client()
        client.force_login(user, otp_verified=verified)
        if session_data:
            session = client.session
            session.update(session_data)
            session.save()
        cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
        self.page.context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": self.base_url}]
        )

    def log_in(self, username: str, password: str = PASSWORD, *, snap: bool = True) -> None:
        """Log in through the login page, then pass the second factor on its pages when
        the role needs one: enrol with the secret the setup page shows (as a person types
        it into an authenticator app), or enter the code of the enrolled device.
        `snap=False`: no screenshots of these pages (another person's already show them)."""
        self.go("/accounts/login/", "login" if snap else None)
        self.page.fill("#id_username", username)
        self.page.fill("#id_password", password)
        with self.page.expect_navigation():
            self.page.click("#login-submit")
        if self.path.startswith("/accounts/2fa/setup/"):
            if snap:
                self.snap("2fa-setup")
            secret = self.page.text_content("#twofactor-secret") or ""
            self.page.fill("#id_token", totp_from_secret(secret))
            with self.page.expect_navigation():
                self.page.click("#twofactor-setup-submit")
        elif self.path.startswith("/accounts/2fa/verify/"):
            if snap:
                self.snap("2fa-verify")
            self.page.fill("#id_token", totp_of_user(username))
            with self.page.expect_navigation():
                self.page.click("#twofactor-verify-submit")
        assert not self.path.startswith("/accounts/"), f"{username} not logged in: {self.path}"


def totp_from_secret(secret: str) -> str:
    """The current six-digit code for a base32 secret as the enrolment page shows it."""
    from django_otp.oath import totp

    return f"{totp(b32decode(secret.replace(' ', '').upper())):06d}"


def totp_of_user(username: str) -> str:
    """The current code of `username`'s confirmed authenticator (django-otp TOTPDevice)."""
    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.get(user__username=username, confirmed=True)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


@pytest.fixture
def visitor(chromium, live_server, screenshots, settings):
    """visitor("consumer") -> a Visitor in a fresh browser context, at phone width by
    default (`desktop=True` for the workbench roles); contexts close after the test."""
    contexts = []

    def make(name: str, *, desktop: bool = False, language: str | None = None) -> Visitor:
        context = chromium.browser.new_context(
            viewport=DESKTOP if desktop else PHONE,
            locale="en-US" if language == "en" else "zh-CN",
            accept_downloads=True,
        )
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        if language:
            context.add_cookies(
                [
                    {
                        "name": settings.LANGUAGE_COOKIE_NAME,
                        "value": language,
                        "url": live_server.url,
                    }
                ]
            )
        contexts.append(context)
        return Visitor(name, context.new_page(), live_server.url, screenshots)

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def api_client(chromium, live_server):
    """api_client(key) -> Playwright's request context speaking to the API as a platform
    (Authorization: Api-Key ...), as an integrator's server would."""
    contexts = []

    def make(key: str):
        context = chromium.playwright.request.new_context(
            base_url=live_server.url,
            extra_http_headers={"Authorization": f"Api-Key {key}", "Accept": "application/json"},
            timeout=TIMEOUT_MS,
        )
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.dispose()
