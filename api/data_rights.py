"""A consumer's rights over their own data (PIPL art. 45, 47): export, and erasure within
what retention allows.

Here, in the API layer, because the answer spans every app: the complaints, their
evidence and its retention, mediation records, ratings, and the access log.

Erasure, as docs/api.md states it to consumers:

- refused while a complaint is open (not rejected, closed or withdrawn): the case
  cannot be handled without its consumer; withdraw it or wait for it to end;
- otherwise, at once: the login (user name replaced, password unusable, account
  closed, sessions and authenticator removed), the e-mail address, failed-login rows
  with the user name, and every closed case whose retention has passed (purged as
  the daily purge would);
- kept, with the reason and until when: each closed case still under retention
  (E-commerce Law art. 31: 3 years after closing, `EVIDENCE_RETENTION_YEARS`) or
  under legal hold, and the identity recorded for those cases (name, phone, ID number,
  address: who complained is part of the case file). The request stays open, and
  `complete_erasures` (daily) erases that identity once the last case is purged;
- the personal data access log keeps its rows (it is itself a record the law asks
  for; it names the consumer by account, which is anonymised).
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from api.serializers import ComplaintSerializer, EventSerializer, MessageSerializer
from complaints.choices import TERMINAL_STATUSES
from complaints.exceptions import DomainValidationError, WeiquanError
from complaints.models import (
    Complaint,
    ErasureRequest,
    LoginFailure,
    PersonalDataAccess,
    User,
)
from evidence.models import EvidenceRecord, EvidenceRetention
from evidence.retention import evidence_purge, retain_until, retention_years
from mediation.models import Agreement, AgreementConfirmation, MediationProposal, MediationSession
from reporting.models import Rating

RETENTION_BASIS = "E-commerce Law art. 31; SAMR Order 121"
IDENTITY_FIELDS = ("display_name", "phone", "id_number", "address")


class ErasureRefused(WeiquanError):
    """The data cannot be erased now; `kept` says what stands in the way, and why."""

    code = "erasure_refused"

    def __init__(self, *, kept: list[dict]) -> None:
        super().__init__(
            "Your data cannot be erased while a complaint is still open: withdraw it or "
            "wait until it ends, then ask again.",
            kept=kept,
        )


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


# Export.


def _case(complaint: Complaint) -> dict:
    data = dict(ComplaintSerializer(complaint).data)
    data["events"] = EventSerializer(complaint.events.order_by("created_at", "id"), many=True).data
    data["messages"] = MessageSerializer(complaint.messages.order_by("id"), many=True).data
    data["evidence"] = [
        {
            "id": r.pk,
            "kind": r.kind,
            "description": r.description,
            "file_name": r.file_name,
            "sha256": r.sha256,
            "size": r.size,
            "media_type": r.media_type,
            "submitted_by_role": r.submitter_role,
            "created_at": _iso(r.created_at),
        }
        for r in EvidenceRecord.objects.filter(complaint=complaint).order_by("seq")
    ]
    data["mediation_sessions"] = [
        {
            "scheduled_at": _iso(s.scheduled_at),
            "channel": s.channel,
            "state": s.state,
            "held_at": _iso(s.held_at),
            "minutes": s.minutes,
        }
        for s in MediationSession.objects.filter(complaint=complaint).order_by("scheduled_at")
    ]
    data["mediation_proposals"] = [
        {
            "terms": p.terms,
            "amount": str(p.amount),
            "created_at": _iso(p.created_at),
            "your_reply": p.consumer_reply,
            "your_comment": p.consumer_comment,
            "replied_at": _iso(p.consumer_replied_at),
        }
        for p in MediationProposal.objects.filter(complaint=complaint).order_by("created_at")
    ]
    agreement = Agreement.objects.filter(complaint=complaint).first()
    data["agreement"] = (
        None
        if agreement is None
        else {
            "number": agreement.number,
            "state": agreement.state,
            "terms": agreement.terms,
            "amount": str(agreement.amount),
            "issued_at": _iso(agreement.issued_at),
            "your_confirmations": [
                {"at": _iso(c.created_at), "ip": c.ip, "user_agent": c.user_agent}
                for c in AgreementConfirmation.objects.filter(
                    agreement=agreement, user=complaint.consumer
                ).order_by("created_at")
            ],
        }
    )
    rating = Rating.objects.filter(complaint=complaint).first()
    data["rating"] = (
        None
        if rating is None
        else {"score": rating.score, "comment": rating.comment, "at": _iso(rating.created_at)}
    )
    retention = EvidenceRetention.objects.filter(complaint=complaint).first()
    data["retention"] = {
        "retain_until": _iso(retain_until(complaint)),
        "legal_hold": bool(retention and retention.legal_hold),
        "purged_at": _iso(retention.purged_at if retention else None),
    }
    return data


def consumer_data_export(*, user: User) -> dict:
    """Everything the service holds about `user`, as JSON-ready data."""
    complaints = (
        Complaint.objects.filter(consumer=user)
        .select_related("platform", "mediator", "merchant")
        .order_by("filed_at", "pk")
    )
    accesses = (
        PersonalDataAccess.objects.filter(subject=user)
        .select_related("complaint")
        .order_by("at", "pk")
    )
    return {
        "generated_at": timezone.now().isoformat(),
        "account": {
            "username": user.username,
            "role": user.role,
            "display_name": user.display_name,
            "email": user.email,
            "phone": user.phone,
            "id_number": user.id_number,
            "address": user.address,
            "date_joined": _iso(user.date_joined),
            "last_login": _iso(user.last_login),
        },
        "complaints": [_case(c) for c in complaints],
        # Who (by role, not by name) was shown your data, when and why.
        "personal_data_accesses": [
            {
                "at": _iso(a.at),
                "reader_role": a.actor_role,
                "fields": a.fields,
                "masked": a.masked,
                "purpose": a.purpose,
                "complaint": a.complaint.reference if a.complaint else None,
            }
            for a in accesses
        ],
        "erasure_requests": [
            {
                "requested_at": _iso(r.requested_at),
                "completed_at": _iso(r.completed_at),
                "kept": r.kept,
            }
            for r in user.erasure_requests.order_by("requested_at")
        ],
    }


# Erasure.


def _kept_cases(user: User, now: datetime) -> list[dict]:
    """The user's cases that retention keeps, each with its reason and end."""
    kept = []
    years = retention_years()
    cases = Complaint.objects.filter(consumer=user).select_related("retention").order_by("pk")
    for complaint in cases:
        retention = getattr(complaint, "retention", None)
        if complaint.status not in TERMINAL_STATUSES:
            kept.append(
                {
                    "complaint": complaint.reference,
                    "reason": "open",
                    "until": None,
                    "detail": f"The complaint is {complaint.status}: it is still being handled.",
                }
            )
        elif retention is not None and retention.purged_at is not None:
            continue  # purged: nothing of the case left to keep
        elif retention is not None and retention.legal_hold:
            kept.append(
                {
                    "complaint": complaint.reference,
                    "reason": "legal_hold",
                    "until": None,
                    "detail": "Held for legal proceedings (保全冻结) until staff lift the hold.",
                }
            )
        else:
            until = retain_until(complaint, years=years)
            if until is not None and until > now:
                kept.append(
                    {
                        "complaint": complaint.reference,
                        "reason": "retention",
                        "until": _iso(until),
                        "detail": f"Kept {years} years after the case closed ({RETENTION_BASIS}).",
                    }
                )
    return kept


def _due_for_purge(user: User, now: datetime) -> list[int]:
    years = retention_years()
    return [
        c.pk
        for c in Complaint.objects.filter(consumer=user, status__in=TERMINAL_STATUSES)
        .exclude(retention__purged_at__isnull=False)
        .exclude(retention__legal_hold=True)
        if (until := retain_until(c, years=years)) is not None and until <= now
    ]


def _erase_identity(user: User) -> None:
    user.display_name = user.first_name = user.last_name = ""
    user.phone = user.id_number = user.address = ""
    names = ["first_name", "last_name", *IDENTITY_FIELDS, "phone_hash"]
    user.save(update_fields=names)


@transaction.atomic
def consumer_erasure(*, user: User, password: str, now: datetime | None = None) -> ErasureRequest:
    """Erase what retention does not require; keep (and say why) what it does."""
    now = now or timezone.now()
    user = get_user_model().objects.select_for_update().get(pk=user.pk)
    if user.role != "consumer":
        raise DomainValidationError(
            {
                "account": "Only a consumer account can be erased here; staff accounts are "
                "closed by the complaint centre."
            }
        )
    if not user.check_password(password or ""):
        raise DomainValidationError({"password": "The password is not correct."})
    kept = _kept_cases(user, now)
    if any(item["reason"] == "open" for item in kept):
        raise ErasureRefused(kept=[item for item in kept if item["reason"] == "open"])
    purged = []
    for complaint_id in _due_for_purge(user, now):
        outcome = evidence_purge(complaint_id=complaint_id, now=now)
        if outcome is not None:
            purged.append(outcome.reference)
    old_username = user.username
    user.username = f"erased-{user.pk}"
    user.email = ""
    user.set_unusable_password()
    user.is_active = False
    user.save(update_fields=["username", "email", "password", "is_active"])
    erased = ["login", "email", "sessions", "two_factor_devices", "failed_logins"]
    if purged:
        erased.append("expired_cases")
    if kept:
        kept.append(
            {
                "complaint": None,
                "reason": "identity_for_kept_cases",
                "fields": list(IDENTITY_FIELDS),
                "until": None,
                "detail": "Your name and contact details are part of the case files kept "
                "above; they are erased when the last of them is purged.",
            }
        )
    else:
        _erase_identity(user)
        erased.append("identity")
    TOTPDevice.objects.filter(user=user).delete()
    LoginFailure.objects.filter(username=old_username).delete()
    # Every session ends by itself: Django checks each against the password hash (now
    # unusable), and an inactive user is not authenticated anyway.
    return ErasureRequest.objects.create(
        user=user,
        requested_at=now,
        completed_at=None if kept else now,
        erased=erased + [f"case:{ref}" for ref in purged],
        kept=kept,
    )


def complete_erasures(*, now: datetime | None = None) -> int:
    """Finish open erasure requests whose kept cases are all gone (daily); how many."""
    now = now or timezone.now()
    done = 0
    pending = ErasureRequest.objects.filter(completed_at__isnull=True).values_list("pk", flat=True)
    for pk in list(pending):
        with transaction.atomic():
            request = ErasureRequest.objects.select_for_update().select_related("user").get(pk=pk)
            if request.completed_at is not None:
                continue
            for complaint_id in _due_for_purge(request.user, now):
                evidence_purge(complaint_id=complaint_id, now=now)
            if _kept_cases(request.user, now):
                continue
            _erase_identity(request.user)
            request.completed_at = now
            request.erased = [*request.erased, "identity"]
            request.save(update_fields=["completed_at", "erased"])
            done += 1
    return done
