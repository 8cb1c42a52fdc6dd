"""Every read of a consumer's personal data by staff, mediators or regulators is logged,
in a table the database refuses to change."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction

from complaints.access_log import personal_data_read
from complaints.models import AppendOnlyError, PersonalDataAccess
from tests.api.clients import client_for
from tests.factories import UserFactory
from tests.states import complaint_in


@pytest.fixture
def complaint(consumer, platform, mediator):
    return complaint_in("mediating", consumer=consumer, platform_code=platform.code)


def detail(user, complaint, suffix=""):
    return client_for(user).get(
        f"/api/v1/complaints/{complaint.reference}/{suffix}", HTTP_X_REQUEST_ID="req-12345678"
    )


def test_staff_reading_a_complaint_in_the_api_is_logged(complaint, staff, consumer):
    # when staff open the complaint
    assert not PersonalDataAccess.objects.exists()
    response = detail(staff, complaint)
    # then one row says who read whose data, what, why, where from
    assert response.status_code == 200
    (row,) = PersonalDataAccess.objects.all()
    assert (row.actor, row.actor_username, row.actor_role) == (staff, "staff1", "staff")
    assert (row.subject, row.complaint) == (consumer, complaint)
    assert row.fields == ["description", "display_name", "order_number"]
    assert (row.purpose, row.channel, row.masked) == ("complaint_detail", "api", False)
    assert row.path == f"/api/v1/complaints/{complaint.reference}/"
    assert row.request_id == "req-12345678"
    assert row.address == "127.0.0.1"


def test_mediators_and_regulators_are_logged_too_regulators_as_masked(complaint, regulator):
    complaint.refresh_from_db()
    assert detail(complaint.mediator, complaint).status_code == 200
    assert detail(regulator, complaint).status_code == 200
    assert detail(regulator, complaint, "events/").status_code == 200
    rows = list(
        PersonalDataAccess.objects.order_by("id").values_list("actor_role", "purpose", "masked")
    )
    assert rows == [
        ("mediator", "complaint_detail", False),
        ("regulator", "complaint_detail", True),
        ("regulator", "complaint_timeline", True),
    ]


def test_the_consumer_and_the_platform_reading_are_not_logged(complaint, consumer, platform):
    from api.keys import api_key_create

    assert detail(consumer, complaint).status_code == 200
    _, raw_key = api_key_create(platform=platform)
    assert (
        client_for(api_key=raw_key).get(f"/api/v1/complaints/{complaint.reference}/").status_code
        == 200
    )
    assert not PersonalDataAccess.objects.exists()


def test_a_refused_read_is_not_logged(complaint, other_consumer):
    assert detail(other_consumer, complaint).status_code == 404
    assert not PersonalDataAccess.objects.exists()


def test_reads_in_the_admin_are_logged(complaint, staff_client, superuser_client, consumer):
    # given staff opening the complaint, and a superuser opening the consumer's account
    consumer.phone = "13912345678"
    consumer.save()
    assert (
        staff_client.get(f"/admin/complaints/complaint/{complaint.pk}/change/").status_code == 200
    )
    response = superuser_client.get(f"/admin/complaints/user/{consumer.pk}/change/")
    assert response.status_code == 200
    assert "13912345678" in response.content.decode()  # the admin shows the decrypted phone
    # then both are logged, from the admin
    rows = list(
        PersonalDataAccess.objects.order_by("id").values_list("purpose", "channel", "subject")
    )
    assert rows == [
        ("admin_complaint_detail", "admin", consumer.pk),
        ("admin_user_change", "admin", consumer.pk),
    ]
    # and staff read the log in the admin, which offers no way to change it
    response = staff_client.get("/admin/complaints/personaldataaccess/")
    assert response.status_code == 200
    assert "admin_user_change" in response.content.decode()
    row = PersonalDataAccess.objects.first()
    page = staff_client.get(f"/admin/complaints/personaldataaccess/{row.pk}/change/")
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert (
        staff_client.post(
            f"/admin/complaints/personaldataaccess/{row.pk}/delete/", {"post": "yes"}
        ).status_code
        == 403
    )
    assert PersonalDataAccess.objects.count() == 2


def test_the_log_is_append_only_in_the_model_and_in_the_database(consumer, staff):
    # given one logged read
    row = personal_data_read(actor=staff, subject=consumer, fields=["phone"], purpose="test")
    # then the model refuses to save it again or delete it
    row.purpose = "rewritten"
    with pytest.raises(AppendOnlyError):
        row.save()
    with pytest.raises(AppendOnlyError):
        row.delete()
    # and the database refuses a bulk update, a bulk delete and raw SQL (bypassing the ORM)
    with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic():
        PersonalDataAccess.objects.filter(pk=row.pk).update(purpose="rewritten")
    with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic():
        PersonalDataAccess.objects.filter(pk=row.pk).delete()
    refused = (IntegrityError, DatabaseError)
    with pytest.raises(refused), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE complaints_personaldataaccess SET actor_username = 'x' WHERE id = %s",
            [row.pk],
        )
    with pytest.raises(refused), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM complaints_personaldataaccess")
    row = PersonalDataAccess.objects.get()
    assert (row.purpose, row.actor_username) == ("test", "staff1")


def test_the_one_line_call_ignores_readers_it_is_not_for(consumer, platform):
    platform_user = UserFactory(username="shop-clerk", role="platform", platform=platform)
    assert personal_data_read(actor=consumer, subject=consumer, fields=["x"], purpose="p") is None
    assert (
        personal_data_read(actor=platform_user, subject=consumer, fields=["x"], purpose="p") is None
    )
    assert personal_data_read(actor=None, subject=consumer, fields=["x"], purpose="p") is None
    admin_consumer = UserFactory(username="odd-admin", role="consumer", is_staff=True)
    assert personal_data_read(actor=admin_consumer, subject=consumer, fields=["x"], purpose="p")
    assert PersonalDataAccess.objects.count() == 1


def test_the_thread_and_evidence_files_read_by_staff_are_logged(complaint, staff):
    from evidence.models import EvidenceRecord

    client = client_for(staff)
    assert client.get(f"/api/v1/complaints/{complaint.reference}/messages/").status_code == 200
    record = EvidenceRecord.objects.filter(complaint=complaint).order_by("seq").first()
    assert client.get(f"/api/v1/evidence/{record.pk}/download/").status_code == 200
    rows = list(PersonalDataAccess.objects.order_by("id").values_list("purpose", "fields"))
    assert rows == [
        ("complaint_messages", ["messages"]),
        ("evidence_download", [f"evidence:{record.pk}"]),
    ]
