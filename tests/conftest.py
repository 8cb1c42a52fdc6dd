"""Shared fixtures: parties built through the same code paths the product uses."""

from __future__ import annotations

import pytest


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
    override (evidence.models.GuardOverride), and the personal data access log
    (on SQLite), leaving them empty for the flush.
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
        # Rows elsewhere that point at evidence (an issued agreement's PDF, a report's
        # files) go first, or the foreign keys refuse the commit; the flush follows anyway.
        for table in _tables_pointing_at("evidence"):
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608 (names from the models)
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
        if connection.vendor == "sqlite":
            # SQLite's flush deletes rows, which the access log refuses (PostgreSQL's
            # truncates): lift its delete trigger around the wipe.
            from importlib import import_module

            guard = import_module("complaints.migrations.0011_access_log_append_only")
            cursor.execute(guard.SQLITE_DROP_NO_DELETE)
            cursor.execute(f"DELETE FROM {guard.TABLE}")  # noqa: S608 (a fixed name)
            cursor.execute(guard.SQLITE_NO_DELETE)


def _tables_pointing_at(app_label: str) -> list[str]:
    """Tables of other apps whose rows point at `app_label`'s rows, directly or through
    another such table (an agreement's confirmations point at the agreement)."""
    from django.apps import apps

    targets = {
        m._meta.db_table
        for m in apps.get_app_config(app_label).get_models()
        if m._meta.managed and not m._meta.proxy
    }
    found: list[str] = []
    grew = True
    while grew:
        grew = False
        for model in apps.get_models():
            table = model._meta.db_table
            if table in targets or table in found:
                continue
            if any(
                field.is_relation
                and (field.many_to_one or field.one_to_one)
                and field.related_model._meta.db_table in targets.union(found)
                for field in model._meta.concrete_fields
            ):
                found.append(table)
                grew = True
    return found


@pytest.fixture(autouse=True)
def _own_evidence_files(settings, tmp_path):
    """Each test stores evidence files in a directory of its own: files outlive the rolled
    back transaction, and a test that damages one must not damage another's."""
    settings.STORAGES = {
        **settings.STORAGES,
        "evidence": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "evidence", "base_url": None},
        },
    }


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Throttle counters and cached lookups do not leak from one test into the next."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _second_factor_on_login(monkeypatch):
    """Tests log in as people do after the second factor: `client.force_login(user)` and
    `client.login(...)` also mark the session OTP-verified for the roles that need it
    (complaints/security/twofactor.py), so tests about something else need not enrol.
    Tests of the enforcement itself pass `otp_verified=False` (tests/complaints/security).
    """
    from django.test.client import ClientMixin

    from complaints.security.twofactor import mark_session_verified, second_factor_required

    force_login, login = ClientMixin.force_login, ClientMixin.login

    def verify(client, user) -> None:
        if second_factor_required(user):
            session = client.session
            mark_session_verified(session, user)
            session.save()

    def verified_force_login(self, user, backend=None, *, otp_verified=True):
        force_login(self, user, backend)
        if otp_verified:
            verify(self, user)

    def verified_login(self, *, otp_verified=True, **credentials):
        logged_in = login(self, **credentials)
        if logged_in and otp_verified:
            from django.contrib.auth import SESSION_KEY

            from complaints.models import User

            verify(self, User.objects.get(pk=self.session[SESSION_KEY]))
        return logged_in

    monkeypatch.setattr(ClientMixin, "force_login", verified_force_login)
    monkeypatch.setattr(ClientMixin, "login", verified_login)


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


@pytest.fixture
def quick_certificate(monkeypatch):
    """Skip rendering the package's certificate PDF (seconds each) where the test is about
    something else; tests/evidence/test_certificate.py renders and reads it for real."""
    monkeypatch.setattr("evidence.package.certificate_pdf", lambda **kwargs: b"%PDF-1.7 stub")


@pytest.fixture
def quick_documents(monkeypatch):
    """Skip rendering and signing agreement and notice PDFs (a second or two each) where the
    test is about something else; tests/mediation renders, signs and reads them for real."""
    monkeypatch.setattr("mediation.documents.agreement_pdf", lambda doc: b"%PDF-1.7 agreement")
    monkeypatch.setattr("mediation.documents.notice_pdf", lambda doc: b"%PDF-1.7 notice")
    monkeypatch.setattr("mediation.signing.sign_pdf", lambda data, **kwargs: data)


@pytest.fixture
def superuser(db):
    from tests.factories import UserFactory

    return UserFactory(username="root", role="staff", is_staff=True, is_superuser=True)


@pytest.fixture
def superuser_client(superuser):
    """A logged-in superuser, on a client of its own (not the `client` fixture)."""
    from django.test import Client

    client = Client()
    client.force_login(superuser)
    return client


@pytest.fixture
def mediator(db):
    from tests.factories import UserFactory

    return UserFactory(username="mediator1", role="mediator", display_name="调解员赵")


@pytest.fixture
def regulator(db):
    from tests.factories import UserFactory

    return UserFactory(username="reg-sh", role="regulator", region_prefix="31")


def pytest_collection_modifyitems(config, items):
    """Tests marked `postgres` prove concurrency claims and run only against PostgreSQL."""
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)
