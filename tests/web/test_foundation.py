"""The web foundation: error pages, the role guard, the language switch, login and logout."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from complaints.web.access import role_required

pytestmark = pytest.mark.django_db


def test_unknown_page_is_the_web_404_page_in_chinese_by_default(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "页面不存在（404）" in response.content.decode()


def test_unknown_page_in_english_after_switching_language(client):
    # when the visitor switches to English (a POST with CSRF, as the header's form does)
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    # then the 404 page speaks English
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "Page not found (404)" in response.content.decode()


def test_api_404_stays_problem_json(client):
    response = client.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/problem+json")


def test_server_error_page_is_the_web_page(rf):
    from config.urls import handler500

    response = handler500(rf.get("/complaints/"))
    assert response.status_code == 500
    assert "服务器出错（500）" in response.content.decode()


def test_csrf_failure_is_a_page_that_says_what_to_do(db):
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("accounts:login"), {"username": "x", "password": "y"})
    assert response.status_code == 403
    assert "页面已过期" in response.content.decode()


def test_anonymous_visitor_is_sent_to_login_from_a_role_page(client):
    response = client.get(reverse("consumer:complaint_list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login") + "?next=")


@pytest.mark.parametrize("role", ["staff", "mediator", "platform", "regulator"])
def test_other_roles_get_the_403_page_on_a_consumer_page(client_for, role):
    response = client_for(role).get(reverse("consumer:complaint_list"))
    assert response.status_code == 403
    assert "无权访问（403）" in response.content.decode()


def test_role_required_refuses_unknown_roles():
    with pytest.raises(ValueError):
        role_required("consumerr")


def test_login_with_username_and_password_lands_on_the_role_start_page(client, consumer):
    response = client.post(
        reverse("accounts:login"),
        {"username": "zhangsan", "password": "correct-horse-battery-9"},
    )
    assert response.status_code == 302
    assert client.get(response["Location"]).status_code in (200, 302)
    assert client.get(reverse("web:home"))["Location"] == reverse("consumer:complaint_list")


def test_wrong_password_shows_the_error_and_keeps_the_username(client, consumer):
    response = client.post(reverse("accounts:login"), {"username": "zhangsan", "password": "wrong"})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'value="zhangsan"' in html
    assert 'class="errorlist' in html


def test_logout_is_a_post(client_for):
    client = client_for("consumer")
    assert client.get(reverse("accounts:logout")).status_code == 405
    assert client.post(reverse("accounts:logout")).status_code == 302
    assert client.get(reverse("consumer:complaint_list")).status_code == 302


def test_password_reset_sends_a_templated_email(client, consumer, mailoutbox):
    response = client.post(reverse("accounts:password_reset"), {"email": consumer.email})
    assert response.status_code == 302
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert "重设密码" in message.subject
    assert "/accounts/reset/" in message.body
    assert message.alternatives and "/accounts/reset/" in message.alternatives[0][0]


def test_pages_carry_the_language_switch_and_static_files_without_inline_script(client):
    html = client.get(reverse("accounts:login")).content.decode()
    assert 'action="/i18n/setlang/"' in html
    assert "htmx-2.0.11.min.js" in html
    assert "<script>" not in html


@pytest.mark.parametrize(
    "url", ["/complaints/TS2026%0012/", "/regulator/?platform=%00", "/disclosure/?x%00=1"]
)
def test_a_nul_byte_in_a_page_address_is_the_400_page(client_for, url):
    # PostgreSQL cannot hold a NUL in text: it must never reach a query (a 500 there)
    response = client_for("regulator").get(url)
    assert response.status_code == 400
    assert "text/html" in response["Content-Type"]
