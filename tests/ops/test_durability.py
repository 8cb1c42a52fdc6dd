"""The deploy check refuses a PostgreSQL that may lose acknowledged commits."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.db import connection


def deploy_check(*extra: str) -> str:
    """`check --deploy --database default --tag database --fail-level ERROR`; its output."""
    out = StringIO()
    call_command(
        "check",
        "--deploy",
        "--database",
        "default",
        "--tag",
        "database",
        "--fail-level",
        "ERROR",
        *extra,
        stdout=out,
        stderr=out,
    )
    return out.getvalue()


@pytest.mark.postgres
@pytest.mark.django_db
def test_durability_check_passes_on_the_ci_server():
    assert "no issues" in deploy_check()


@pytest.mark.postgres
@pytest.mark.django_db
def test_durability_check_fails_when_synchronous_commit_is_off():
    # given a session whose commits return before they reach the disk
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit = off")
    try:
        # when the deploy check runs, then it stops with weiquan.E002
        with pytest.raises(SystemCheckError) as failed:
            deploy_check()
        assert "weiquan.E002" in str(failed.value)
        assert "synchronous_commit is 'off'" in str(failed.value)
        assert "weiquan.E001" not in str(failed.value)  # fsync is still on
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET synchronous_commit")


@pytest.mark.django_db
def test_durability_check_asks_nothing_of_sqlite_or_without_a_database(settings):
    if connection.vendor == "postgresql":
        # without --database the check touches no database at all (build machines)
        out = StringIO()
        call_command("check", "--deploy", "--tag", "database", stdout=out, stderr=out)
        assert "no issues" in out.getvalue()
    else:
        assert "no issues" in deploy_check()
