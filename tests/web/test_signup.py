"""Consumer sign-up with a verification code sent by email or SMS."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from complaints import sms
from complaints.models import User
from complaints.verification import MAX_ATTEMPTS

pytestmark = pytest.mark.django_db

PASSWORD = "Lan-Tian-2026-ok"


@pytest.fixture(autouse=True)
def _sms_outbox(settings):
    settings.SMS_BACKEND = "complaints.sms.LocmemSmsBackend"
    sms.outbox.clear()
    yield
    sms.outbox.clear()


def _signup(client, contact: str, **extra):
    data = {
        "contact": contact,
        "display_name": "王小明",
        "password1": PASSWORD,
        "password2": PASSWORD,
        **extra,
    }
    return client.post(reverse("accounts:signup"), data)


def _code_from(text: str) -> str:
    return re.search(r"\b(\d{6})\b", text).group(1)


def test_signup_by_email_with_the_emailed_code_makes_a_logged_in_consumer(client, mailoutbox):
    # when a visitor signs up with an email address
    response = _signup(client, "Wang@Example.CN")
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:signup_verify")
    # then a code is emailed (text and HTML), and only a digest is kept
    (message,) = mailoutbox
    assert message.to == ["Wang@example.cn"]
    code = _code_from(message.body)
    assert code in message.alternatives[0][0]
    assert code not in str(dict(client.session))
    # when the code is entered
    response = client.post(reverse("accounts:signup_verify"), {"code": code})
    # then the consumer exists, is logged in and lands on their complaints
    assert response.status_code == 302
    assert response["Location"] == reverse("consumer:complaint_list")
    user = User.objects.get(username="Wang@example.cn")
    assert (user.role, user.email, user.display_name) == ("consumer", "Wang@example.cn", "王小明")
    assert user.check_password(PASSWORD)
    assert client.get(reverse("consumer:complaint_list")).status_code == 200


def test_signup_by_phone_sends_the_code_by_sms(client, mailoutbox):
    response = _signup(client, "+86 138-0013-8000")
    assert response.status_code == 302
    assert mailoutbox == []
    (message,) = sms.outbox
    assert message.to == "13800138000"
    response = client.post(reverse("accounts:signup_verify"), {"code": _code_from(message.body)})
    assert response.status_code == 302
    assert User.objects.get(username="13800138000").role == "consumer"


def test_a_wrong_code_is_refused_and_makes_no_account(client, mailoutbox):
    _signup(client, "li@example.cn")
    code = _code_from(mailoutbox[0].body)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    response = client.post(reverse("accounts:signup_verify"), {"code": wrong})
    assert response.status_code == 200
    html = response.content.decode()
    assert "验证码不正确" in html and 'id="id_code_error"' in html
    assert not User.objects.filter(username="li@example.cn").exists()


def test_an_expired_code_is_refused(client, mailoutbox, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    _signup(client, "zhao@example.cn")
    code = _code_from(mailoutbox[0].body)
    time_machine.move_to(timezone.now() + timedelta(minutes=11), tick=False)
    response = client.post(reverse("accounts:signup_verify"), {"code": code})
    assert "验证码已过期" in response.content.decode()
    assert not User.objects.filter(username="zhao@example.cn").exists()


def test_after_too_many_wrong_codes_even_the_right_one_is_refused(client, mailoutbox):
    _signup(client, "qian@example.cn")
    code = _code_from(mailoutbox[0].body)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _ in range(MAX_ATTEMPTS):
        client.post(reverse("accounts:signup_verify"), {"code": wrong})
    response = client.post(reverse("accounts:signup_verify"), {"code": code})
    assert "错误次数过多" in response.content.decode()
    assert not User.objects.filter(username="qian@example.cn").exists()


def test_codes_cannot_be_sent_again_at_once(client, mailoutbox):
    _signup(client, "sun@example.cn")
    response = client.post(reverse("accounts:signup_resend"))
    assert response.status_code == 302
    assert len(mailoutbox) == 1


def test_a_taken_contact_and_mismatched_passwords_are_errors_beside_their_fields(client, consumer):
    response = _signup(client, consumer.email, password2="something-else-9A")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_contact_error"' in html and "已注册" in html
    assert 'id="id_password2_error"' in html
    # what was typed stays
    assert 'value="王小明"' in html


def test_a_bad_phone_is_refused(client):
    response = _signup(client, "12345")
    assert 'id="id_contact_error"' in response.content.decode()


def test_signup_pages_render_in_english(client):
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    html = client.get(reverse("accounts:signup")).content.decode()
    assert "Mobile phone or email" in html and "Consumer sign-up" in html
