"""Evidence over HTTP: uploads checked from the bytes, downloads as attachments, access per
case, per-record verification, and the public checkpoints and key."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from api.keys import api_key_create
from evidence import merkle, notes
from evidence.log import checkpoint_create
from evidence.models import EvidenceBlob, EvidenceRecord, Kind, Store
from tests.api.clients import client_for
from tests.factories import UserFactory
from tests.helpers import PNG
from tests.states import complaint_in

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def complaint(consumer, platform):
    return complaint_in("awaiting_response", consumer=consumer, platform_code="shop")


def url(complaint) -> str:
    return f"/api/v1/complaints/{complaint.reference}/evidence/"


def upload(client, complaint, data: bytes, name: str = "photo.png", kind: str = "photo", **extra):
    return client.post(
        url(complaint),
        {"file": SimpleUploadedFile(name, data), "kind": kind, **extra},
        format="multipart",
    )


def test_a_consumer_uploads_a_photo_and_it_is_chained(consumer, complaint):
    response = upload(client_for(consumer), complaint, PNG, description="收到的耳机照片")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["media_type"] == "image/png"
    assert body["sha256"] == hashlib.sha256(PNG).hexdigest()
    assert body["size"] == len(PNG)
    assert body["kind_label"] == "照片"
    record = EvidenceRecord.objects.get(pk=body["id"])
    previous = EvidenceRecord.objects.get(chain=record.chain, seq=record.seq - 1)
    assert record.prev_hash == previous.record_hash
    assert record.submitter_role == "consumer" and record.store == Store.FILE


def test_the_type_comes_from_the_bytes_not_the_name(consumer, complaint):
    response = upload(client_for(consumer), complaint, PDF, name="invoice.jpg", kind="receipt")
    assert response.status_code == 201
    assert response.json()["media_type"] == "application/pdf"


def test_a_platform_uploads_a_transaction_record(platform, complaint):
    key = api_key_create(platform=platform)[1]
    text = "订单号 SO-2026-0001，已发货，签收时间 2026-11-03。".encode()
    response = upload(
        client_for(api_key=key), complaint, text, name="order.txt", kind="transaction_record"
    )
    assert response.status_code == 201
    assert response.json()["media_type"] == "text/plain"
    assert response.json()["submitter_role"] == "platform"


@pytest.mark.parametrize(
    ("data", "name", "reason"),
    [
        (b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64, "setup.exe", "unsupported_type"),
        (b"\x1f\x8b\x08\x00" + b"\x00" * 32, "logs.gz", "archive"),
        (b"Rar!\x1a\x07\x01\x00" + b"\x00" * 32, "photos.rar", "archive"),
    ],
)
def test_refused_types_are_415_and_store_nothing(consumer, complaint, data, name, reason):
    before = EvidenceRecord.objects.count()
    response = upload(client_for(consumer), complaint, data, name=name, kind="other")
    assert response.status_code == 415
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["reason"] == reason
    assert EvidenceRecord.objects.count() == before


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_a_plain_zip_is_refused_and_an_office_document_accepted(consumer, complaint):
    client = client_for(consumer)
    plain = _zip({"a.txt": b"hello"})
    assert upload(client, complaint, plain, name="a.zip", kind="other").status_code == 415
    docx = _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})
    response = upload(client, complaint, docx, name="contract.docx", kind="contract")
    assert response.status_code == 201
    assert response.json()["media_type"].endswith("wordprocessingml.document")


def test_a_zip_bomb_disguised_as_a_document_is_refused(consumer, complaint):
    bomb = _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"\x00" * 5_000_000})
    response = upload(client_for(consumer), complaint, bomb, name="big.docx", kind="contract")
    assert response.status_code == 415
    assert response.json()["reason"] == "archive_bomb"


def test_a_file_over_the_limit_is_413(consumer, complaint, settings):
    settings.WEIQUAN = {**settings.WEIQUAN, "EVIDENCE_MAX_UPLOAD_BYTES": 100}
    response = upload(client_for(consumer), complaint, PNG)
    assert response.status_code == 413
    assert response.json()["max_bytes"] == 100
    assert not EvidenceRecord.objects.filter(store=Store.FILE).exists()


def test_the_per_complaint_quota_is_413(consumer, complaint, settings):
    settings.WEIQUAN = {**settings.WEIQUAN, "EVIDENCE_QUOTA_FILES": 1}
    client = client_for(consumer)
    assert upload(client, complaint, PNG).status_code == 201
    response = upload(client, complaint, PDF, name="b.pdf", kind="receipt")
    assert response.status_code == 413
    assert response.json()["code"] == "evidence_quota_exceeded"


def test_missing_fields_are_400_and_json_is_415(consumer, complaint):
    client = client_for(consumer)
    response = client.post(url(complaint), {"kind": "photo"}, format="multipart")
    assert response.status_code == 400 and "file" in response.json()["errors"]
    response = client.post(url(complaint), {"kind": "photo"}, format="json")
    assert response.status_code == 415


def test_download_is_an_attachment_that_is_never_sniffed(consumer, complaint):
    client = client_for(consumer)
    record_id = upload(client, complaint, PNG, name="../../etc/耳机.png").json()["id"]
    response = client.get(f"/api/v1/evidence/{record_id}/download/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PNG
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;") and "etc" not in disposition


def test_system_records_can_be_downloaded_as_json(consumer, complaint):
    record = EvidenceRecord.objects.filter(complaint=complaint, kind=Kind.COMPLAINT_FILED).get()
    response = client_for(consumer).get(f"/api/v1/evidence/{record.pk}/download/")
    assert response["Content-Type"] == "application/json"
    assert hashlib.sha256(b"".join(response.streaming_content)).hexdigest() == record.sha256
    assert EvidenceBlob.objects.filter(sha256=record.sha256).exists()


def test_the_list_shows_the_whole_chain_in_order(consumer, complaint):
    client = client_for(consumer)
    upload(client, complaint, PNG)
    records = client.get(url(complaint)).json()
    assert [r["seq"] for r in records] == list(range(1, len(records) + 1))
    assert [r["kind"] for r in records][-1] == "photo"


def test_other_parties_and_regulators_get_nothing(
    consumer, other_consumer, other_platform, regulator, complaint
):
    record_id = upload(client_for(consumer), complaint, PNG).json()["id"]
    outsiders = [
        client_for(other_consumer),
        client_for(api_key=api_key_create(platform=other_platform)[1]),
        client_for(UserFactory(username="m2", role="mediator")),
    ]
    for client in outsiders:
        assert client.get(url(complaint)).status_code == 404
        assert upload(client, complaint, PNG).status_code == 404
        assert client.get(f"/api/v1/evidence/{record_id}/download/").status_code == 404
        assert client.get(f"/api/v1/evidence/{record_id}/verify/").status_code == 404
    regulator_client = client_for(regulator)
    assert regulator_client.get(url(complaint)).status_code == 403
    assert regulator_client.get(f"/api/v1/evidence/{record_id}/download/").status_code == 403
    assert client_for().get(url(complaint)).status_code == 401


def test_no_upload_once_the_case_is_closed(consumer, platform):
    closed = complaint_in("withdrawn", consumer=consumer, platform_code="shop")
    assert upload(client_for(consumer), closed, PNG).status_code == 409


def test_verify_reports_the_checks_and_the_inclusion_proof(consumer, complaint):
    client = client_for(consumer)
    record_id = upload(client, complaint, PNG).json()["id"]
    pending = client.get(f"/api/v1/evidence/{record_id}/verify/").json()
    assert pending["ok"] is True and pending["inclusion"] == "pending"
    checkpoint = checkpoint_create()
    result = client.get(f"/api/v1/evidence/{record_id}/verify/").json()
    assert result["ok"] is True
    inclusion = result["inclusion"]
    record = EvidenceRecord.objects.get(pk=record_id)
    merkle.verify_inclusion(
        merkle.leaf_hash(bytes.fromhex(record.record_hash)),
        index=inclusion["leaf_index"],
        tree_size=inclusion["tree_size"],
        proof=[bytes.fromhex(h) for h in inclusion["proof"]],
        root=bytes.fromhex(checkpoint.root_hash),
    )


def test_checkpoints_and_the_public_key_are_public_and_verify(complaint):
    checkpoint_create()
    anonymous = client_for()
    key = anonymous.get("/api/v1/evidence/public-key/").json()
    published = anonymous.get("/api/v1/evidence/checkpoints/").json()
    assert len(published) == 1
    name, public_key = notes.parse_verifier_key(key["verifier_key"])
    assert name == key["origin"]
    body = notes.verify_note(published[0]["note"], name, public_key)
    assert notes.parse_checkpoint(body).tree_size == published[0]["tree_size"]
    assert published[0]["time"].endswith("Z")
    assert len(key["fingerprint"]) == 64


def test_a_message_carries_files_the_author_uploaded(consumer, platform, complaint):
    client = client_for(consumer)
    photo = upload(client, complaint, PNG).json()["id"]
    thread = f"/api/v1/complaints/{complaint.reference}/messages/"
    response = client.post(thread, {"body": "附上照片", "attachments": [photo]}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["attachments"] == [photo]
    # the platform sees it and downloads the file
    platform_client = client_for(api_key=api_key_create(platform=platform)[1])
    message = platform_client.get(thread).json()["results"][-1]
    assert message["attachments"] == [photo]
    download = platform_client.get(f"/api/v1/evidence/{photo}/download/")
    assert b"".join(download.streaming_content) == PNG
    # and the preserved message names the file
    event = complaint.events.get(name="message_posted")
    assert event.payload["attachments"] == [photo]


def test_a_message_cannot_attach_someone_elses_or_another_cases_file(consumer, platform, complaint):
    platform_client = client_for(api_key=api_key_create(platform=platform)[1])
    theirs = upload(platform_client, complaint, PNG).json()["id"]
    other_case = complaint_in("awaiting_response", consumer=consumer, platform_code="shop")
    elsewhere = upload(client_for(consumer), other_case, PNG).json()["id"]
    thread = f"/api/v1/complaints/{complaint.reference}/messages/"
    for ids in ([theirs], [elsewhere], [999999]):
        response = client_for(consumer).post(
            thread, {"body": "看这个", "attachments": ids}, format="json"
        )
        assert response.status_code == 422, response.content
        assert "attachments" in response.json()["errors"]
    assert not complaint.messages.exists()


def test_an_absurd_record_id_is_404_not_an_overflow(consumer):
    client = client_for(consumer)
    assert client.get("/api/v1/evidence/99999999999999999999999/download/").status_code == 404
    assert client.get("/api/v1/evidence/0/verify/").status_code == 404


def test_a_large_upload_with_an_idempotency_key_is_taken_and_replayed(consumer, complaint):
    big = PDF + b"\x00" * (3 * 1024 * 1024)  # above Django's default 2.5 MB body limit
    client = client_for(consumer)
    first = client.post(
        url(complaint),
        {"file": SimpleUploadedFile("big.pdf", big), "kind": "receipt"},
        format="multipart",
        HTTP_IDEMPOTENCY_KEY="big-upload",
    )
    assert first.status_code == 201, first.content
    assert first.json()["size"] == len(big)


def test_a_crafted_office_document_is_refused_not_a_crash(consumer, complaint):
    docx = bytearray(
        _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})
    )
    central = docx.index(b"PK\x01\x02")
    docx[central + 6] = 88  # "version needed to extract": 8.8, which zipfile cannot read
    response = upload(client_for(consumer), complaint, bytes(docx), name="x.docx", kind="contract")
    assert response.status_code == 415
    assert response.json()["reason"] == "corrupt"


def test_one_file_per_upload(consumer, complaint):
    response = client_for(consumer).post(
        url(complaint),
        {
            "file": [SimpleUploadedFile("a.png", PNG), SimpleUploadedFile("b.pdf", PDF)],
            "kind": "photo",
        },
        format="multipart",
    )
    assert response.status_code == 400 and "file" in response.json()["errors"]
    assert not EvidenceRecord.objects.filter(store=Store.FILE).exists()


def test_a_long_name_keeps_its_extension(consumer, complaint):
    name = "很长的文件名" * 60 + ".png"
    body = upload(client_for(consumer), complaint, PNG, name=name).json()
    assert len(body["file_name"]) == 255 and body["file_name"].endswith(".png")


def test_a_lost_file_is_a_logged_server_error_not_a_purge(consumer, complaint, caplog):
    from evidence.storage import delete_file

    client = client_for(consumer)
    record = upload(client, complaint, PNG).json()
    delete_file(record["sha256"])
    response = client.get(f"/api/v1/evidence/{record['id']}/download/")
    assert response.status_code == 500
    assert response.json()["code"] == "evidence_content_missing"
    assert f"evidence record {record['id']}" in caplog.text


def test_the_download_carries_its_digest(consumer, complaint):
    import base64

    record = upload(client_for(consumer), complaint, PNG).json()
    response = client_for(consumer).get(f"/api/v1/evidence/{record['id']}/download/")
    digest = base64.b64encode(hashlib.sha256(PNG).digest()).decode()
    assert response["Repr-Digest"] == f"sha-256=:{digest}:"


def test_the_same_bytes_stored_twice_at_once_keep_one_file(monkeypatch):
    from evidence import storage

    data = b"%PDF-1.7 same bytes"
    sha256 = hashlib.sha256(data).hexdigest()
    storage.store_bytes(data, sha256)
    # when a second writer checked before the first one's file existed
    real_exists = storage.evidence_storage().exists
    looks = []

    def missing_at_the_first_look(name):
        looks.append(name)
        return len(looks) > 1 and real_exists(name)

    monkeypatch.setattr(storage.evidence_storage(), "exists", missing_at_the_first_look)
    assert storage.store_bytes(data, sha256) == storage.name_for(sha256)
    monkeypatch.undo()
    # then one file stays, under its hash, and no renamed copy is left behind
    folder = Path(storage.evidence_storage().path(storage.name_for(sha256))).parent
    assert [p.name for p in folder.iterdir()] == [sha256]


def test_a_file_cut_short_by_a_crash_is_replaced_by_the_next_copy_of_its_bytes():
    from evidence import storage

    data = b"%PDF-1.7 whole file, then a crash"
    sha256 = hashlib.sha256(data).hexdigest()
    # given a writer killed half-way, leaving a short file under the final name
    path = Path(storage.evidence_storage().path(storage.name_for(sha256)))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data[:10])
    # when the same bytes are stored again
    storage.store_bytes(data, sha256)
    # then the file holds them whole
    assert storage.read_bytes(sha256) == data
    assert storage.file_sha256(sha256) == sha256


def test_the_same_upload_retried_with_its_key_is_replayed_not_refused(consumer, complaint):
    client = client_for(consumer)
    answers = []
    for boundary in ("one-boundary", "another-boundary"):  # clients pick a new one each time
        body = (
            (
                f"--{boundary}\r\n"
                'Content-Disposition: form-data; name="kind"\r\n\r\nphoto\r\n'
                f"--{boundary}\r\n"
                'Content-Disposition: form-data; name="file"; filename="a.png"\r\n'
                "Content-Type: image/png\r\n\r\n"
            ).encode()
            + PNG
            + f"\r\n--{boundary}--\r\n".encode()
        )
        answers.append(
            client.post(
                url(complaint),
                body,
                content_type=f"multipart/form-data; boundary={boundary}",
                HTTP_IDEMPOTENCY_KEY="retry-upload",
            )
        )
    assert [a.status_code for a in answers] == [201, 201]
    assert answers[1]["Idempotent-Replayed"] == "true"
    assert answers[0].json() == answers[1].json()
    assert EvidenceRecord.objects.filter(store=Store.FILE).count() == 1
