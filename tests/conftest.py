"""Shared fixtures: parties built through the same code paths the product uses."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def _fresh_calendar_cache():
    """Each test sees the calendar table as its own transaction left it."""
    from complaints import workdays

    workdays.clear_cache()
    yield
    workdays.clear_cache()


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Throttle counters and cached lookups do not leak from one test into the next."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _eager_celery(settings):
    from config.celery import app

    app.conf.task_always_eager = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    yield
    app.conf.task_always_eager = False


@pytest.fixture
def platform(db):
    from tests.factories import PlatformFactory

    return PlatformFactory(code="shop", name="好物商城", notice_email="notice@shop.example")


@pytest.fixture
def other_platform(db):
    from tests.factories import PlatformFactory

    return PlatformFactory(code="other", name="另一平台")


@pytest.fixture
def consumer(db):
    from tests.factories import UserFactory

    return UserFactory(
        username="zhangsan", role="consumer", display_name="张三", email="zhangsan@example.com"
    )


@pytest.fixture
def other_consumer(db):
    from tests.factories import UserFactory

    return UserFactory(username="lisi", role="consumer", display_name="李四")


@pytest.fixture
def staff(db):
    from tests.factories import UserFactory

    return UserFactory(username="staff1", role="staff", display_name="受理员王")


@pytest.fixture
def mediator(db):
    from tests.factories import UserFactory

    return UserFactory(username="mediator1", role="mediator", display_name="调解员赵")


@pytest.fixture
def regulator(db):
    from tests.factories import UserFactory

    return UserFactory(username="reg-sh", role="regulator", region_prefix="31")


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


def pytest_collection_modifyitems(config, items):
    """Tests marked `postgres` prove concurrency claims and run only against PostgreSQL."""
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)
