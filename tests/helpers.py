"""Helpers and constants the tests share (fixtures live in conftest.py)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from io import StringIO
from zoneinfo import ZoneInfo

from django.core.management import call_command

SHANGHAI = ZoneInfo("Asia/Shanghai")
PROBLEM = "application/problem+json"
# The smallest thing the upload sniffer takes for a PNG: its signature and some bytes.
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256))


def at(y: int, m: int, d: int, hh: int = 10, mm: int = 0) -> datetime:
    """An aware datetime in Shanghai time."""
    return datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


FILING = {
    "merchant_name": "优选数码专营店",
    "order_number": "SO-2026-0001",
    "order_date": date(2026, 11, 1),
    "category": "electronics",
    "issue_type": "quality",
    "amount_paid": Decimal("1299.00"),
    "amount_claimed": Decimal("1299.00"),
    "demand": "refund",
    "description": "收到的蓝牙耳机左耳无声，联系客服七天未处理。",
    "region": "310115",
}


def admin_messages(response) -> list[tuple[int, str]]:
    """The (level, text) of the messages the admin showed on `response`."""
    from django.contrib.messages import get_messages

    return [(m.level, str(m)) for m in get_messages(response.wsgi_request)]


def run_command(name: str, *args, **options) -> str:
    """Run a management command; return what it printed."""
    out = StringIO()
    call_command(name, *args, stdout=out, stderr=StringIO(), **options)
    return out.getvalue()
