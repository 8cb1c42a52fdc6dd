"""The core's management commands: create_platform, create_user, sweep_deadlines."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management.base import CommandError
from django.utils import timezone

from complaints.models import Complaint, ComplaintEvent, Platform, User
from complaints.services import complaint_file
from tests.helpers import FILING, at, run_command

# create_platform


@pytest.mark.django_db
def test_create_platform_with_a_cap_records_the_commitment():
    # when a platform is registered with a compensation cap
    out = run_command(
        "create_platform",
        "shop",
        "--name",
        "好物商城",
        "--advance-compensation-cap",
        "5000",
        "--response-days",
        "7",
        "--notice-email",
        "notice@shop.example",
    )
    # then the cap is a Decimal to the fen and implies the commitment
    platform = Platform.objects.get(code="shop")
    assert platform.name == "好物商城"
    assert platform.advance_compensation_committed is True
    assert platform.advance_compensation_cap == Decimal("5000.00")
    assert platform.response_days == 7
    assert platform.notice_email == "notice@shop.example"
    assert "Created platform shop" in out


@pytest.mark.django_db
def test_create_platform_without_a_cap_makes_no_commitment():
    run_command("create_platform", "mall", "--name", "万家购物")
    platform = Platform.objects.get(code="mall")
    assert platform.advance_compensation_committed is False
    assert platform.advance_compensation_cap is None
    assert platform.response_days == 10


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["shop", "--name", "重复"], "already exists"),
        (["new", "--name", "新平台", "--advance-compensation-cap", "abc"], "Not a valid amount"),
        (["new", "--name", "新平台", "--advance-compensation-cap", "12.345"], "two decimal"),
        (["new", "--name", "新平台", "--advance-compensation-cap", "-5"], "negative"),
        (["new", "--name", "新平台", "--advance-compensation-cap", "0"], "more than zero"),
        (["new", "--name", "新平台", "--response-days", "0"], "between 1 and 30"),
        (["new", "--name", "新平台", "--response-days", "31"], "between 1 and 30"),
        (["new", "--name", "新平台", "--response-days", "ten"], "invalid int"),
        (["new", "--name", "新平台", "--notice-email", "not-an-email"], "notice_email"),
        (["bad code!", "--name", "新平台"], "code"),
        (["new", "--name", "  "], "name"),
        (["new"], "--name"),
    ],
)
def test_create_platform_refuses_bad_input_and_changes_nothing(platform, args, message):
    # given one platform
    before = Platform.objects.count()
    # when the command gets bad input
    with pytest.raises(CommandError, match=message):
        run_command("create_platform", *args)
    # then no platform was added or changed
    assert Platform.objects.count() == before
    platform.refresh_from_db()
    assert platform.name == "好物商城"


# create_user


@pytest.mark.django_db
def test_create_user_makes_a_consumer_who_can_log_in():
    out = run_command(
        "create_user",
        "wangwu",
        "--role",
        "consumer",
        "--password",
        "tall-river-1987",
        "--email",
        "wangwu@example.com",
        "--name",
        "王五",
    )
    user = User.objects.get(username="wangwu")
    assert user.role == "consumer"
    assert user.check_password("tall-river-1987")
    assert (user.email, user.display_name) == ("wangwu@example.com", "王五")
    assert not user.is_staff and not user.is_superuser
    assert "Created consumer user wangwu" in out


@pytest.mark.django_db
def test_create_user_gives_staff_the_admin_but_not_superuser():
    run_command("create_user", "clerk", "--role", "staff", "--password", "tall-river-1987")
    user = User.objects.get(username="clerk")
    assert user.is_staff is True
    assert user.is_superuser is False


@pytest.mark.django_db
@pytest.mark.parametrize("prefix", ["31", "3101", "310115"])
def test_create_user_scopes_a_regulator_to_a_region(prefix):
    run_command(
        "create_user",
        "reg",
        "--role",
        "regulator",
        "--password",
        "tall-river-1987",
        "--region",
        prefix,
    )
    assert User.objects.get(username="reg").region_prefix == prefix


@pytest.mark.django_db
def test_create_user_binds_a_platform_user_to_its_platform(platform):
    run_command(
        "create_user",
        "shop-kefu",
        "--role",
        "platform",
        "--password",
        "tall-river-1987",
        "--platform",
        "shop",
    )
    assert User.objects.get(username="shop-kefu").platform == platform


@pytest.mark.django_db
def test_create_user_records_a_mediators_categories():
    run_command(
        "create_user",
        "med",
        "--role",
        "mediator",
        "--password",
        "tall-river-1987",
        "--categories",
        "electronics, communication",
    )
    user = User.objects.get(username="med")
    assert user.mediator_categories == ["electronics", "communication"]
    assert user.handles_category("electronics") and not user.handles_category("food")


PW = ["--password", "tall-river-1987"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["zhangsan", "--role", "consumer", *PW], "already exists"),
        (["reg", "--role", "regulator", *PW], "needs --region"),
        (["reg", "--role", "regulator", "--region", "3", *PW], "2, 4 or 6 digits"),
        (["reg", "--role", "regulator", "--region", "310", *PW], "2, 4 or 6 digits"),
        (["reg", "--role", "regulator", "--region", "3x", *PW], "2, 4 or 6 digits"),
        (["reg", "--role", "regulator", "--region", "99", *PW], "no GB/T 2260 division"),
        (["someone", "--role", "consumer", "--region", "31", *PW], "only to regulators"),
        (["kefu", "--role", "platform", *PW], "needs --platform"),
        (["kefu", "--role", "platform", "--platform", "nope", *PW], "no platform"),
        (["someone", "--role", "consumer", "--platform", "shop", *PW], "only to platform"),
        (["med", "--role", "mediator", "--categories", "food,toys", *PW], "unknown toys"),
        (["someone", "--role", "staff", "--categories", "food", *PW], "only to mediators"),
        (["someone", "--role", "consumer", "--password", "12345678"], "Password refused"),
        (["someone", "--role", "consumer", "--password", "short"], "Password refused"),
        (["someone", "--role", "consumer", "--password", "password123"], "Password refused"),
        (["someone", "--role", "admin", *PW], "invalid choice"),
        (["someone", "--role", "system", *PW], "invalid choice"),
        (["someone", "--role", "consumer", "--email", "not-an-email", *PW], "email"),
        (["bad name!", "--role", "consumer", *PW], "username"),
        (["someone", "--role", "consumer"], "--password"),
    ],
)
def test_create_user_refuses_bad_input_and_changes_nothing(consumer, platform, args, message):
    # given an existing consumer and platform
    before = User.objects.count()
    # when the command gets bad input
    with pytest.raises(CommandError, match=message):
        run_command("create_user", *args)
    # then no account was created
    assert User.objects.count() == before


@pytest.mark.django_db
def test_create_user_refuses_a_password_like_the_username():
    with pytest.raises(CommandError, match="Password refused"):
        run_command("create_user", "zhaoliu2026", "--role", "consumer", "--password", "zhaoliu2026")
    assert not User.objects.filter(username="zhaoliu2026").exists()


# sweep_deadlines


@pytest.fixture
def filed(consumer, platform) -> Complaint:
    """A complaint filed on Monday 2 November 2026; acceptance is due 7 working days later."""
    return complaint_file(consumer=consumer, platform=platform.code, at=at(2026, 11, 2), **FILING)


@pytest.mark.django_db
def test_sweep_as_of_applies_deadlines_passed_by_then_and_is_idempotent(filed):
    due = timezone.localtime(filed.acceptance_due)
    after_due = (due + timedelta(minutes=1)).isoformat()
    # when the sweep runs as of a minute after the acceptance deadline
    out = run_command("sweep_deadlines", "--as-of", after_due)
    # then the complaint is flagged, and every rule and the total are reported
    filed.refresh_from_db()
    assert filed.acceptance_overdue is True
    assert "acceptance_overdue: 1" in out
    for rule in (
        "escalate",
        "proposal_reminder",
        "close_no_reply",
        "fail_mediation",
        "confirm_fulfilment",
        "fulfilment_missed",
    ):
        assert f"{rule}: 0" in out
    assert out.rstrip().endswith("Total: 1")
    # and a second run finds nothing left to do
    events = ComplaintEvent.objects.count()
    assert run_command("sweep_deadlines", "--as-of", after_due).rstrip().endswith("Total: 0")
    assert ComplaintEvent.objects.count() == events


@pytest.mark.django_db
def test_sweep_as_of_reads_a_naive_time_in_shanghai(filed):
    # given acceptance due at the end of a day in Shanghai
    day = timezone.localtime(filed.acceptance_due).date()
    # when the sweep runs as of 23:30 that day, without an offset
    run_command("sweep_deadlines", "--as-of", f"{day}T23:30")
    # then that is Shanghai time, before the deadline (as UTC it would be the next morning)
    filed.refresh_from_db()
    assert filed.acceptance_overdue is False
    # while the same clock time in UTC is past it
    run_command("sweep_deadlines", "--as-of", f"{day}T23:30:00+00:00")
    filed.refresh_from_db()
    assert filed.acceptance_overdue is True


@pytest.mark.django_db
def test_sweep_accepts_z_and_a_space_separator(filed):
    day = timezone.localtime(filed.acceptance_due).date() + timedelta(days=1)
    out = run_command("sweep_deadlines", "--as-of", f"{day} 10:00:00Z")
    assert "acceptance_overdue: 1" in out


@pytest.mark.django_db
def test_sweep_without_as_of_uses_now(consumer, platform):
    # given a complaint filed 40 days ago and never accepted
    filed_at = timezone.now() - timedelta(days=40)
    complaint = complaint_file(
        consumer=consumer,
        platform=platform.code,
        at=filed_at,
        **{**FILING, "order_date": timezone.localdate(filed_at) - timedelta(days=1)},
    )
    # when the sweep runs now
    out = run_command("sweep_deadlines")
    # then its passed acceptance deadline is applied
    complaint.refresh_from_db()
    assert complaint.acceptance_overdue is True
    assert out.rstrip().endswith("Total: 1")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "value",
    [
        "yesterday",
        "2026-11-20",
        "2026-13-01T10:00",
        "2026-11-20T25:00",
        "2026-02-30T10:00",
        "20261120T100000",
        "2026-11-20T10:00+8",
        "2026-11-20T10:00 Asia/Shanghai",
        "",
        "0001-01-01T00:00",
        "9999-12-31T23:59",
        "2999-01-01T00:00",  # well-formed, but in the future
    ],
)
def test_sweep_refuses_a_bad_as_of_and_changes_nothing(filed, value):
    events = ComplaintEvent.objects.count()
    with pytest.raises(CommandError, match="as-of"):
        run_command("sweep_deadlines", "--as-of", value)
    filed.refresh_from_db()
    assert filed.acceptance_overdue is False
    assert ComplaintEvent.objects.count() == events
