"""Reads of evidence, scoped to the caller: the one place that decides who sees what.

Evidence follows its complaint's scope (complaints.selectors.complaints_visible_to),
except that regulators see none: it is the parties' personal data. Records without
a complaint (reports, later) are for complaint-centre staff only. Out of scope is
"not found", so that nothing leaks; a regulator in scope is refused.
"""

from __future__ import annotations

from django.db.models import QuerySet

from complaints.actors import Actor
from complaints.choices import Role
from complaints.exceptions import NotFound, TransitionForbidden
from complaints.models import Complaint
from complaints.selectors import complaints_visible_to
from evidence.models import EvidenceRecord


def evidence_complaint_for(actor: Actor, reference: str) -> Complaint:
    """The complaint whose evidence `actor` may see; NotFound outside its scope."""
    complaint = complaints_visible_to(actor).filter(reference=reference).first()
    if complaint is None:
        raise NotFound("No such complaint.")
    if actor.role == Role.REGULATOR:
        raise TransitionForbidden(action="read_evidence", role=actor.role)
    return complaint


def evidence_record_for(actor: Actor, pk: int) -> EvidenceRecord:
    """One record `actor` may see; NotFound outside its scope."""
    record = EvidenceRecord.objects.select_related("complaint").filter(pk=pk).first()
    if record is not None and record.complaint_id is not None:
        in_scope = complaints_visible_to(actor).filter(pk=record.complaint_id).exists()
    else:
        in_scope = record is not None and actor.is_staff_member
    if not in_scope:  # the same answer as for an id that does not exist
        raise NotFound("No such evidence record.")
    if actor.role == Role.REGULATOR:
        raise TransitionForbidden(action="read_evidence", role=actor.role)
    return record


def evidence_of(complaint: Complaint) -> QuerySet[EvidenceRecord]:
    """A complaint's records in chain order, with their place in the log."""
    return EvidenceRecord.objects.filter(complaint=complaint).select_related("leaf").order_by("seq")
