"""A consumer exports their data, and erases it except what retention requires (PIPL)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from api.data_rights import complete_erasures
from complaints.access_log import personal_data_read
from complaints.actors import Actor
from complaints.models import ErasureRequest, User
from evidence.retention import legal_hold_set
from tests.api.clients import client_for
from tests.factories import UserFactory
from tests.states import complaint_in

PASSWORD = "correct-horse-battery-9"


@pytest.fixture
def wang(db):
    return UserFactory(
        username="wang",
        display_name="王五",
        email="wang@example.com",
        phone="13912345678",
        id_number="310101199001011234",
        address="上海市黄浦区南京东路100号",
    )


def raw_phone(user: User) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone FROM complaints_user WHERE id = %s", [user.pk])
        return cursor.fetchone()[0]


def erase(user, password=PASSWORD):
    return client_for(user).post("/api/v1/me/erasure/", {"password": password}, format="json")


def test_the_export_holds_the_account_the_cases_and_who_read_them(
    wang, other_consumer, platform, staff, quick_documents
):
    # given a case of the consumer's that staff have read, and someone else's case
    mine = complaint_in("mediating", consumer=wang, platform_code=platform.code)
    theirs = complaint_in("submitted", consumer=other_consumer, platform_code=platform.code)
    personal_data_read(actor=staff, subject=wang, fields=["phone"], purpose="complaint_detail")
    # when the consumer asks for their data
    response = client_for(wang).get("/api/v1/me/data-export/")
    # then it is all there, in plain text, as an attachment
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    data = response.json()
    assert {
        "username": "wang",
        "phone": "13912345678",
        "id_number": "310101199001011234",
        "address": "上海市黄浦区南京东路100号",
        "email": "wang@example.com",
    }.items() <= data["account"].items()
    (case,) = data["complaints"]
    assert case["reference"] == mine.reference != theirs.reference
    assert [e["name"] for e in case["events"]][:2] == ["filed", "accept"]
    assert case["evidence"] and case["evidence"][0]["sha256"]
    assert case["retention"] == {"retain_until": None, "legal_hold": False, "purged_at": None}
    # and the reads are listed by role and purpose, without the reader's name
    (access,) = data["personal_data_accesses"]
    assert access["reader_role"] == "staff" and access["purpose"] == "complaint_detail"
    assert "staff1" not in response.content.decode()


@pytest.mark.parametrize("role", ["staff", "mediator", "regulator"])
def test_only_consumers_use_the_consumer_endpoints(role, staff, mediator, regulator):
    user = {"staff": staff, "mediator": mediator, "regulator": regulator}[role]
    client = client_for(user)
    assert client.get("/api/v1/me/data-export/").status_code == 403
    assert (
        client.post("/api/v1/me/erasure/", {"password": PASSWORD}, format="json").status_code == 403
    )
    assert client_for().get("/api/v1/me/data-export/").status_code in (401, 403)


def test_erasure_is_refused_while_a_complaint_is_open_and_nothing_changes(wang, platform):
    open_case = complaint_in("awaiting_response", consumer=wang, platform_code=platform.code)
    response = erase(wang)
    assert response.status_code == 409
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "erasure_refused"
    assert body["kept"] == [
        {
            "complaint": open_case.reference,
            "reason": "open",
            "until": None,
            "detail": "The complaint is awaiting_response: it is still being handled.",
        }
    ]
    wang.refresh_from_db()
    assert (wang.username, wang.is_active, wang.phone) == ("wang", True, "13912345678")
    assert not ErasureRequest.objects.exists()


def test_a_wrong_password_erases_nothing(wang):
    response = erase(wang, "not-my-password-1")
    assert response.status_code == 422
    assert response.json()["errors"] == {"password": ["The password is not correct."]}
    wang.refresh_from_db()
    assert wang.is_active and wang.username == "wang"


def test_without_cases_everything_is_erased_at_once(wang):
    response = erase(wang)
    assert response.status_code == 200
    body = response.json()
    assert body["kept"] == [] and body["completed_at"]
    assert {"login", "email", "identity"} <= set(body["erased"])
    wang.refresh_from_db()
    assert wang.username == f"erased-{wang.pk}" and not wang.is_active
    assert (wang.display_name, wang.email, wang.phone, wang.id_number, wang.address) == (
        "",
        "",
        "",
        "",
        "",
    )
    assert raw_phone(wang) == "" and not wang.has_usable_password()
    assert not User.objects.with_phone("13912345678").exists()


def test_a_closed_case_under_retention_keeps_the_case_and_the_identity_until_it_ends(
    wang, platform, time_machine, quick_documents
):
    # given a case closed today
    closed = complaint_in("closed", consumer=wang, platform_code=platform.code)
    client = client_for(wang)
    # when the consumer asks for erasure
    response = client.post("/api/v1/me/erasure/", {"password": PASSWORD}, format="json")
    # then the login is gone (the session too), the case and the identity are kept,
    # and the answer says why and until when
    assert response.status_code == 200
    body = response.json()
    assert body["completed_at"] is None
    case, identity = body["kept"]
    assert (case["complaint"], case["reason"]) == (closed.reference, "retention")
    assert case["until"].startswith(str(timezone.localtime(closed.closed_at).year + 3))
    assert "E-commerce Law art. 31" in case["detail"]
    assert identity["reason"] == "identity_for_kept_cases"
    assert identity["fields"] == ["display_name", "phone", "id_number", "address"]
    assert client.get("/api/v1/complaints/").status_code in (401, 403)
    wang.refresh_from_db()
    assert (wang.is_active, wang.email, wang.phone) == (False, "", "13912345678")
    # when the retention has passed and the daily job runs
    time_machine.move_to(closed.closed_at + timedelta(days=3 * 366 + 1))
    assert complete_erasures() == 1
    # then the case is purged and the identity erased; the request is complete
    wang.refresh_from_db()
    assert (wang.display_name, wang.phone, wang.address) == ("", "", "")
    closed.refresh_from_db()
    assert closed.description == ""
    request = ErasureRequest.objects.get(user=wang)
    assert request.completed_at is not None and "identity" in request.erased
    assert complete_erasures() == 0


def test_a_case_under_legal_hold_is_kept_with_that_reason(
    wang, platform, staff, time_machine, quick_documents
):
    closed = complaint_in("closed", consumer=wang, platform_code=platform.code)
    legal_hold_set(complaint_id=closed.pk, actor=Actor.of_user(staff), reason="法院调取")
    time_machine.move_to(closed.closed_at + timedelta(days=3 * 366 + 1))
    body = erase(wang).json()
    assert body["kept"][0]["reason"] == "legal_hold"
    assert complete_erasures() == 0  # still held


def test_cases_past_their_retention_are_purged_at_once(
    wang, platform, time_machine, quick_documents
):
    closed = complaint_in("closed", consumer=wang, platform_code=platform.code)
    time_machine.move_to(closed.closed_at + timedelta(days=3 * 366 + 1))
    body = erase(wang).json()
    assert body["kept"] == []
    assert f"case:{closed.reference}" in body["erased"]
    closed.refresh_from_db()
    assert closed.description == ""


def test_staff_see_erasure_requests_in_the_admin(wang, staff_client):
    erase(wang)
    response = staff_client.get("/admin/complaints/erasurerequest/")
    assert response.status_code == 200
    assert f"erased-{wang.pk}" in response.content.decode()
