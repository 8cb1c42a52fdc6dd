"""Retention (E-commerce Law art. 31: at least 3 years after the case closes), legal hold
and purging.

- `retain_until` is computed, not stored: `Complaint.closed_at` plus
  `settings.WEIQUAN["EVIDENCE_RETENTION_YEARS"]` (never fewer than 3). The case is
  closed by `complaints.services`, which may not import evidence, so a stored date
  would need a second writer (a signal receiver) to stay right; computing it keeps
  one source of truth and makes a longer retention setting apply to every case at
  once. The purge selector narrows on `closed_at` in SQL and checks each candidate
  exactly; it runs once a day over closed cases only.
- A legal hold (保全冻结) is set and lifted by complaint-centre staff with a reason;
  both are appended to the complaint's chain as `legal_hold` records. A held case
  is never purged; open cases (no `closed_at`) never are either.
- A purge removes contents and keeps every record: it appends a `purge` record to
  the chain whose JSON lists each record it covers (`{"purged": [{"record": id,
  "sha256": ...}, ...]}`), so verification knows those hashes are tombstones and the
  chain, the log and every signed checkpoint still verify. The purge record's own
  content is kept: it is the tombstone list. Every record of the chain is covered,
  the complaint as filed included: the hashes remain, the contents go.
- Contents are stored by hash and may be shared: the same photo uploaded to two
  cases is one file. A content is only deleted when no record that is not purged
  (in any chain) still has it; the other case keeps its copy until its own purge.
- Blobs are deleted in the purge's transaction; files after commit
  (`transaction.on_commit`), re-checking first that no live record took the same
  bytes meanwhile, so a rollback never loses content.

Personal data outside the evidence store: the complaint's timeline payloads
(`ComplaintEvent.payload`, the filed complaint and every message body among them),
the negotiation thread (`ComplaintMessage.body`) and the case file's free text are
the very copies the purged evidence documents were made from, and the API serves
them; leaving them would make the purge cosmetic. So the purge blanks exactly those:
event payloads become `{}`, message bodies `""`, and on the complaint the free-text
fields that `complaints.privacy` already masks for regulators (description, reason,
proposal message, agreement terms, order number). Rows are kept, and so are the
structured fields (status, outcome, category, region, amounts, dates, parties) that
statistics and the timeline's shape rely on, and the reference that every record
hash names. User accounts are not case data and are left alone.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from functools import partial

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone

from complaints.actors import Actor
from complaints.choices import TERMINAL_STATUSES
from complaints.exceptions import (
    DomainValidationError,
    NotFound,
    TransitionConflict,
    TransitionForbidden,
)
from complaints.models import Complaint, ComplaintEvent, ComplaintMessage
from complaints.validators import clean_text
from evidence import storage
from evidence.chain import canonical_json, utc_text
from evidence.models import EvidenceBlob, EvidenceRecord, EvidenceRetention, Kind, Store
from evidence.services import JSON, chain_key, evidence_append

logger = logging.getLogger(__name__)

MINIMUM_YEARS = 3  # E-commerce Law art. 31
PURGE_ACTOR = "retention"
BATCH = 200
# The case file's free text: what complaints.privacy masks for regulators.
PERSONAL_TEXT_FIELDS = ("description", "reason", "proposal_message", "agreement_terms")
PERSONAL_ID_FIELDS = ("order_number",)


def _purged_items(purge_hashes: Iterable[str]) -> list[dict]:
    """The `purged` lists of the purge records with these content hashes."""
    hashes = list(purge_hashes)
    if not hashes:  # most chains were never purged: no query
        return []
    documents = EvidenceBlob.objects.filter(sha256__in=hashes).values_list("data", flat=True)
    return [item for data in documents for item in json.loads(bytes(data))["purged"]]


def purged_hashes_in(records: Iterable[EvidenceRecord]) -> set[str]:
    """The content hashes that purge records among `records` declare removed."""
    return {
        item["sha256"] for item in _purged_items(r.sha256 for r in records if r.kind == Kind.PURGE)
    }


def purged_record_ids(chains: Iterable[str]) -> set[int]:
    """The ids of the records that purge records in `chains` declare purged."""
    purges = EvidenceRecord.objects.filter(chain__in=set(chains), kind=Kind.PURGE)
    return {item["record"] for item in _purged_items(purges.values_list("sha256", flat=True))}


def evidence_purged(record: EvidenceRecord) -> bool:
    """Whether `record`'s content was purged, even if the same bytes live on for another case.

    `evidence.services.evidence_content` returning None covers the usual case; a
    content shared with a case still retained is still stored, so whoever serves a
    record's bytes must also ask this.
    """
    return record.kind != Kind.PURGE and record.pk in purged_record_ids([record.chain])


# The period.


def retention_years() -> int:
    """The configured retention in years; refuses fewer than the legal minimum."""
    years = settings.WEIQUAN.get("EVIDENCE_RETENTION_YEARS", MINIMUM_YEARS)
    if isinstance(years, bool) or not isinstance(years, int) or years < MINIMUM_YEARS:
        raise ImproperlyConfigured(
            f"WEIQUAN['EVIDENCE_RETENTION_YEARS'] must be a whole number of at least "
            f"{MINIMUM_YEARS} (E-commerce Law art. 31), not {years!r}."
        )
    return years


def _shift_years(moment: datetime, years: int, *, leap_day_to: tuple[int, int]) -> datetime:
    local = timezone.localtime(moment)
    try:
        return local.replace(year=local.year + years)
    except ValueError:  # 29 February into a common year
        month, day = leap_day_to
        return local.replace(year=local.year + years, month=month, day=day)


def retain_until(complaint: Complaint, *, years: int | None = None) -> datetime | None:
    """When the case's evidence may be purged: `years` after it closed; None while open."""
    if complaint.closed_at is None:
        return None
    # A case closed on 29 February is kept until 1 March: never less than the years.
    return _shift_years(complaint.closed_at, years or retention_years(), leap_day_to=(3, 1))


# Legal hold.


def _reason(reason: object) -> str:
    return clean_text(reason, "reason", max_length=2000)


def _lock_for_hold(complaint_id: int, actor: Actor, action: str):
    try:
        complaint = Complaint.objects.select_for_update().get(pk=complaint_id)
    except Complaint.DoesNotExist:
        raise NotFound("No such complaint.") from None
    if not actor.is_staff_member:
        raise TransitionForbidden(action=action, role=actor.role)
    retention, _created = EvidenceRetention.objects.select_for_update().get_or_create(
        complaint=complaint
    )
    if retention.purged_at is not None:
        raise TransitionConflict(action=action, status="purged", allowed=[])
    return complaint, retention


def _hold_record(complaint: Complaint, *, action: str, reason: str, actor: Actor, at: datetime):
    document = {
        "complaint": complaint.reference,
        "action": action,
        "reason": reason,
        "by": actor.as_event_fields()["actor_label"],
        "at": utc_text(at),
    }
    return evidence_append(
        chain=chain_key(complaint),
        complaint=complaint,
        kind=Kind.LEGAL_HOLD,
        content=canonical_json(document),
        media_type=JSON,
        description=f"legal_hold_{action}",
        actor=actor,
        at=at,
    )


@transaction.atomic
def legal_hold_set(
    *, complaint_id: int, actor: Actor, reason: str, at: datetime | None = None
) -> EvidenceRetention:
    """Keep the case's evidence past its retention until staff lift the hold (保全冻结)."""
    at = at or timezone.now()
    complaint, retention = _lock_for_hold(complaint_id, actor, "legal_hold_set")
    reason = _reason(reason)
    if retention.legal_hold:
        raise TransitionConflict(
            action="legal_hold_set", status="legal_hold", allowed=["legal_hold_lift"]
        )
    retention.legal_hold = True
    retention.hold_reason = reason
    retention.hold_set_by = actor.user
    retention.hold_set_at = at
    retention.save()
    _hold_record(complaint, action="set", reason=reason, actor=actor, at=at)
    return retention


@transaction.atomic
def legal_hold_lift(
    *, complaint_id: int, actor: Actor, reason: str, at: datetime | None = None
) -> EvidenceRetention:
    """End a legal hold; the case is purged at the next run if its retention has passed."""
    at = at or timezone.now()
    complaint, retention = _lock_for_hold(complaint_id, actor, "legal_hold_lift")
    reason = _reason(reason)
    if not retention.legal_hold:
        raise TransitionConflict(
            action="legal_hold_lift", status="no_legal_hold", allowed=["legal_hold_set"]
        )
    # The row holds the current state; the chain holds the history (who set it, why).
    retention.legal_hold = False
    retention.hold_reason = ""
    retention.hold_set_by = None
    retention.hold_set_at = None
    retention.save()
    _hold_record(complaint, action="lift", reason=reason, actor=actor, at=at)
    return retention


# Purging.


@dataclass(frozen=True)
class CasePurge:
    """What a purge of one case removed (or, in a dry run, would remove)."""

    reference: str
    records: int
    contents_removed: int
    # Kept because a record of another case that is not purged has the same bytes.
    contents_shared: int


@dataclass
class PurgeSummary:
    as_of: datetime
    dry_run: bool
    purged: list[CasePurge] = field(default_factory=list)
    held: list[str] = field(default_factory=list)
    # Cases whose purge raised (rolled back, logged); the next run tries them again.
    failed: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "as_of": self.as_of.isoformat(),
            "dry_run": self.dry_run,
            "purged": [asdict(case) for case in self.purged],
            "held": list(self.held),
            "failed": list(self.failed),
        }


def _live_hashes(hashes: set[str], *, ignore_chain: str) -> set[str]:
    """Those of `hashes` that a record outside `ignore_chain`, not itself purged, still has."""
    if not hashes:
        return set()
    others = list(
        EvidenceRecord.objects.filter(sha256__in=list(hashes))
        .exclude(chain=ignore_chain)
        .values_list("pk", "chain", "sha256")
    )
    if not others:
        return set()
    purged = purged_record_ids({chain for _pk, chain, _sha in others})
    return {sha for pk, _chain, sha in others if pk not in purged}


@dataclass
class _Plan:
    records: list[EvidenceRecord]
    blobs: set[str]
    files: set[str]
    shared: set[str]

    def outcome(self, reference: str) -> CasePurge:
        return CasePurge(
            reference=reference,
            records=len(self.records),
            contents_removed=len(self.blobs) + len(self.files),
            contents_shared=len(self.shared),
        )


def _plan(complaint: Complaint) -> _Plan:
    chain = chain_key(complaint)
    records = list(
        EvidenceRecord.objects.filter(chain=chain)
        .exclude(kind=Kind.PURGE)  # an earlier tombstone list stays, whatever happens
        .order_by("seq")
        .only("pk", "sha256", "store")
    )
    hashes = {r.sha256 for r in records}
    shared = _live_hashes(hashes, ignore_chain=chain)
    return _Plan(
        records=records,
        blobs={r.sha256 for r in records if r.store == Store.BLOB} - shared,
        files={r.sha256 for r in records if r.store == Store.FILE} - shared,
        shared=shared,
    )


def _due(complaint: Complaint, *, now: datetime, years: int) -> bool:
    until = retain_until(complaint, years=years)
    return complaint.status in TERMINAL_STATUSES and until is not None and until <= now


def _refuse_future(now: datetime) -> None:
    # A purge dated ahead of the clock would cut retention short; a dry run may look ahead.
    if now > timezone.now():
        raise DomainValidationError({"now": "A purge cannot be dated in the future."})


def _blank_case_data(complaint: Complaint, at: datetime) -> None:
    """Remove the copies of the purged contents that live in the complaints tables."""
    ComplaintEvent.objects.filter(complaint=complaint).update(payload={})
    ComplaintMessage.objects.filter(complaint=complaint).update(body="")
    Complaint.objects.filter(pk=complaint.pk).update(
        **dict.fromkeys(PERSONAL_TEXT_FIELDS + PERSONAL_ID_FIELDS, ""), updated_at=at
    )


def _delete_files(hashes: set[str], *, chain: str) -> None:
    """After commit: delete the files no live record took meanwhile (an upload of the same
    bytes to another case between our check and now keeps its file)."""
    for sha256 in sorted(hashes - _live_hashes(hashes, ignore_chain=chain)):
        try:
            storage.delete_file(sha256)
        except Exception:  # the purge is committed; a storage hiccup leaves a file, not a 500
            logger.exception("evidence purge: could not delete file %s", sha256)


@transaction.atomic
def evidence_purge(*, complaint_id: int, now: datetime) -> CasePurge | None:
    """Purge one case whose retention has passed; None when it is not (or no longer) due."""
    _refuse_future(now)
    years = retention_years()
    try:
        complaint = Complaint.objects.select_for_update().get(pk=complaint_id)
    except Complaint.DoesNotExist:
        raise NotFound("No such complaint.") from None
    if not _due(complaint, now=now, years=years):
        return None  # checked first: a case not due gets no retention row
    retention, _created = EvidenceRetention.objects.select_for_update().get_or_create(
        complaint=complaint
    )
    if retention.legal_hold or retention.purged_at is not None:
        return None
    plan = _plan(complaint)
    document = {
        "complaint": complaint.reference,
        "closed_at": utc_text(complaint.closed_at),
        "retention_years": years,
        "retain_until": utc_text(retain_until(complaint, years=years)),
        "as_of": utc_text(now),
        "purged": [{"record": r.pk, "sha256": r.sha256} for r in plan.records],
    }
    chain = chain_key(complaint)
    record = evidence_append(
        chain=chain,
        complaint=complaint,
        kind=Kind.PURGE,
        content=canonical_json(document),
        media_type=JSON,
        description="purge",
        actor=Actor.system(PURGE_ACTOR),
    )
    EvidenceBlob.objects.filter(sha256__in=list(plan.blobs)).delete()
    _blank_case_data(complaint, record.created_at)
    retention.purged_at = record.created_at
    retention.purge_record = record
    retention.save()
    if plan.files:
        transaction.on_commit(partial(_delete_files, set(plan.files), chain=chain))
    return plan.outcome(complaint.reference)


def purge_candidates(*, now: datetime, years: int):
    """Closed cases that may be due (a superset: each is checked exactly), not yet purged."""
    # 29 February back into a common year goes to the 28th: the cut-off errs early,
    # so no due case is missed; `_due` then applies the exact date.
    cutoff = _shift_years(now, -years, leap_day_to=(2, 28))
    return (
        Complaint.objects.filter(status__in=TERMINAL_STATUSES, closed_at__isnull=False)
        .filter(closed_at__lte=cutoff)
        .exclude(retention__purged_at__isnull=False)
        .select_related("retention")
        .order_by("pk")
    )


def evidence_purge_due(*, now: datetime, dry_run: bool = False) -> PurgeSummary:
    """Purge every case whose retention passed by `now` and that no legal hold keeps.

    One transaction per case: a case whose purge fails is rolled back, logged and
    reported in `failed`, and the others proceed; purged cases are skipped, so a
    rerun only does what is left (the run is idempotent).
    """
    years = retention_years()
    if not dry_run:
        _refuse_future(now)
    summary = PurgeSummary(as_of=now, dry_run=dry_run)
    last_pk = 0
    while True:
        batch = list(purge_candidates(now=now, years=years).filter(pk__gt=last_pk)[:BATCH])
        if not batch:
            return summary
        last_pk = batch[-1].pk
        for complaint in batch:
            if not _due(complaint, now=now, years=years):
                continue
            retention = getattr(complaint, "retention", None)
            if retention is not None and retention.legal_hold:
                summary.held.append(complaint.reference)
                continue
            if dry_run:
                summary.purged.append(_plan(complaint).outcome(complaint.reference))
                continue
            try:
                outcome = evidence_purge(complaint_id=complaint.pk, now=now)
            except Exception:
                logger.exception("evidence purge of %s failed", complaint.reference)
                summary.failed.append(complaint.reference)
                continue
            if outcome is None:  # held or purged since the batch was read
                continue
            summary.purged.append(outcome)
