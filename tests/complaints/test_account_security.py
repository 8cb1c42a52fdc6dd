"""Accounts: two-factor authentication per role, login lock-out and throttling, passwords."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import CommandError
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from complaints.models import LoginFailure
from tests.api.clients import client_for
from tests.factories import UserFactory
from tests.helpers import run_command

PASSWORD = "correct-horse-battery-9"
START = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


def code(device: TOTPDevice) -> str:
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():06d}"


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(START, tick=False)
    return time_machine


@pytest.fixture
def people(db, staff, mediator, regulator, consumer):
    return {
        "staff": staff,
        "mediator": mediator,
        "regulator": regulator,
        # an admin user is asked whatever its role
        "admin": UserFactory(username="root", role="consumer", is_staff=True, is_superuser=True),
        "consumer": consumer,
    }


# Two-factor authentication: who must, and what they meet without it.


@pytest.mark.parametrize("role", ["staff", "mediator", "regulator", "admin"])
def test_roles_that_read_personal_data_are_sent_to_the_second_factor(people, role):
    # given a user of the role, logged in with the password only
    client = Client()
    client.force_login(people[role], otp_verified=False)
    # then every page sends them to enrolment (they have no authenticator yet)
    for page in ("/", "/admin/", "/admin/complaints/complaint/"):
        response = client.get(page)
        assert response.status_code == 302, page
        assert response["Location"].startswith("/accounts/2fa/setup/?next=")
    # and the API refuses their session with a problem
    response = client.get("/api/v1/complaints/")
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "second_factor_required"
    # while the 2FA pages and logging out stay open
    assert client.get("/accounts/2fa/setup/").status_code == 200
    assert client.post("/accounts/logout/").status_code == 302


@pytest.mark.parametrize("role", ["staff", "mediator", "regulator", "admin"])
def test_verified_roles_get_through(people, role):
    client = client_for(people[role])  # force_login marks the session verified
    assert client.get("/api/v1/complaints/").status_code == 200


def test_consumers_and_platform_keys_are_not_asked_for_a_second_factor(people, platform):
    from api.keys import api_key_create

    client = Client()
    client.force_login(people["consumer"], otp_verified=False)
    assert client.get("/api/v1/complaints/").status_code == 200
    home = client.get("/")
    assert home.status_code in (200, 302)
    assert not home.get("Location", "").startswith("/accounts/2fa/")
    _, raw_key = api_key_create(platform=platform)
    assert client_for(api_key=raw_key).get("/api/v1/complaints/").status_code == 200


def test_an_enrolled_user_who_logs_in_again_is_asked_for_a_code(staff_user, clock):
    # given staff who enrolled once
    device = TOTPDevice.objects.create(user=staff_user, name="authenticator", confirmed=True)
    client = Client()
    client.force_login(staff_user, otp_verified=False)
    # then the admin sends them to verification, not enrolment
    response = client.get("/admin/")
    assert response["Location"] == "/accounts/2fa/verify/?next=%2Fadmin%2F"
    # and enrolment cannot add a second device behind the first one's back
    assert client.get("/accounts/2fa/setup/")["Location"].startswith("/accounts/2fa/verify/")
    # when a wrong code is typed, then the right one at once
    page = client.post("/accounts/2fa/verify/", {"token": "000000", "next": "/admin/"})
    assert page.status_code == 200 and "验证码不正确" in page.content.decode()
    refused = client.post("/accounts/2fa/verify/", {"token": code(device), "next": "/admin/"})
    # then the right code waits out django-otp's back-off after a failure (throttling)
    assert refused.status_code == 200
    clock.shift(timedelta(seconds=31))
    response = client.post("/accounts/2fa/verify/", {"token": code(device), "next": "/admin/"})
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    # and a code, once used, is not accepted again in another session
    other = Client()
    other.force_login(staff_user, otp_verified=False)
    assert other.post("/accounts/2fa/verify/", {"token": code(device)}).status_code == 200


def test_enrolment_shows_a_qr_code_and_a_code_from_the_app_confirms_it(db, clock):
    # given a mediator logging in through the admin with the password
    UserFactory(username="med", role="mediator", is_staff=True)
    client = Client()
    response = client.post(
        "/admin/login/?next=/admin/", {"username": "med", "password": PASSWORD, "next": "/admin/"}
    )
    assert response.status_code == 302
    # then the admin sends them to enrolment
    response = client.get("/admin/")
    assert response["Location"] == "/accounts/2fa/setup/?next=%2Fadmin%2F"
    page = client.get(response["Location"])
    body = page.content.decode()
    assert page.status_code == 200
    assert "<svg" in body and 'class="segno"' in body  # the QR code, inline SVG
    device = TOTPDevice.objects.get(user__username="med")
    assert not device.confirmed
    from base64 import b32encode

    secret = b32encode(device.bin_key).decode()
    assert secret[:4] in body  # the key to type in by hand
    # when a wrong code is sent, nothing is confirmed
    client.post("/accounts/2fa/setup/", {"token": "123456", "next": "/admin/"})
    device.refresh_from_db()
    assert not device.confirmed
    # when the code the app shows is sent
    clock.shift(timedelta(seconds=31))
    response = client.post("/accounts/2fa/setup/", {"token": code(device), "next": "/admin/"})
    # then the device is confirmed, the session verified, and the admin opens
    assert response.status_code == 302 and response["Location"] == "/admin/"
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/admin/").status_code == 200
    assert client.get("/api/v1/complaints/").status_code == 200


def test_the_next_address_after_verification_stays_on_this_site(staff_user, clock):
    device = TOTPDevice.objects.create(user=staff_user, name="authenticator", confirmed=True)
    client = Client()
    client.force_login(staff_user, otp_verified=False)
    response = client.post(
        "/accounts/2fa/verify/", {"token": code(device), "next": "https://evil.example/"}
    )
    assert response.status_code == 302 and response["Location"] == "/"


def test_a_lost_phone_is_reset_by_an_operator(staff_user):
    TOTPDevice.objects.create(user=staff_user, name="authenticator", confirmed=True)
    assert "Removed 1" in run_command("reset_two_factor", "staff1")
    client = Client()
    client.force_login(staff_user, otp_verified=False)
    assert client.get("/admin/")["Location"].startswith("/accounts/2fa/setup/")
    with pytest.raises(CommandError):
        run_command("reset_two_factor", "nobody")


def test_totp_code_prints_the_code_in_development_only(settings, staff_user):
    device = TOTPDevice.objects.create(user=staff_user, name="authenticator", confirmed=False)
    settings.DEBUG = False
    with pytest.raises(CommandError, match="development"):
        run_command("totp_code", "staff1")
    settings.DEBUG = True
    assert run_command("totp_code", "staff1").strip() == code(device)


# Lock-out and throttling, on every login page.


def admin_login(client, username, password=PASSWORD, address="192.0.2.10"):
    return client.post(
        "/admin/login/",
        {"username": username, "password": password, "next": "/admin/"},
        REMOTE_ADDR=address,
    )


def test_five_wrong_passwords_lock_the_account_on_every_login_page(staff_user, clock):
    client = Client()
    # given five wrong passwords in the admin
    for _ in range(5):
        assert admin_login(client, "staff1", "wrong-password-1").status_code == 200
    # then the right password is refused too, and the page says why and until when
    response = admin_login(client, "staff1")
    assert response.status_code == 200
    assert "登录失败次数过多" in response.content.decode()
    assert "10:15" in response.content.decode()  # Beijing time, 15 minutes on
    assert "_auth_user_id" not in client.session
    # and the web login refuses it as well, from another address
    web = Client()
    response = web.post(
        "/accounts/login/",
        {"username": "staff1", "password": PASSWORD},
        REMOTE_ADDR="198.51.100.20",
    )
    assert response.status_code == 200 and "_auth_user_id" not in web.session
    # saying why, not "wrong password"
    assert "登录失败次数过多" in response.content.decode()
    # and refused attempts are recorded without extending the lock
    assert LoginFailure.objects.filter(username="staff1", refused=True).count() == 2
    # when the window has passed, the password works again
    clock.shift(timedelta(minutes=15, seconds=1))
    assert admin_login(client, "staff1").status_code == 302


def test_a_successful_login_starts_the_count_again(staff_user, clock):
    client = Client()
    for _ in range(4):
        admin_login(client, "staff1", "wrong-password-1")
    clock.shift(timedelta(seconds=5))
    assert admin_login(client, "staff1").status_code == 302
    client.post("/admin/logout/")
    clock.shift(timedelta(seconds=5))
    for _ in range(4):
        admin_login(Client(), "staff1", "wrong-password-1")
    assert admin_login(Client(), "staff1").status_code == 302


def test_one_address_trying_many_accounts_is_throttled(settings, db, clock):
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 3
    UserFactory(username="victim", role="staff", is_staff=True)
    # given failures for three different (even unknown) user names from one address
    for name in ("alice", "bob", "carol"):
        admin_login(Client(), name, "guess-1234567")
    # then that address cannot log in, even with a right password
    response = admin_login(Client(), "victim")
    assert response.status_code == 200
    assert "来自该地址的登录失败次数过多" in response.content.decode()
    # while another address can
    assert admin_login(Client(), "victim", address="203.0.113.5").status_code == 302


def test_an_operator_lifts_a_lock(staff_user, clock):
    for _ in range(5):
        admin_login(Client(), "staff1", "wrong-password-1")
    assert admin_login(Client(), "staff1").status_code == 200
    assert "Unlocked staff1: 5" in run_command("unlock_login", "staff1")
    assert admin_login(Client(), "staff1").status_code == 302
    assert LoginFailure.objects.filter(username="staff1").count() == 6  # the record stays


def test_the_web_login_takes_the_phone_number(db):
    UserFactory(username="zhao", phone="13912345678")
    client = Client()
    response = client.post(
        "/accounts/login/", {"username": "+86 139 1234 5678", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert client.session["_auth_user_id"]


# Passwords.


@pytest.mark.parametrize(
    "password",
    ["Short1!", "aaaaaaaaaaaa", "onlylowercaseletters", "1234567890123", "lower-and-symbols"],
)
def test_weak_passwords_are_refused(password):
    with pytest.raises(ValidationError):
        validate_password(password)


@pytest.mark.parametrize("password", ["weiquan-demo-2026", "Tianjin2026Mar", "消费者维权Wq2026"])
def test_passwords_with_three_kinds_of_character_pass(password):
    validate_password(password)


def test_failed_logins_are_kept_six_months_then_forgotten(db, clock):
    from complaints.security.lockout import login_failures_purge
    from complaints.tasks import purge_login_failures

    admin_login(Client(), "someone", "guess-1234567")
    clock.shift(timedelta(days=189))
    assert login_failures_purge() == 0
    clock.shift(timedelta(days=2))
    assert purge_login_failures.delay().get() == 1
    assert not LoginFailure.objects.exists()
