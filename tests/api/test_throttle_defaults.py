"""The platform key's default rate lets an integration work its queue at full speed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rest_framework.throttling import SimpleRateThrottle

from api.keys import api_key_create
from api.throttling import PlatformKeyRateThrottle
from tests.api.clients import client_for

ROOT = Path(__file__).resolve().parents[2]


def parse(rate: str) -> tuple[int, int]:
    return SimpleRateThrottle.parse_rate(None, rate)  # a pure function of the text


def per_second(rate: str) -> float:
    count, duration = parse(rate)
    return count / duration


def test_the_default_key_rate_is_above_the_lists_200_requests_a_second():
    # what config/settings.py falls back to, and what .env.example shows operators
    default = re.search(
        r'"THROTTLE_PLATFORM_KEY", "([^"]+)"', (ROOT / "config/settings.py").read_text()
    ).group(1)
    example = re.search(
        r"^THROTTLE_PLATFORM_KEY=(\S+)$", (ROOT / ".env.example").read_text(), re.M
    ).group(1)
    assert default == example
    assert per_second(default) >= 200
    # a short window: the throttle rewrites one timestamp per request of it each time
    assert parse(default)[1] == 1


@pytest.mark.django_db
def test_a_key_at_200_requests_a_second_is_not_throttled(platform, monkeypatch, time_machine):
    # given the default rate and a clock that does not move: 200 requests in one instant
    monkeypatch.setitem(
        SimpleRateThrottle.THROTTLE_RATES,
        "platform_key",
        re.search(
            r'"THROTTLE_PLATFORM_KEY", "([^"]+)"', (ROOT / "config/settings.py").read_text()
        ).group(1),
    )
    time_machine.move_to("2026-12-01T10:00:00+08:00", tick=False)
    client = client_for(api_key=api_key_create(platform=platform, name="busy")[1])
    assert PlatformKeyRateThrottle.scope == "platform_key"
    statuses = {client.get("/api/v1/complaints/").status_code for _ in range(200)}
    assert statuses == {200}
