"""Structured logs: one JSON object per line, with the request's id."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def console():
    """What the configured console handler (settings.LOGGING) writes, as a string buffer."""
    handler = next(h for h in logging.getLogger().handlers if h.name == "console")
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    yield buffer
    handler.setStream(previous)


def _lines(buffer: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]


@pytest.mark.django_db
def test_a_request_logs_one_json_access_line_with_its_request_id(client, console):
    # when a request comes in with the proxy's request id
    response = client.get("/healthz", HTTP_X_REQUEST_ID="edge-7f3a9c01")
    # then the answer echoes it and the log has one JSON access line carrying it
    assert response["X-Request-ID"] == "edge-7f3a9c01"
    access = [line for line in _lines(console) if line["logger"] == "weiquan.access"]
    assert len(access) == 1
    line = access[0]
    assert line["request_id"] == "edge-7f3a9c01"
    assert line["level"] == "INFO"
    assert (line["method"], line["path"], line["status"]) == ("GET", "/healthz", 200)
    assert isinstance(line["duration_ms"], float | int) and line["duration_ms"] >= 0
    assert line["time"].endswith("Z")
    assert datetime.fromisoformat(line["time"]).utcoffset().total_seconds() == 0
    assert "message" in line


@pytest.mark.django_db
def test_lines_logged_inside_a_request_carry_its_generated_id(client, console):
    # given no incoming id: the service makes one, and every line of the request has it
    response = client.get("/api/v1/complaints/TS-NOPE/", HTTP_ACCEPT="application/json")
    request_id = response["X-Request-ID"]
    lines = [line for line in _lines(console) if line.get("path") == "/api/v1/complaints/TS-NOPE/"]
    assert lines and all(line["request_id"] == request_id for line in lines)
    # and the 4xx is logged by Django too, under the same id
    assert any(
        line["logger"] == "django.request" and line["request_id"] == request_id
        for line in _lines(console)
    )


def test_server_errors_are_logged_with_the_traceback_as_one_line(console):
    logger = logging.getLogger("weiquan.test")
    try:
        raise ValueError("boom")
    except ValueError:
        logger.exception("it broke", extra={"complaint": "TS202611220001"})
    (line,) = _lines(console)
    assert line["level"] == "ERROR"
    assert line["message"] == "it broke"
    assert line["complaint"] == "TS202611220001"
    assert "ValueError: boom" in line["exc_info"]
    assert line["request_id"] == "-"


def test_log_format_plain_is_used_in_development(tmp_path):
    """DEBUG on (as under `make run`) means plain lines; LOG_FORMAT overrides either way."""
    script = (
        "import django, logging; django.setup();"
        "logging.getLogger('weiquan.test').warning('hello %s', 'world')"
    )
    base = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "WEIQUAN_VAR_DIR": str(tmp_path),
    }
    base.pop("LOG_FORMAT", None)
    runs = {
        "debug": {**base, "DEBUG": "1"},
        "production": {**base, "DEBUG": "0", "SECRET_KEY": "k" * 60},
        "forced-plain": {**base, "DEBUG": "0", "SECRET_KEY": "k" * 60, "LOG_FORMAT": "plain"},
    }
    out = {}
    for name, env in runs.items():
        result = subprocess.run(  # noqa: S603 - our own interpreter and script
            [sys.executable, "-c", script], env=env, cwd=ROOT, capture_output=True, text=True
        )
        assert result.returncode == 0, result.stderr
        out[name] = result.stderr.strip().splitlines()[-1]
    assert "WARNING weiquan.test [-] hello world" in out["debug"]
    assert json.loads(out["production"])["message"] == "hello world"
    assert "WARNING weiquan.test [-] hello world" in out["forced-plain"]
