"""Retention, legal hold and purge: a closed case's evidence is kept at least 3 years, longer
under a hold that staff set and lift with a reason; after that the purge removes the contents,
keeps every record and hash (tombstones) so the log still verifies, and both holds and purges
are themselves evidence."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from io import StringIO

import pytest
from django.contrib import messages
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from complaints.actors import Actor
from complaints.exceptions import DomainValidationError, TransitionConflict, TransitionForbidden
from complaints.models import Complaint, ComplaintMessage
from complaints.services import complaint_transition, message_post
from evidence.log import checkpoint_create
from evidence.models import EvidenceBlob, EvidenceRecord, EvidenceRetention, Kind, Store
from evidence.retention import (
    evidence_purge,
    evidence_purge_due,
    evidence_purged,
    legal_hold_lift,
    legal_hold_set,
    retain_until,
)
from evidence.services import evidence_content, evidence_upload
from evidence.storage import evidence_storage, name_for
from evidence.tasks import purge_evidence
from evidence.verification import verify_all
from tests.api.clients import client_for
from tests.factories import UserFactory
from tests.helpers import PNG, admin_messages, at
from tests.states import PATHS, actor_for, complaint_in

pytestmark = pytest.mark.django_db
OTHER_PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(255, -1, -1))
MESSAGE = "我的手机13800138000，请尽快联系。"


def closed_case(consumer, *, when, photo: bytes = PNG) -> Complaint:
    """A case with a message and an uploaded photo, closed four hours after `when`."""
    complaint = complaint_in("awaiting_response", consumer=consumer, platform_code="shop", at=when)
    message_post(
        complaint_id=complaint.pk,
        actor=Actor.of_user(consumer),
        body=MESSAGE,
        at=when + timedelta(minutes=90),
    )
    evidence_upload(
        complaint_id=complaint.pk,
        actor=Actor.of_user(consumer),
        data=photo,
        file_name="耳机.png",
        kind="photo",
        at=when + timedelta(minutes=100),
    )
    step = when + timedelta(hours=1)
    for name, role, params in PATHS["closed"][1:]:
        step += timedelta(hours=1)
        complaint_transition(
            complaint_id=complaint.pk,
            name=name,
            actor=actor_for(role, complaint),
            at=step,
            params=params,
        )
    complaint.refresh_from_db()
    assert complaint.closed_at == when + timedelta(hours=4)
    return complaint


def years_ago(years: int, days: int = 0):
    return timezone.now() - timedelta(days=365 * years + years // 4 + 1 + days)


def file_exists(sha256: str) -> bool:
    return evidence_storage().exists(name_for(sha256))


def purge_document(complaint: Complaint) -> dict:
    record = EvidenceRecord.objects.get(complaint=complaint, kind=Kind.PURGE)
    return json.loads(evidence_content(record))


@pytest.fixture
def old_case(consumer, platform):
    """Closed a little over four years ago: its retention has passed."""
    return closed_case(consumer, when=years_ago(4))


@pytest.fixture
def staff_actor(staff):
    return Actor.of_user(staff)


# Legal hold.


def test_staff_set_a_legal_hold_with_a_reason_and_it_is_preserved(old_case, staff, staff_actor):
    # given a closed case
    before = EvidenceRecord.objects.filter(complaint=old_case).count()
    # when staff set a legal hold
    retention = legal_hold_set(
        complaint_id=old_case.pk, actor=staff_actor, reason="法院调取证据通知（2030）沪0115民初1号"
    )
    # then the case is held, and the hold is the chain's next record
    assert retention.legal_hold and retention.hold_set_by == staff
    assert retention.hold_reason.startswith("法院调取证据通知")
    record = EvidenceRecord.objects.filter(complaint=old_case).order_by("seq").last()
    assert record.seq == before + 1 and record.kind == Kind.LEGAL_HOLD
    assert (record.submitter_role, record.submitter_label) == ("staff", staff.username)
    document = json.loads(evidence_content(record))
    assert document["action"] == "set" and document["by"] == staff.username
    assert document["reason"] == retention.hold_reason
    assert document["complaint"] == old_case.reference
    assert verify_all().ok


def test_lifting_a_hold_is_recorded_too(old_case, staff_actor):
    legal_hold_set(complaint_id=old_case.pk, actor=staff_actor, reason="诉讼中")
    retention = legal_hold_lift(complaint_id=old_case.pk, actor=staff_actor, reason="判决已生效")
    assert not retention.legal_hold and retention.hold_reason == ""
    holds = EvidenceRecord.objects.filter(complaint=old_case, kind=Kind.LEGAL_HOLD).order_by("seq")
    documents = [json.loads(evidence_content(r)) for r in holds]
    assert [(d["action"], d["reason"]) for d in documents] == [
        ("set", "诉讼中"),
        ("lift", "判决已生效"),
    ]


@pytest.mark.parametrize("role", ["consumer", "platform", "system"])
def test_only_staff_may_set_a_hold(old_case, role):
    before = EvidenceRecord.objects.count()
    with pytest.raises(TransitionForbidden):
        legal_hold_set(complaint_id=old_case.pk, actor=actor_for(role, old_case), reason="x")
    assert EvidenceRecord.objects.count() == before
    assert not EvidenceRetention.objects.filter(complaint=old_case, legal_hold=True).exists()


def test_an_inactive_staff_member_may_not_lift_a_hold(old_case, staff, staff_actor):
    legal_hold_set(complaint_id=old_case.pk, actor=staff_actor, reason="诉讼中")
    staff.is_active = False
    staff.save()
    with pytest.raises(TransitionForbidden):
        legal_hold_lift(complaint_id=old_case.pk, actor=Actor.of_user(staff), reason="结束")
    assert EvidenceRetention.objects.get(complaint=old_case).legal_hold


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_a_hold_needs_a_reason(old_case, staff_actor, reason):
    before = EvidenceRecord.objects.count()
    with pytest.raises(DomainValidationError) as raised:
        legal_hold_set(complaint_id=old_case.pk, actor=staff_actor, reason=reason)
    assert "reason" in raised.value.errors
    assert EvidenceRecord.objects.count() == before


def test_a_hold_is_set_once_and_lifted_once(old_case, staff_actor):
    with pytest.raises(TransitionConflict) as raised:
        legal_hold_lift(complaint_id=old_case.pk, actor=staff_actor, reason="无冻结")
    assert raised.value.allowed == ["legal_hold_set"]
    legal_hold_set(complaint_id=old_case.pk, actor=staff_actor, reason="诉讼中")
    with pytest.raises(TransitionConflict):
        legal_hold_set(complaint_id=old_case.pk, actor=staff_actor, reason="再次")
    assert EvidenceRecord.objects.filter(complaint=old_case, kind=Kind.LEGAL_HOLD).count() == 1


def test_an_open_case_can_be_held_ahead_of_closing(consumer, platform, staff_actor):
    complaint = complaint_in("mediating", consumer=consumer, platform_code="shop")
    retention = legal_hold_set(complaint_id=complaint.pk, actor=staff_actor, reason="预防性保全")
    assert retention.legal_hold and retention.hold_reason == "预防性保全"
    assert EvidenceRecord.objects.filter(complaint=complaint, kind=Kind.LEGAL_HOLD).count() == 1
    assert retain_until(complaint) is None


# The period.


def test_retention_runs_three_years_from_closing_and_a_leap_day_rounds_up():
    complaint = Complaint(closed_at=at(2028, 2, 29, 15))
    assert retain_until(complaint) == at(2031, 3, 1, 15)
    complaint = Complaint(closed_at=at(2026, 5, 4, 9))
    assert retain_until(complaint) == at(2029, 5, 4, 9)


def test_fewer_than_three_years_is_refused_at_use(old_case, settings):
    settings.WEIQUAN = {**settings.WEIQUAN, "EVIDENCE_RETENTION_YEARS": 2}
    with pytest.raises(ImproperlyConfigured, match="at least 3"):
        evidence_purge_due(now=timezone.now())
    with pytest.raises(CommandError, match="at least 3"):
        call_command("purge_evidence", stdout=StringIO())
    assert not EvidenceRecord.objects.filter(kind=Kind.PURGE).exists()


@pytest.mark.parametrize("value", ["2", "three"])
def test_fewer_than_three_years_is_refused_at_start_up(value):
    env = {"DJANGO_SETTINGS_MODULE": "config.settings_test", "EVIDENCE_RETENTION_YEARS": value}
    result = subprocess.run(  # noqa: S603 (our own interpreter, fixed arguments)
        [sys.executable, "-c", "import config.settings"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and "EVIDENCE_RETENTION_YEARS" in result.stderr


def test_a_longer_retention_setting_keeps_the_case(old_case, settings):
    settings.WEIQUAN = {**settings.WEIQUAN, "EVIDENCE_RETENTION_YEARS": 5}
    summary = evidence_purge_due(now=timezone.now())
    assert summary.purged == []


# Purging.


def test_purge_after_retention_removes_contents_and_the_log_still_verifies(
    old_case, consumer, django_capture_on_commit_callbacks
):
    # given a case closed four years ago, its photo stored, and a signed checkpoint
    records = list(EvidenceRecord.objects.filter(complaint=old_case).order_by("seq"))
    photo = next(r for r in records if r.store == Store.FILE)
    assert file_exists(photo.sha256)
    checkpoint_create()
    # when the purge runs
    with django_capture_on_commit_callbacks(execute=True):
        summary = evidence_purge_due(now=timezone.now())
    # then the case is reported, every record is still there, and one purge record follows
    assert [c.reference for c in summary.purged] == [old_case.reference]
    assert summary.purged[0].records == len(records)
    after = list(EvidenceRecord.objects.filter(complaint=old_case).order_by("seq"))
    assert after[: len(records)] == records
    assert [r.record_hash for r in after[: len(records)]] == [r.record_hash for r in records]
    tombstone = after[-1]
    assert (tombstone.kind, tombstone.submitter_role) == (Kind.PURGE, "system")
    # the contents are gone, the tombstone list names each record and its hash
    assert all(evidence_content(r) is None for r in records)
    assert not file_exists(photo.sha256)
    assert not EvidenceBlob.objects.filter(sha256__in=[r.sha256 for r in records]).exists()
    document = purge_document(old_case)
    assert document["purged"] == [{"record": r.pk, "sha256": r.sha256} for r in records]
    assert document["retention_years"] == 3
    # and the whole log, with the checkpoint signed before the purge, verifies
    report = verify_all()
    assert report.ok, report.first_problem
    assert report.purged == len(records)
    assert call_command("verify_evidence", stdout=StringIO()) is None
    retention = EvidenceRetention.objects.get(complaint=old_case)
    assert retention.purged_at is not None and retention.purge_record == tombstone
    assert all(evidence_purged(r) for r in records) and not evidence_purged(tombstone)


def test_purge_blanks_the_copies_in_the_timeline_thread_and_case_file(old_case):
    assert old_case.events.get(name="filed").payload["description"]
    evidence_purge_due(now=timezone.now())
    old_case.refresh_from_db()
    assert all(event.payload == {} for event in old_case.events.all())
    assert ComplaintMessage.objects.get(complaint=old_case).body == ""
    assert (old_case.description, old_case.order_number, old_case.agreement_terms) == ("", "", "")
    # what statistics and the timeline's shape need stays
    assert old_case.status == "closed" and old_case.outcome == "resolved"
    assert old_case.amount_claimed and old_case.region and old_case.category
    assert [e.name for e in old_case.events.all()][0] == "filed"


def test_a_purged_record_answers_410_and_the_tombstone_list_stays(
    old_case, consumer, django_capture_on_commit_callbacks
):
    records = list(EvidenceRecord.objects.filter(complaint=old_case))
    with django_capture_on_commit_callbacks(execute=True):
        evidence_purge_due(now=timezone.now())
    client = client_for(consumer)
    for record in records:
        response = client.get(f"/api/v1/evidence/{record.pk}/download/")
        assert response.status_code == 410
        assert response["Content-Type"] == "application/problem+json"
        assert response.json()["code"] == "evidence_purged"
    tombstone = EvidenceRecord.objects.get(complaint=old_case, kind=Kind.PURGE)
    response = client.get(f"/api/v1/evidence/{tombstone.pk}/download/")
    assert response.status_code == 200
    listed = json.loads(b"".join(response.streaming_content))["purged"]
    assert {item["record"] for item in listed} == {r.pk for r in records}
    # the list of records with their hashes is still served
    listing = client.get(f"/api/v1/complaints/{old_case.reference}/evidence/")
    assert listing.status_code == 200 and len(listing.json()) == len(records) + 1
    verification = client.get(f"/api/v1/evidence/{records[0].pk}/verify/").json()
    assert verification["checks"]["content"] == "purged" and verification["ok"]


def test_a_case_under_legal_hold_is_kept_until_the_hold_is_lifted(old_case, staff_actor):
    # given a held case past its retention
    legal_hold_set(complaint_id=old_case.pk, actor=staff_actor, reason="仲裁程序进行中")
    # when the purge runs, it is reported as held and nothing is touched
    summary = evidence_purge_due(now=timezone.now())
    assert (summary.purged, summary.held) == ([], [old_case.reference])
    assert not EvidenceRecord.objects.filter(kind=Kind.PURGE).exists()
    assert all(
        evidence_content(r) is not None for r in EvidenceRecord.objects.filter(complaint=old_case)
    )
    # when the hold is lifted, the next run purges it
    legal_hold_lift(complaint_id=old_case.pk, actor=staff_actor, reason="仲裁裁决已执行")
    summary = evidence_purge_due(now=timezone.now())
    assert [c.reference for c in summary.purged] == [old_case.reference]
    # the hold's own records are among the purged, by hash
    holds = EvidenceRecord.objects.filter(complaint=old_case, kind=Kind.LEGAL_HOLD)
    assert {r.pk for r in holds} <= {i["record"] for i in purge_document(old_case)["purged"]}
    assert verify_all().ok
    # and a purged case can no longer be held
    with pytest.raises(TransitionConflict):
        legal_hold_set(complaint_id=old_case.pk, actor=staff_actor, reason="迟到的冻结")


def test_a_case_is_kept_until_three_full_years_after_closing(consumer, platform, time_machine):
    # given a case closed on 10 January 2026 at 14:00
    complaint = closed_case(consumer, when=at(2026, 1, 10, 10))
    # when the purge runs a minute before three years have passed, nothing happens
    time_machine.move_to(at(2029, 1, 10, 13, 59), tick=False)
    assert evidence_purge_due(now=timezone.now()).purged == []
    assert not EvidenceRecord.objects.filter(kind=Kind.PURGE).exists()
    # when it runs at three years, the case is purged
    time_machine.move_to(at(2029, 1, 10, 14, 0), tick=False)
    summary = evidence_purge_due(now=timezone.now())
    assert [c.reference for c in summary.purged] == [complaint.reference]
    assert verify_all().ok


def test_an_open_case_is_never_purged(consumer, platform):
    complaint = complaint_in("mediating", consumer=consumer, platform_code="shop", at=years_ago(5))
    assert evidence_purge_due(now=timezone.now()).purged == []
    assert not EvidenceRetention.objects.filter(complaint=complaint).exists()


def test_content_shared_with_a_retained_case_survives(
    consumer, other_consumer, platform, django_capture_on_commit_callbacks, time_machine
):
    # given the same photo in an old case and in a recent one
    old = closed_case(consumer, when=years_ago(4))
    recent = closed_case(other_consumer, when=years_ago(1))
    old_photo = EvidenceRecord.objects.get(complaint=old, store=Store.FILE)
    recent_photo = EvidenceRecord.objects.get(complaint=recent, store=Store.FILE)
    assert old_photo.sha256 == recent_photo.sha256
    # when the old case is purged
    with django_capture_on_commit_callbacks(execute=True):
        summary = evidence_purge_due(now=timezone.now())
    # then the photo stays for the recent case, which still downloads it
    assert summary.purged[0].contents_shared == 1
    assert file_exists(recent_photo.sha256)
    response = client_for(other_consumer).get(f"/api/v1/evidence/{recent_photo.pk}/download/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PNG
    # the old case's record is a tombstone all the same: not served, and everything verifies
    assert evidence_purged(old_photo) and not evidence_purged(recent_photo)
    staff = UserFactory(username="staff-shared", role="staff")
    purged = client_for(staff).get(f"/api/v1/evidence/{old_photo.pk}/download/")
    assert purged.status_code == 410
    report = verify_all()
    assert report.ok, report.first_problem
    # and once the recent case is purged too, two years later, the file goes
    time_machine.move_to(recent.closed_at + timedelta(days=3 * 366), tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        assert evidence_purge(complaint_id=recent.pk, now=timezone.now())
    assert not file_exists(recent_photo.sha256)
    assert verify_all().ok


def test_a_dry_run_changes_nothing(old_case, django_capture_on_commit_callbacks):
    counts = (EvidenceRecord.objects.count(), EvidenceBlob.objects.count())
    photo = EvidenceRecord.objects.get(complaint=old_case, store=Store.FILE)
    with django_capture_on_commit_callbacks() as callbacks:
        summary = evidence_purge_due(now=timezone.now(), dry_run=True)
    assert [c.reference for c in summary.purged] == [old_case.reference]
    assert summary.purged[0].contents_removed == summary.purged[0].records
    assert callbacks == []
    assert (EvidenceRecord.objects.count(), EvidenceBlob.objects.count()) == counts
    assert file_exists(photo.sha256)
    assert not EvidenceRetention.objects.exists()
    old_case.refresh_from_db()
    assert old_case.description


def test_a_dry_run_may_look_ahead_but_a_purge_may_not(consumer, platform):
    complaint = closed_case(consumer, when=years_ago(2))
    ahead = timezone.now() + timedelta(days=400)
    assert [c.reference for c in evidence_purge_due(now=ahead, dry_run=True).purged] == [
        complaint.reference
    ]
    with pytest.raises(DomainValidationError):
        evidence_purge_due(now=ahead)
    assert not EvidenceRecord.objects.filter(kind=Kind.PURGE).exists()


def test_purging_again_changes_nothing(old_case):
    evidence_purge_due(now=timezone.now())
    count = EvidenceRecord.objects.count()
    assert evidence_purge_due(now=timezone.now()).purged == []
    assert evidence_purge(complaint_id=old_case.pk, now=timezone.now()) is None
    assert EvidenceRecord.objects.count() == count


def test_a_failed_purge_rolls_back_deletes_no_file_and_the_others_proceed(
    old_case, other_consumer, monkeypatch, django_capture_on_commit_callbacks
):
    # given two cases past retention, the first of which will fail to purge
    second = closed_case(other_consumer, when=years_ago(4), photo=OTHER_PNG)
    from evidence import retention

    real = retention._blank_case_data

    def fail_first(complaint, at):
        if complaint.pk == old_case.pk:
            raise RuntimeError("database went away")
        real(complaint, at)

    monkeypatch.setattr(retention, "_blank_case_data", fail_first)
    photo = EvidenceRecord.objects.get(complaint=old_case, store=Store.FILE)
    # when the purge runs
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        summary = evidence_purge_due(now=timezone.now())
    # then the failed case is reported and untouched: no file deleted, nothing written
    assert summary.failed == [old_case.reference]
    assert [c.reference for c in summary.purged] == [second.reference]
    assert len(callbacks) == 1  # the second case's file deletion only
    assert file_exists(photo.sha256)
    assert not EvidenceRecord.objects.filter(complaint=old_case, kind=Kind.PURGE).exists()
    assert all(
        evidence_content(r) is not None for r in EvidenceRecord.objects.filter(complaint=old_case)
    )
    assert not EvidenceRetention.objects.filter(complaint=old_case, purged_at__isnull=False)
    assert verify_all().ok
    # and the command says so with a non-zero exit
    monkeypatch.setattr(retention, "_blank_case_data", fail_first)
    with pytest.raises(CommandError, match=f"1 failed .*{old_case.reference}"):
        call_command("purge_evidence", stdout=StringIO())


# The command and the task.


def test_command_purges_and_reports_what_it_did(old_case, staff_actor, consumer):
    held = closed_case(consumer, when=years_ago(5), photo=OTHER_PNG)
    legal_hold_set(complaint_id=held.pk, actor=staff_actor, reason="诉讼中")
    out = StringIO()
    call_command("purge_evidence", "--dry-run", stdout=out)
    text = out.getvalue()
    assert f"would purge {old_case.reference}" in text
    assert f"kept {held.reference}: under legal hold" in text
    assert "Total: 1 would purge, 1 under legal hold" in text
    assert not EvidenceRecord.objects.filter(kind=Kind.PURGE).exists()
    out = StringIO()
    call_command("purge_evidence", stdout=out)
    assert f"purged {old_case.reference}" in out.getvalue()
    out = StringIO()
    call_command("purge_evidence", stdout=out)
    assert "Total: 0 purged, 1 under legal hold" in out.getvalue()


def test_command_as_of(consumer, platform):
    complaint = closed_case(consumer, when=at(2026, 1, 10, 10))
    out = StringIO()
    call_command("purge_evidence", "--dry-run", "--as-of", "2029-01-10T14:00", stdout=out)
    assert f"would purge {complaint.reference}" in out.getvalue()
    out = StringIO()
    call_command("purge_evidence", "--dry-run", "--as-of", "2029-01-10T13:59", stdout=out)
    assert complaint.reference not in out.getvalue()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--as-of", "yesterday"], "ISO 8601"),
        (["--as-of", "2026-13-40T10:00"], "--as-of"),
        (["--as-of", "2999-01-01T00:00"], "only --dry-run may look ahead"),
        (["--as-of", "0001-01-01T00:00"], "between the years"),
        (["--as-of", "0003-06-01T00:00", "--dry-run"], "between the years"),
        (["--as-of", "9999-12-31T23:59:59-12:00", "--dry-run"], "between the years"),
    ],
)
def test_command_refuses_bad_input(args, message):
    with pytest.raises(CommandError, match=message):
        call_command("purge_evidence", *args, stdout=StringIO())


def test_command_exits_non_zero_on_bad_input():
    result = subprocess.run(  # noqa: S603 (our own interpreter, fixed arguments)
        [sys.executable, "manage.py", "purge_evidence", "--as-of", "soon"],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings_test"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "ISO 8601" in result.stderr


def test_the_task_purges_and_returns_a_summary(old_case):
    result = purge_evidence.delay().get()
    assert result["dry_run"] is False
    assert [case["reference"] for case in result["purged"]] == [old_case.reference]


# The admin.


RETENTION = reverse("admin:evidence_retentioncase_changelist")


def fire(client, action: str, *complaints: Complaint, **data):
    return client.post(
        RETENTION, {"action": action, "_selected_action": [c.pk for c in complaints], **data}
    )


def test_admin_lists_render_for_staff(staff_client, old_case, staff_actor):
    legal_hold_set(complaint_id=old_case.pk, actor=staff_actor, reason="诉讼中")
    checkpoint_create()
    record = EvidenceRecord.objects.filter(complaint=old_case).first()
    pages = [
        reverse("admin:evidence_evidencerecord_changelist"),
        reverse("admin:evidence_evidencerecord_changelist") + "?kind__exact=legal_hold",
        reverse("admin:evidence_evidencerecord_changelist") + f"?q={old_case.reference}",
        reverse("admin:evidence_evidencerecord_change", args=[record.pk]),
        reverse("admin:evidence_checkpoint_changelist"),
        RETENTION,
        RETENTION + "?retention=held",
        RETENTION + "?retention=purged",
        RETENTION + "?retention=closed",
        reverse("admin:evidence_retentioncase_change", args=[old_case.pk]),
    ]
    for url in pages:
        assert staff_client.get(url).status_code == 200, url
    listing = staff_client.get(RETENTION).content.decode()
    assert old_case.reference in listing and "诉讼中" in listing
    # nothing in the log can be added, changed or deleted through the admin
    page = staff_client.get(reverse("admin:evidence_evidencerecord_change", args=[record.pk]))
    assert 'name="sha256"' not in page.content.decode()
    assert staff_client.get(reverse("admin:evidence_evidencerecord_add")).status_code == 403
    delete = reverse("admin:evidence_evidencerecord_delete", args=[record.pk])
    assert staff_client.post(delete, {"post": "yes"}).status_code == 403


def test_admin_sets_and_lifts_a_hold_with_a_reason(staff_client, staff, old_case):
    # when staff choose the action they are asked for a reason
    page = fire(staff_client, "set_legal_hold", old_case, index="0")
    assert page.status_code == 200 and 'name="reason"' in page.content.decode()
    # without one, the form says so and nothing changes
    response = fire(staff_client, "set_legal_hold", old_case, apply="1", reason="")
    assert response.status_code == 200 and response.context["form"].errors.keys() == {"reason"}
    assert not EvidenceRetention.objects.exists()
    # with one, the hold is set by the staff member
    response = fire(staff_client, "set_legal_hold", old_case, apply="1", reason="法院保全裁定")
    assert response.status_code == 302
    retention = EvidenceRetention.objects.get(complaint=old_case)
    assert retention.legal_hold and retention.hold_set_by == staff
    assert (messages.SUCCESS, "已对 1 件投诉设置保全冻结。") in admin_messages(response)
    # setting it again is reported, not applied
    response = fire(staff_client, "set_legal_hold", old_case, apply="1", reason="再次")
    assert (messages.ERROR, f"{old_case.reference}：已处于保全冻结") in admin_messages(response)
    # and lifting it is recorded as evidence
    response = fire(staff_client, "lift_legal_hold", old_case, apply="1", reason="裁定解除")
    assert response.status_code == 302
    assert not EvidenceRetention.objects.get(complaint=old_case).legal_hold
    assert EvidenceRecord.objects.filter(complaint=old_case, kind=Kind.LEGAL_HOLD).count() == 2


def test_admin_hold_by_a_superuser_who_is_not_staff_is_refused(client, old_case):
    boss = UserFactory(username="root", role="consumer", is_staff=True, is_superuser=True)
    client.force_login(boss)
    response = fire(client, "set_legal_hold", old_case, apply="1", reason="想冻结")
    assert response.status_code == 302
    [(level, text)] = admin_messages(response)
    assert level == messages.ERROR and old_case.reference in text
    assert not EvidenceRetention.objects.filter(legal_hold=True).exists()


def test_admin_is_closed_to_users_without_the_staff_role(client, consumer):
    consumer.is_staff = True
    consumer.save(update_fields=["is_staff"])
    client.force_login(consumer)
    assert client.get(RETENTION).status_code == 403
    assert client.get(reverse("admin:evidence_evidencerecord_changelist")).status_code == 403


def test_a_purge_of_a_case_not_due_writes_nothing(consumer, platform):
    from evidence.models import EvidenceRetention

    recent = closed_case(consumer, when=years_ago(1))
    assert evidence_purge(complaint_id=recent.pk, now=timezone.now()) is None
    assert not EvidenceRetention.objects.filter(complaint=recent).exists()
