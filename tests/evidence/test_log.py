"""The evidence log: every change preserved in its transaction, append-only in the database,
chained per complaint, checkpointed, and verification naming whatever was tampered with."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, IntegrityError, transaction

from complaints.actors import Actor
from complaints.exceptions import TransitionConflict
from complaints.services import complaint_transition
from evidence import merkle, notes
from evidence.chain import GENESIS, record_hash
from evidence.log import checkpoint_create, log_integrate, log_origin, public_key
from evidence.models import Checkpoint, EvidenceChain, EvidenceRecord, Kind, LogLeaf
from evidence.services import evidence_upload
from evidence.storage import evidence_storage, name_for
from evidence.verification import verify_all, verify_record
from tests.evidence.tamper import sql, triggers_dropped
from tests.helpers import PNG
from tests.states import complaint_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def settled(consumer, platform):
    return complaint_in("settled", consumer=consumer, platform_code="shop")


def test_every_event_of_a_complaint_is_a_chained_record(settled):
    records = list(EvidenceRecord.objects.filter(complaint=settled).order_by("seq"))
    events = list(settled.events.order_by("created_at", "id"))
    assert [r.event_id for r in records] == [e.pk for e in events]
    assert [r.kind for r in records] == [
        Kind.COMPLAINT_FILED,
        Kind.EVENT,
        Kind.PLATFORM_RESPONSE,
        Kind.EVENT,
    ]
    assert records[0].prev_hash == GENESIS
    for previous, record in zip(records, records[1:], strict=False):
        assert record.prev_hash == previous.record_hash
        assert record.record_hash == record_hash(record)


def test_the_filed_document_holds_what_the_consumer_filed(settled):
    from evidence.services import evidence_content

    record = EvidenceRecord.objects.get(complaint=settled, kind=Kind.COMPLAINT_FILED)
    document = json.loads(evidence_content(record))
    assert document["event"] == "filed"
    assert document["payload"]["description"] == settled.description
    assert document["payload"]["amount_claimed"] == "1299.00"


def test_a_refused_transition_leaves_no_record(settled, consumer):
    before = EvidenceRecord.objects.count()
    with pytest.raises(TransitionConflict):
        complaint_transition(
            complaint_id=settled.pk, name="accept", actor=Actor.system(), params={}
        )
    assert EvidenceRecord.objects.count() == before


def test_a_rolled_back_change_rolls_back_its_record(consumer, platform):
    complaint = complaint_in("submitted", consumer=consumer, platform_code="shop")
    before = EvidenceRecord.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        complaint_transition(
            complaint_id=complaint.pk, name="accept", actor=Actor.system(), params={}
        )
        raise RuntimeError("the outer transaction fails")
    assert EvidenceRecord.objects.count() == before


# The database refuses changes.


def test_the_orm_cannot_update_or_delete_a_record(settled):
    record = EvidenceRecord.objects.filter(complaint=settled).first()
    with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic():
        EvidenceRecord.objects.filter(pk=record.pk).update(description="changed")
    with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic():
        EvidenceRecord.objects.filter(pk=record.pk).delete()
    record.refresh_from_db()
    assert record.description != "changed"


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE evidence_evidencerecord SET description = 'x'",
        "DELETE FROM evidence_evidencerecord",
        "UPDATE evidence_logleaf SET record_hash = 'x'",
        "DELETE FROM evidence_logleaf",
        "UPDATE evidence_checkpoint SET root_hash = 'x'",
        "DELETE FROM evidence_checkpoint",
    ],
)
def test_raw_sql_cannot_update_or_delete(settled, statement):
    checkpoint_create()
    with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic():
        sql(statement)
    assert verify_all().ok


@pytest.mark.postgres
def test_truncate_is_refused_on_postgresql(settled):
    with pytest.raises(DatabaseError), transaction.atomic():
        sql("TRUNCATE evidence_evidencerecord CASCADE")
    assert EvidenceRecord.objects.filter(complaint=settled).exists()


# Checkpoints.


def test_a_checkpoint_is_a_signed_note_over_the_log(settled):
    checkpoint = checkpoint_create()
    assert checkpoint.tree_size == EvidenceRecord.objects.count() == LogLeaf.objects.count()
    body = notes.verify_note(checkpoint.note, log_origin(), public_key())
    stated = notes.parse_checkpoint(body)
    assert stated.tree_size == checkpoint.tree_size
    assert stated.root_hash.hex() == checkpoint.root_hash
    leaves = [
        merkle.leaf_hash(bytes.fromhex(h))
        for h in LogLeaf.objects.order_by("leaf_index").values_list("record_hash", flat=True)
    ]
    assert merkle.root(leaves).hex() == checkpoint.root_hash


def test_successive_checkpoints_carry_a_verified_consistency_proof(settled, consumer):
    first = checkpoint_create()
    complaint_in("mediating", consumer=consumer, platform_code="shop")
    second = checkpoint_create()
    assert second.previous == first and second.tree_size > first.tree_size
    merkle.verify_consistency(
        old_size=first.tree_size,
        new_size=second.tree_size,
        old_root=bytes.fromhex(first.root_hash),
        new_root=bytes.fromhex(second.root_hash),
        proof=[bytes.fromhex(h) for h in second.consistency_proof],
    )


def test_sequencing_is_dense_and_idempotent(settled):
    size = log_integrate()
    assert log_integrate() == size
    assert list(LogLeaf.objects.values_list("leaf_index", flat=True)) == list(range(size))


def test_a_record_verifies_with_its_inclusion_proof(settled):
    checkpoint_create()
    record = EvidenceRecord.objects.filter(complaint=settled).last()
    result = verify_record(record)
    assert result["ok"] is True
    assert result["checks"] == {
        "record_hash": True,
        "chain": True,
        "content": True,
        "inclusion": True,
    }
    assert result["inclusion"]["tree_size"] >= 1


def test_a_record_not_yet_checkpointed_is_pending(settled):
    record = EvidenceRecord.objects.filter(complaint=settled).last()
    assert verify_record(record)["inclusion"] == "pending"


# Tampering: verification names what broke.


def _broken():
    report = verify_all()
    assert not report.ok
    return report.first_problem


def test_an_untouched_log_verifies(settled):
    checkpoint_create()
    report = verify_all()
    assert report.ok, report.problems
    assert report.records == report.leaves == EvidenceRecord.objects.count()
    assert report.checkpoints == 1


def test_an_edited_row_is_named(settled):
    checkpoint_create()
    victim = EvidenceRecord.objects.filter(complaint=settled).order_by("seq")[1]
    with triggers_dropped():
        sql(
            "UPDATE evidence_evidencerecord SET description = %s WHERE id = %s", ["伪造", victim.pk]
        )
    problem = _broken()
    assert (problem.check, problem.record_id) == ("record_hash", victim.pk)


def test_an_edited_row_with_a_recomputed_hash_breaks_the_next_link(settled):
    victim = EvidenceRecord.objects.filter(complaint=settled).order_by("seq")[1]
    victim.description = "伪造"
    forged_hash = record_hash(victim)
    with triggers_dropped():
        sql(
            "UPDATE evidence_evidencerecord SET description = %s, record_hash = %s WHERE id = %s",
            ["伪造", forged_hash, victim.pk],
        )
    problem = _broken()
    assert problem.check == "chain" and problem.seq == victim.seq + 1


def test_a_deleted_record_is_named(settled):
    victim = EvidenceRecord.objects.filter(complaint=settled).order_by("seq")[1]
    with triggers_dropped():
        sql("DELETE FROM evidence_evidencerecord WHERE id = %s", [victim.pk])
    problem = _broken()
    assert problem.check == "chain" and problem.chain == victim.chain and problem.seq == 3


def test_a_deleted_last_record_is_caught_by_the_chain_head(settled):
    victim = EvidenceRecord.objects.filter(complaint=settled).order_by("-seq").first()
    with triggers_dropped():
        sql("DELETE FROM evidence_evidencerecord WHERE id = %s", [victim.pk])
    problem = _broken()
    assert problem.check == "chain" and "head" in problem.detail


def test_two_swapped_records_are_named(settled):
    first, second = EvidenceRecord.objects.filter(complaint=settled).order_by("seq")[1:3]
    with triggers_dropped():
        sql("UPDATE evidence_evidencerecord SET seq = 1000 WHERE id = %s", [first.pk])
        sql("UPDATE evidence_evidencerecord SET seq = %s WHERE id = %s", [first.seq, second.pk])
        sql("UPDATE evidence_evidencerecord SET seq = %s WHERE id = %s", [second.seq, first.pk])
    problem = _broken()
    assert problem.check == "chain" and problem.record_id == second.pk


def test_changed_file_bytes_are_named(settled, consumer):
    record = evidence_upload(
        complaint_id=settled.pk,
        actor=Actor.of_user(consumer),
        data=PNG,
        file_name="photo.png",
        kind="photo",
    )
    path = evidence_storage().path(name_for(record.sha256))
    with open(path, "r+b") as handle:
        handle.seek(20)
        handle.write(b"\x01")
    problem = _broken()
    assert (problem.check, problem.record_id) == ("content", record.pk)


def test_a_forged_checkpoint_is_named(settled):
    checkpoint_create()
    real = Checkpoint.objects.get()
    forged_note = real.note.replace(real.note.split("\n")[1], str(real.tree_size + 5), 1)
    with triggers_dropped():
        sql("UPDATE evidence_checkpoint SET note = %s WHERE id = %s", [forged_note, real.pk])
    problem = _broken()
    assert (problem.check, problem.checkpoint_id) == ("checkpoint", real.pk)


def test_a_rewritten_history_breaks_the_signed_root(settled):
    checkpoint_create()
    # given the last record of its chain rewritten with everything recomputed: its hash,
    # its leaf and the chain head, so that no chain link is left to break
    leaf = LogLeaf.objects.order_by("-leaf_index").first()
    victim = leaf.record
    victim.description = "伪造"
    new_hash = record_hash(victim)
    with triggers_dropped():
        sql(
            "UPDATE evidence_evidencerecord SET description = %s, record_hash = %s WHERE id = %s",
            ["伪造", new_hash, victim.pk],
        )
        sql(
            "UPDATE evidence_logleaf SET record_hash = %s WHERE leaf_index = %s",
            [new_hash, leaf.leaf_index],
        )
    EvidenceChain.objects.filter(key=victim.chain).update(head_hash=new_hash)
    # then only the signed root can tell, and it does
    problem = _broken()
    assert problem.check == "checkpoint"
    assert "signed root" in problem.detail
    with pytest.raises(merkle.InvalidProof):
        checkpoint_create()  # and no new checkpoint is signed over the rewrite


# Commands.


def test_verify_evidence_command_reports_ok_and_fails_on_a_break(settled, capsys):
    call_command("make_checkpoint")
    assert "records, root" in capsys.readouterr().out
    call_command("verify_evidence")
    assert capsys.readouterr().out.startswith("OK: 4 records in 1 chains, 4 leaves, 1 checkpoints")
    call_command("verify_evidence", "--complaint", settled.reference)
    victim = EvidenceRecord.objects.filter(complaint=settled).first()
    with triggers_dropped():
        sql("UPDATE evidence_evidencerecord SET kind = 'other' WHERE id = %s", [victim.pk])
    with pytest.raises(CommandError, match=f"record_id={victim.pk}"):
        call_command("verify_evidence")


def test_verify_evidence_refuses_an_unknown_complaint():
    with pytest.raises(CommandError, match="No complaint"):
        call_command("verify_evidence", "--complaint", "TS209901010001")


# RFC 3161 time stamps on checkpoints.


def test_a_checkpoint_is_time_stamped_by_the_configured_authority(settled, settings):
    import hashlib

    from evidence.models import CheckpointTimestamp
    from evidence.timestamping import verify_token
    from tests.evidence.tsa import TestTSA

    tsa = TestTSA()
    with tsa.serve() as url:
        settings.EVIDENCE_TSA_URL = url
        checkpoint = checkpoint_create()
    stamp = CheckpointTimestamp.objects.get(checkpoint=checkpoint)
    checked = verify_token(
        bytes(stamp.token),
        digest=hashlib.sha256(checkpoint.note.encode()).digest(),
        tsa_certificate=tsa.certificate,
    )
    assert checked.gen_time == stamp.gen_time and stamp.authority == url


def test_an_unreachable_authority_leaves_the_checkpoint_unstamped(settled, settings, caplog):
    settings.EVIDENCE_TSA_URL = "http://127.0.0.1:9/tsa"  # discard port: nothing answers
    checkpoint = checkpoint_create()
    from evidence.models import CheckpointTimestamp

    assert Checkpoint.objects.filter(pk=checkpoint.pk).exists()
    assert not CheckpointTimestamp.objects.filter(checkpoint=checkpoint).exists()
    assert "time-stamping authority failed" in caplog.text


def test_any_failure_of_the_authority_leaves_the_checkpoint_standing(
    settled, settings, monkeypatch, caplog
):
    from evidence import timestamping
    from evidence.models import CheckpointTimestamp

    def malformed_reply(*args, **kwargs):
        raise IndexError("an empty certificate set")

    monkeypatch.setattr(timestamping, "request_timestamp", malformed_reply)
    settings.EVIDENCE_TSA_URL = "https://tsa.example/tsr"
    checkpoint = checkpoint_create()
    assert Checkpoint.objects.filter(pk=checkpoint.pk).exists()
    assert not CheckpointTimestamp.objects.exists()
    assert "time-stamping authority failed" in caplog.text


def test_verify_evidence_refuses_an_empty_complaint_reference():
    with pytest.raises(CommandError, match="No complaint"):
        call_command("verify_evidence", "--complaint", "")
