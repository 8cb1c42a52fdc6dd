"""The mediation agreement (调解协议书) and the end-of-mediation notice: drafting,
the parties' confirmations, issuing, and the signed PDFs preserved as evidence.

Drafting and confirming are recorded actions on the complaint (events, hence
evidence). Issuing is the `sign_agreement` transition: its receiver checks that
both parties confirmed exactly what is signed, inside the transition's transaction.
The PDFs are rendered and signed after commit, by a task, never in a web request;
each is then appended to the complaint's evidence chain, and served from there.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation

from complaints.actors import Actor
from complaints.choices import FailReason, Outcome, ReferralRoute, Status
from complaints.deadlines import local_date
from complaints.emails import send_templated_mail, user_language
from complaints.exceptions import DomainValidationError, NotFound, TransitionForbidden
from complaints.models import Complaint, ComplaintEvent
from complaints.money import parse_amount
from complaints.queueing import enqueue_after_commit
from complaints.services import complaint_parties_notified, complaint_record_action
from complaints.validators import clean_choice, clean_text
from evidence.models import EvidenceRecord, Kind, Store
from evidence.services import chain_key, evidence_append, evidence_content
from mediation.exceptions import DocumentPending
from mediation.models import Agreement, AgreementConfirmation, EndNotice
from mediation.services import mediator_action

PDF = "application/pdf"
SYSTEM = Actor.system("documents")
Party = AgreementConfirmation.Party


def _fulfilment_days(value: object) -> int:
    days = value
    if isinstance(days, str) and days.strip().isascii() and days.strip().isdigit():
        days = int(days)
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 90:
        raise DomainValidationError({"fulfilment_days": "A whole number of days, 1 to 90."})
    return days


@transaction.atomic
def agreement_draft(
    *,
    complaint_id: int,
    actor: Actor,
    facts: str,
    terms: str,
    amount: object,
    fulfilment_days: object = 7,
    at: datetime | None = None,
) -> Agreement:
    """Write or rewrite the draft; a changed draft needs both confirmations again."""
    at = at or timezone.now()
    facts = clean_text(facts, "facts", max_length=10000)
    terms = clean_text(terms, "terms", max_length=10000)
    value = parse_amount(amount, "amount")
    days = _fulfilment_days(fulfilment_days)

    def apply(c: Complaint) -> dict:
        agreement = Agreement.objects.select_for_update().filter(complaint=c).first()
        content = {"facts": facts, "terms": terms, "amount": value, "fulfilment_days": days}
        if agreement is None:
            agreement = Agreement.objects.create(
                complaint=c,
                number=f"TJ{c.reference[2:]}",
                drafted_by=actor.user,
                updated_at=at,
                **content,
            )
        elif any(getattr(agreement, k) != v for k, v in content.items()):
            for key, v in content.items():
                setattr(agreement, key, v)
            agreement.version += 1
            agreement.drafted_by, agreement.updated_at = actor.user, at
            agreement.save()
        return {
            "agreement": agreement.number,
            "version": agreement.version,
            "facts": facts,
            "terms": terms,
            "amount": str(value),
            "fulfilment_days": days,
        }

    mediator_action(complaint_id, name="agreement_drafted", actor=actor, apply=apply, at=at)
    return Agreement.objects.get(complaint_id=complaint_id)


@transaction.atomic
def agreement_confirm(
    *,
    complaint_id: int,
    actor: Actor,
    version: object,
    party: str = "",
    ip: str | None = None,
    user_agent: str = "",
    at: datetime | None = None,
) -> AgreementConfirmation:
    """A party confirms the draft it read (`version`), online; or the mediator records a
    party's confirmation given at a session (`party`, method `session`)."""
    at = at or timezone.now()
    if isinstance(version, bool) or not isinstance(version, int):
        raise DomainValidationError({"version": "The version of the draft you read."})
    created: list[AgreementConfirmation] = []

    def apply(c: Complaint) -> dict:
        if actor.is_consumer_of(c):
            who, method = Party.CONSUMER, AgreementConfirmation.Method.ONLINE
        elif actor.is_platform_of(c):
            who, method = Party.PLATFORM, AgreementConfirmation.Method.ONLINE
        else:  # the mediator, recording what a party said at a session
            who, method = clean_choice(party, "party", Party), AgreementConfirmation.Method.SESSION
        agreement = Agreement.objects.select_for_update().filter(complaint=c).first()
        if agreement is None:
            raise NotFound("No agreement has been drafted.")
        if version != agreement.version:
            raise DomainValidationError(
                {"version": f"The draft has changed: read version {agreement.version} first."}
            )
        if agreement.confirmations.filter(version=version, party=who).exists():
            raise DomainValidationError({"version": "This version is already confirmed."})
        confirmation = AgreementConfirmation.objects.create(
            agreement=agreement,
            version=version,
            party=who,
            method=method,
            confirmed_by=actor.as_event_fields()["actor_label"],
            user=actor.user,
            ip=ip or None,
            user_agent=(user_agent or "")[:500],
            created_at=at,
        )
        created.append(confirmation)
        return {"agreement": agreement.number, "version": version, "party": who, "method": method}

    complaint_record_action(
        complaint_id,
        name="agreement_confirmed",
        actor=actor,
        allowed_status=(Status.MEDIATING,),
        permitted=lambda c: (
            actor.is_consumer_of(c) or actor.is_platform_of(c) or actor.is_mediator_of(c)
        ),
        apply=apply,
        at=at,
    )
    return created[0]


# Inside the sign_agreement transition (mediation.receivers).


def agreement_issue(complaint: Complaint, event: ComplaintEvent) -> Agreement:
    """Issue the confirmed draft; refuse (rolling the transition back) unless both parties
    confirmed its current version and the signed terms are exactly the draft's."""
    agreement = Agreement.objects.select_for_update().filter(complaint=complaint).first()
    if agreement is None:
        raise DomainValidationError(
            {"agreement": "Draft the agreement and have both parties confirm it first."}
        )
    differs = [
        field
        for field, signed in (
            ("terms", complaint.agreement_terms),
            ("amount", complaint.agreed_amount),
            ("fulfilment_days", event.payload.get("fulfilment_days")),
        )
        if getattr(agreement, field) != signed
    ]
    if differs:
        raise DomainValidationError(
            {f: f"Differs from the confirmed draft (version {agreement.version})." for f in differs}
        )
    confirmed = set(
        agreement.confirmations.filter(version=agreement.version).values_list("party", flat=True)
    )
    missing = sorted(set(Party.values) - confirmed)
    if missing:
        raise DomainValidationError(
            {
                "agreement": f"Not yet confirmed by: {', '.join(missing)} (version "
                f"{agreement.version})."
            }
        )
    agreement.state = Agreement.State.ISSUED
    agreement.issued_at = event.created_at
    agreement.save()
    from mediation import tasks

    enqueue_after_commit(tasks.render_agreement, agreement_id=agreement.pk)
    return agreement


def notice_on_end(complaint: Complaint) -> None:
    """Mediation ended without agreement or was referred: the notice goes out after commit."""
    from mediation import tasks

    enqueue_after_commit(tasks.issue_end_notice, complaint_id=complaint.pk)


# After commit: render, sign, preserve (tasks).


def _party_name(complaint: Complaint) -> str:
    return complaint.consumer.display_name or complaint.consumer.username


def agreement_document(agreement: Agreement):
    from mediation.documents import AgreementDocument, PartyConfirmation

    complaint = agreement.complaint
    merchant = complaint.merchant
    labels = dict(Party.choices)
    return AgreementDocument(
        number=agreement.number,
        reference=complaint.reference,
        consumer_name=_party_name(complaint),
        consumer_contact=complaint.consumer.phone or complaint.consumer.email,
        platform_name=complaint.platform.name,
        merchant_name=merchant.name if merchant else complaint.merchant_name,
        merchant_credit_code=merchant.credit_code if merchant else "",
        merchant_address=merchant.address if merchant else "",
        mediator_name=str(complaint.mediator) if complaint.mediator else "",
        centre_name=settings.WEIQUAN["CENTRE_NAME"],
        facts=agreement.facts,
        terms=agreement.terms,
        amount=Decimal(agreement.amount),
        fulfilment_deadline=local_date(complaint.fulfilment_due or agreement.issued_at),
        confirmations=tuple(
            PartyConfirmation(
                party_label=str(labels[c.party]),
                name=c.confirmed_by,
                confirmed_at=c.created_at,
                ip=c.ip or "",
                user_agent=c.user_agent or str(AgreementConfirmation.Method(c.method).label),
            )
            for c in agreement.confirmations.filter(version=agreement.version).order_by("party")
        ),
        issued_at=agreement.issued_at,
    )


def agreement_render(*, agreement_id: int) -> EvidenceRecord | None:
    """Render, sign and preserve an issued agreement's PDF, once."""
    from mediation.documents import agreement_pdf
    from mediation.signing import sign_pdf

    agreement = Agreement.objects.select_related(
        "complaint__consumer", "complaint__platform", "complaint__merchant", "complaint__mediator"
    ).get(pk=agreement_id)
    if agreement.state != Agreement.State.ISSUED or agreement.pdf_record_id:
        return agreement.pdf_record
    # Rendered outside the transaction: it takes about a second.
    data = sign_pdf(agreement_pdf(agreement_document(agreement)), reason="调解协议书出具")
    with transaction.atomic():
        complaint = Complaint.objects.select_for_update().get(pk=agreement.complaint_id)
        agreement = Agreement.objects.select_for_update().get(pk=agreement_id)
        if agreement.pdf_record_id:  # another worker got there first
            return agreement.pdf_record
        agreement.pdf_record = evidence_append(
            chain=chain_key(complaint),
            complaint=complaint,
            kind=Kind.AGREEMENT,
            content=data,
            media_type=PDF,
            description=f"调解协议书 {agreement.number}（已签名）",
            file_name=f"{agreement.number}.pdf",
            store=Store.FILE,
            actor=SYSTEM,
        )
        agreement.save(update_fields=["pdf_record"])
    return agreement.pdf_record


NEXT_STEPS = {
    ReferralRoute.ARBITRATION: "可依据双方的仲裁协议向仲裁委员会申请仲裁。",
    ReferralRoute.LITIGATION: "可依法向有管辖权的人民法院提起诉讼。",
    ReferralRoute.ADMINISTRATIVE: "经营者涉嫌违法的，可向市场监督管理部门举报，由其依法查处。",
    ReferralRoute.LEGAL_AID: "经济困难的，可向当地法律援助机构申请法律援助。",
}
GENERAL_STEPS = (
    "可与经营者继续协商和解。",
    "可请求消费者协会或者依法成立的其他调解组织调解。",
    "可根据与经营者达成的仲裁协议提请仲裁机构仲裁。",
    "可向人民法院提起诉讼。",
)


def notice_document(complaint: Complaint, number: str):
    from mediation.documents import NoticeDocument

    referred = complaint.outcome == Outcome.REFERRED
    route = ReferralRoute(complaint.referral_route) if referred else None
    reason_label = (
        str(FailReason(complaint.reason_code).label)
        if complaint.reason_code in FailReason.values
        else ""
    )
    steps = ((NEXT_STEPS[route],) if route else ()) + GENERAL_STEPS
    return NoticeDocument(
        number=number,
        reference=complaint.reference,
        consumer_name=_party_name(complaint),
        platform_name=complaint.platform.name,
        merchant_name=complaint.merchant.name if complaint.merchant else complaint.merchant_name,
        mediator_name=str(complaint.mediator) if complaint.mediator else "",
        centre_name=settings.WEIQUAN["CENTRE_NAME"],
        kind="referred" if referred else "mediation_failed",
        reason_label=reason_label,
        reason=complaint.reason,
        route_label=str(route.label) if route else "",
        next_steps=steps,
        decided_at=complaint.closed_at,
    )


def end_notice_issue(*, complaint_id: int) -> EndNotice | None:
    """Render, sign and preserve the end-of-mediation notice, then send it to both parties
    (Order 121 art. 23: within 7 working days); each step once."""
    from mediation.documents import notice_pdf
    from mediation.signing import sign_pdf

    complaint = Complaint.objects.select_related(
        "consumer", "platform", "merchant", "mediator"
    ).get(pk=complaint_id)
    if complaint.outcome not in (Outcome.MEDIATION_FAILED, Outcome.REFERRED):
        return None
    notice = EndNotice.objects.filter(complaint=complaint).select_related("record").first()
    if notice is None:
        number = f"ZZ{complaint.reference[2:]}"
        data = sign_pdf(notice_pdf(notice_document(complaint, number)), reason="调解终止告知")
        with transaction.atomic():
            locked = Complaint.objects.select_for_update().get(pk=complaint_id)
            notice = EndNotice.objects.filter(complaint=locked).first()
            if notice is None:
                record = evidence_append(
                    chain=chain_key(locked),
                    complaint=locked,
                    kind=Kind.MEDIATION_RECORD,
                    content=data,
                    media_type=PDF,
                    description=f"调解终止告知书 {number}",
                    file_name=f"{number}.pdf",
                    store=Store.FILE,
                    actor=SYSTEM,
                )
                notice = EndNotice.objects.create(
                    complaint=locked, number=number, record=record, issued_at=timezone.now()
                )
    if complaint.parties_notified_at is None:
        _send_notice(complaint, notice)
    return notice


def _send_notice(complaint: Complaint, notice: EndNotice) -> None:
    # Each party in their language (the PDF itself is the Chinese legal document);
    # templates web/email/end_notice*.{txt,html} in complaints/templates.
    pdf = evidence_content(notice.record)
    readers = (
        (complaint.consumer.email, user_language(complaint.consumer)),
        (complaint.platform.notice_email, settings.LANGUAGE_CODE),
    )
    for address, language in readers:
        if not address:
            continue
        with translation.override(language):
            outcome = str(complaint.get_outcome_display())
        send_templated_mail(
            to=[address],
            name="end_notice",
            context={"complaint": complaint, "outcome": outcome, "link": settings.SITE_URL + "/"},
            language=language,
            attachments=[(f"{notice.number}.pdf", pdf, PDF)],
        )
    complaint_parties_notified(complaint_id=complaint.pk)


# Reading the documents.


def _document_reader(complaint: Complaint, actor: Actor) -> None:
    """The parties, the mediator and staff only: a regulator gets 403."""
    if not (
        actor.is_consumer_of(complaint)
        or actor.is_platform_of(complaint)
        or actor.is_mediator_of(complaint)
        or actor.is_staff_member
    ):
        raise TransitionForbidden(action="read_document", role=actor.role)


def agreement_pdf_for(*, complaint: Complaint, actor: Actor) -> tuple[str, bytes]:
    """The signed agreement PDF (file name, bytes); pending while it is being rendered."""
    _document_reader(complaint, actor)
    agreement = Agreement.objects.filter(complaint=complaint, state=Agreement.State.ISSUED)
    agreement = agreement.select_related("pdf_record").first()
    if agreement is None:
        raise NotFound("No mediation agreement has been issued for this complaint.")
    if agreement.pdf_record is None:
        from mediation import tasks

        tasks.render_agreement.delay(agreement_id=agreement.pk)  # in case a worker lost it
        raise DocumentPending("The agreement is being rendered and signed.")
    return f"{agreement.number}.pdf", evidence_content(agreement.pdf_record)


def notice_pdf_for(*, complaint: Complaint, actor: Actor) -> tuple[str, bytes]:
    _document_reader(complaint, actor)
    notice = EndNotice.objects.filter(complaint=complaint).select_related("record").first()
    if notice is None:
        if complaint.outcome in (Outcome.MEDIATION_FAILED, Outcome.REFERRED):
            from mediation import tasks

            tasks.issue_end_notice.delay(complaint_id=complaint.pk)
            raise DocumentPending("The notice is being rendered and signed.")
        raise NotFound("Mediation of this complaint has not ended with a notice.")
    return f"{notice.number}.pdf", evidence_content(notice.record)
