"""Security headers, the Content Security Policy, and `check --deploy` under production settings."""

from __future__ import annotations

import base64
import hashlib
import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders

ROOT = Path(__file__).resolve().parents[2]


class _Page(HTMLParser):
    """The scripts, stylesheets, inline styles and style attributes of an HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.sources: list[str] = []
        self.inline_scripts: list[str] = []
        self.inline_styles: list[str] = []
        self.style_attributes: list[str] = []
        self._in: str | None = None
        self._script_type = ""

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "style" in attrs:
            self.style_attributes.append(attrs["style"])
        if tag == "script":
            if attrs.get("src"):
                self.sources.append(attrs["src"])
            else:
                self._in, self._script_type = "script", attrs.get("type", "")
                self.inline_scripts.append("")
        elif tag == "link" and attrs.get("href"):
            self.sources.append(attrs["href"])
        elif tag == "img" and attrs.get("src"):
            self.sources.append(attrs["src"])
        elif tag == "style":
            self._in = "style"
            self.inline_styles.append("")

    def handle_endtag(self, tag):
        if tag == self._in:
            if tag == "script" and self._script_type in {"application/json"}:
                self.inline_scripts.pop()  # a data block, never executed
            self._in = None

    def handle_data(self, data):
        if self._in == "script":
            self.inline_scripts[-1] += data
        elif self._in == "style":
            self.inline_styles[-1] += data


def _parse(response) -> _Page:
    page = _Page()
    page.feed(response.content.decode())
    return page


def _csp(response) -> dict[str, list[str]]:
    policy = {}
    for directive in response["Content-Security-Policy"].split(";"):
        name, *values = directive.split()
        policy[name] = values
    return policy


def _same_origin_static(src: str) -> bool:
    return src.startswith("/") and not src.startswith("//")


@pytest.mark.django_db
def test_pages_carry_the_security_headers(client):
    # when a page is fetched over HTTPS
    response = client.get("/admin/login/", secure=True)
    assert response.status_code == 200
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    policy = _csp(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]  # no 'unsafe-inline', no 'unsafe-eval'
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]


@pytest.mark.django_db
def test_the_admin_login_page_loads_nothing_the_policy_blocks(client):
    page = _parse(client.get("/admin/login/", secure=True))
    assert page.sources and all(_same_origin_static(src) for src in page.sources), page.sources
    assert page.inline_scripts == []
    assert page.inline_styles == []
    assert page.style_attributes == []


@pytest.mark.django_db
def test_swagger_ui_is_served_from_our_static_files_under_the_policy(client):
    # when the interactive API docs are opened
    response = client.get("/api/docs/", secure=True)
    assert response.status_code == 200
    page = _parse(response)
    policy = _csp(response)
    # then every script and stylesheet is ours (the sidecar), none from a CDN, and exists
    assert page.sources, "Swagger UI page loads nothing?"
    for src in page.sources:
        assert _same_origin_static(src), src
        if src.startswith("/static/"):
            assert finders.find(src.removeprefix("/static/")), f"missing static file {src}"
    # and no inline script: the start-up script is a separate same-origin file
    assert page.inline_scripts == []
    script = next(src for src in page.sources if "script" in src and "/static/" not in src)
    boot = client.get(script, secure=True)
    assert boot.status_code == 200
    assert boot["Content-Type"].startswith("application/javascript")
    assert b"SwaggerUIBundle" in boot.content
    # and the one inline <style> is allowed by its hash (an upgrade that changes it fails here)
    for style in page.inline_styles:
        digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in policy["style-src"], "update SWAGGER_INLINE_STYLE_HASH"
    assert "data:" in policy["img-src"]  # Swagger UI's icons are data: URIs in its CSS


def _production_env(tmp_path, **extra) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        # Defaults that config.settings_test put into this process's environment.
        if key not in {"SECRET_KEY", "WEBHOOK_ALLOW_PRIVATE_URLS", "SECURE_SSL_REDIRECT"}
        and not key.startswith(("SECURE_", "SESSION_", "CSRF_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="0",
        SECRET_KEY="Zq8" + "x7Kp2mWv9LtR4nYb" * 4,
        ALLOWED_HOSTS="weiquan.example.cn",
        WEIQUAN_VAR_DIR=str(tmp_path),
        **extra,
    )
    return env


def test_check_deploy_is_clean_under_production_settings(tmp_path):
    # given production settings: DEBUG off, a strong SECRET_KEY, ALLOWED_HOSTS set
    env = _production_env(tmp_path)
    # when the deploy checks run, failing on any warning
    result = subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    # then there is nothing to report
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert not re.search(r"\?: \(|WARNINGS:|ERRORS:", result.stdout + result.stderr)


def test_check_deploy_reports_a_site_served_without_https(tmp_path):
    """The same check fails when production is told not to redirect to HTTPS."""
    env = _production_env(tmp_path, SECURE_SSL_REDIRECT="0", SECURE_COOKIES="0")
    result = subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "security.W008" in result.stderr
    assert "security.W012" in result.stderr
