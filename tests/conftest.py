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
def _evidence_wiped_before_flush(request, django_db_blocker):
    """Transactional tests end with a flush, which the append-only triggers refuse.

    So such a test first empties the evidence tables itself, under the guard
    override (evidence.models.GuardOverride), leaving them empty for the flush.
    """
    marker = request.node.get_closest_marker("django_db")
    transactional = bool(marker and marker.kwargs.get("transaction")) or bool(
        {"transactional_db", "live_server"} & set(request.fixturenames)
    )
    if not transactional:
        yield
        return
    request.getfixturevalue("_django_db_helper")  # set up first, so torn down after us
    yield
    from django.db import connection, transaction

    with django_db_blocker.unblock(), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("INSERT INTO evidence_guardoverride (reason) VALUES ('test teardown')")
        cursor.execute("DELETE FROM evidence_evidenceretention")  # points at purge records
        for table in (
            "evidence_checkpointtimestamp",
            "evidence_checkpoint",
            "evidence_logleaf",
            "evidence_evidencerecord",
        ):
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608 (fixed names)
        cursor.execute("DELETE FROM evidence_guardoverride")


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
def staff_user(staff):
    """A complaint-centre staff member as `create_user --role staff` makes one (admin access)."""
    staff.is_staff = True
    staff.save(update_fields=["is_staff"])
    return staff


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


def admin_messages(response) -> list[tuple[int, str]]:
    """The (level, text) of the messages the admin showed on `response`."""
    from django.contrib.messages import get_messages

    return [(m.level, str(m)) for m in get_messages(response.wsgi_request)]


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
