"""Mediation over HTTP: the case file (notes, sessions, proposals, the agreement), the
mediator's caseload, fulfilment, the guarantee deposit ledger and recoveries.

Views parse, call one service or selector, and render; access is decided by the
selectors (scope: 404) and the services (role: 403).
"""

from __future__ import annotations

import io

from django.http import FileResponse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from api.authentication import actor_of
from api.pagination import UpdatedCursorPagination
from api.schema import problems
from api.serializers import MONEY, MoneyField
from complaints.access_log import personal_data_read
from complaints.actors import Actor
from complaints.exceptions import DomainValidationError, NotFound, TransitionForbidden
from complaints.models import Complaint, Platform, User
from complaints.services import (
    fulfilment_object,
    fulfilment_report,
    mediation_pause,
    mediation_resume,
)
from mediation import agreements, compensation, services
from mediation.models import (
    AdvanceCompensation,
    Agreement,
    AgreementConfirmation,
    CaseNote,
    GuaranteeDepositEntry,
    MediationProposal,
    MediationSession,
    Recovery,
)
from mediation.selectors import (
    case_for,
    compensation_of,
    deposit_platform_for,
    deposit_summary,
    mediator_caseload,
    recoveries_visible_to,
    recovery_totals,
)

PDF = "application/pdf"


def _party_reader(complaint: Complaint, actor: Actor, action: str) -> None:
    """The parties, the mediator and staff read the shared case file."""
    if not (
        actor.is_consumer_of(complaint)
        or actor.is_platform_of(complaint)
        or actor.is_mediator_of(complaint)
        or actor.is_staff_member
    ):
        raise TransitionForbidden(action=action, role=actor.role)


def _case_and_body(
    request, reference: str, body_class: type[serializers.Serializer]
) -> tuple[Actor, Complaint, dict]:
    """The caller, the case in the URL (scoped: 404) and the request body, validated."""
    actor = actor_of(request)
    complaint = case_for(actor, reference)
    body = body_class(data=request.data)
    body.is_valid(raise_exception=True)
    return actor, complaint, dict(body.validated_data)


def _client_ip(request) -> str | None:
    # REMOTE_ADDR as the WSGI server saw it; behind a proxy, configure the proxy to set it.
    return request.META.get("REMOTE_ADDR") or None


# Notes.


class CaseNoteSerializer(serializers.ModelSerializer):
    author = serializers.CharField(source="author.username", read_only=True)

    class Meta:
        model = CaseNote
        fields = ["id", "author", "body", "created_at"]
        read_only_fields = ["id", "author", "created_at"]


class CaseNoteCreateSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=10000)


class CaseNotesView(APIView):
    """`GET, POST /api/v1/complaints/{reference}/notes/`: private to mediators and staff."""

    @extend_schema(responses=CaseNoteSerializer(many=True))
    def get(self, request, reference: str):
        """The mediator's working notes on the case, oldest first."""
        actor = actor_of(request)
        notes = services.case_notes(complaint=case_for(actor, reference), actor=actor)
        return Response(CaseNoteSerializer(notes, many=True).data)

    @extend_schema(request=CaseNoteCreateSerializer, responses={201: CaseNoteSerializer})
    def post(self, request, reference: str):
        """Add a note; notes are never changed or deleted."""
        actor, complaint, body = _case_and_body(request, reference, CaseNoteCreateSerializer)
        note = services.case_note_add(complaint=complaint, actor=actor, **body)
        return Response(CaseNoteSerializer(note).data, status=status.HTTP_201_CREATED)


# Sessions.


class SessionSerializer(serializers.ModelSerializer):
    channel = serializers.ChoiceField(choices=MediationSession.Channel.choices)
    state = serializers.ChoiceField(choices=MediationSession.State.choices, read_only=True)
    participants = serializers.ListField(child=serializers.CharField(max_length=100))

    class Meta:
        model = MediationSession
        fields = [
            "id",
            "scheduled_at",
            "channel",
            "location",
            "participants",
            "state",
            "minutes",
            "held_at",
            "created_at",
        ]
        read_only_fields = fields


class SessionCreateSerializer(serializers.Serializer):
    scheduled_at = serializers.DateTimeField()
    channel = serializers.ChoiceField(choices=MediationSession.Channel.choices)
    location = serializers.CharField(max_length=300, required=False, allow_blank=True)
    participants = serializers.ListField(
        child=serializers.CharField(max_length=100), required=False, max_length=20
    )


class SessionRecordSerializer(serializers.Serializer):
    minutes = serializers.CharField(max_length=20000, required=False, allow_blank=True)
    cancelled = serializers.BooleanField(required=False, default=False)


class SessionsView(APIView):
    """`GET, POST /api/v1/complaints/{reference}/sessions/`."""

    @extend_schema(responses=SessionSerializer(many=True))
    def get(self, request, reference: str):
        """The case's mediation sessions, in time order."""
        actor = actor_of(request)
        complaint = case_for(actor, reference)
        _party_reader(complaint, actor, "read_sessions")
        return Response(SessionSerializer(complaint.sessions.all(), many=True).data)

    @extend_schema(request=SessionCreateSerializer, responses={201: SessionSerializer})
    def post(self, request, reference: str):
        """Schedule a session (the assigned mediator); the parties are told."""
        actor, complaint, body = _case_and_body(request, reference, SessionCreateSerializer)
        session = services.session_schedule(complaint_id=complaint.pk, actor=actor, **body)
        return Response(SessionSerializer(session).data, status=status.HTTP_201_CREATED)


class SessionRecordView(APIView):
    """`POST /api/v1/complaints/{reference}/sessions/{id}/record/`."""

    @extend_schema(request=SessionRecordSerializer, responses=SessionSerializer)
    def post(self, request, reference: str, pk: int):
        """Record the minutes of a session held (调解笔录), or that it was cancelled."""
        actor, complaint, body = _case_and_body(request, reference, SessionRecordSerializer)
        session = services.session_record(
            complaint_id=complaint.pk, session_id=pk, actor=actor, **body
        )
        return Response(SessionSerializer(session).data)


# Mediator's proposals.


class ReplyField(serializers.ChoiceField):
    """A party's reply, null until they reply (stored blank)."""

    def __init__(self, **kwargs):
        super().__init__(choices=MediationProposal.Reply.choices, allow_null=True, **kwargs)

    def to_representation(self, value):
        return super().to_representation(value) if value else None


class MediationProposalSerializer(serializers.ModelSerializer):
    amount = MoneyField(**MONEY, read_only=True)
    consumer_reply = ReplyField(read_only=True)
    platform_reply = ReplyField(read_only=True)

    class Meta:
        model = MediationProposal
        fields = [
            "id",
            "terms",
            "amount",
            "created_at",
            "consumer_reply",
            "consumer_comment",
            "consumer_replied_at",
            "platform_reply",
            "platform_comment",
            "platform_replied_at",
        ]
        read_only_fields = fields


class MediationProposalCreateSerializer(serializers.Serializer):
    terms = serializers.CharField(max_length=10000)
    amount = MoneyField(**MONEY)


class ProposalReplySerializer(serializers.Serializer):
    reply = serializers.ChoiceField(choices=MediationProposal.Reply.choices)
    comment = serializers.CharField(max_length=1000, required=False, allow_blank=True)


class MediationProposalsView(APIView):
    """`GET, POST /api/v1/complaints/{reference}/mediation-proposals/`."""

    @extend_schema(responses=MediationProposalSerializer(many=True))
    def get(self, request, reference: str):
        """The mediator's proposals with each party's reply."""
        actor = actor_of(request)
        complaint = case_for(actor, reference)
        _party_reader(complaint, actor, "read_proposals")
        proposals = complaint.mediation_proposals.all()
        return Response(MediationProposalSerializer(proposals, many=True).data)

    @extend_schema(
        request=MediationProposalCreateSerializer, responses={201: MediationProposalSerializer}
    )
    def post(self, request, reference: str):
        """Put a settlement to both parties (the assigned mediator)."""
        actor, complaint, body = _case_and_body(
            request, reference, MediationProposalCreateSerializer
        )
        proposal = services.mediation_propose(complaint_id=complaint.pk, actor=actor, **body)
        return Response(MediationProposalSerializer(proposal).data, status=status.HTTP_201_CREATED)


class MediationProposalReplyView(APIView):
    """`POST /api/v1/complaints/{reference}/mediation-proposals/{id}/reply/`."""

    @extend_schema(request=ProposalReplySerializer, responses=MediationProposalSerializer)
    def post(self, request, reference: str, pk: int):
        """Accept or decline the mediator's proposal (the consumer or the platform), once."""
        actor, complaint, body = _case_and_body(request, reference, ProposalReplySerializer)
        proposal = services.mediation_proposal_reply(
            complaint_id=complaint.pk, proposal_id=pk, actor=actor, **body
        )
        return Response(MediationProposalSerializer(proposal).data)


# The agreement.


class ConfirmationSerializer(serializers.ModelSerializer):
    class Meta:
        model = AgreementConfirmation
        fields = ["version", "party", "method", "confirmed_by", "created_at"]
        read_only_fields = fields


class AgreementSerializer(serializers.ModelSerializer):
    amount = MoneyField(**MONEY, read_only=True)
    confirmations = ConfirmationSerializer(many=True, read_only=True)
    pdf_ready = serializers.SerializerMethodField()

    class Meta:
        model = Agreement
        fields = [
            "number",
            "state",
            "version",
            "facts",
            "terms",
            "amount",
            "fulfilment_days",
            "updated_at",
            "issued_at",
            "confirmations",
            "pdf_ready",
        ]
        read_only_fields = fields

    def get_pdf_ready(self, agreement: Agreement) -> bool:
        return agreement.pdf_record_id is not None


class AgreementDraftSerializer(serializers.Serializer):
    facts = serializers.CharField(max_length=10000)
    terms = serializers.CharField(max_length=10000)
    amount = MoneyField(**MONEY)
    fulfilment_days = serializers.IntegerField(min_value=1, max_value=90, default=7)


class AgreementConfirmSerializer(serializers.Serializer):
    version = serializers.IntegerField(min_value=1, help_text="The version of the draft read.")
    party = serializers.ChoiceField(
        choices=AgreementConfirmation.Party.choices,
        required=False,
        help_text="Mediators only: whose confirmation, given at a session, is recorded.",
    )


class AgreementView(APIView):
    """`GET, PUT /api/v1/complaints/{reference}/agreement/`."""

    @extend_schema(responses=AgreementSerializer)
    def get(self, request, reference: str):
        """The agreement: the draft to confirm, or the issued one."""
        actor = actor_of(request)
        complaint = case_for(actor, reference)
        _party_reader(complaint, actor, "read_agreement")
        agreement = Agreement.objects.filter(complaint=complaint).first()
        if agreement is None:
            raise NotFound("No agreement has been drafted for this complaint.")
        return Response(AgreementSerializer(agreement).data)

    @extend_schema(request=AgreementDraftSerializer, responses=AgreementSerializer)
    def put(self, request, reference: str):
        """Draft or redraft (the assigned mediator); a change needs both confirmations again.
        Issue it with the `sign_agreement` transition, with the same terms and amount."""
        actor, complaint, body = _case_and_body(request, reference, AgreementDraftSerializer)
        agreement = agreements.agreement_draft(complaint_id=complaint.pk, actor=actor, **body)
        return Response(AgreementSerializer(agreement).data)


class AgreementConfirmView(APIView):
    """`POST /api/v1/complaints/{reference}/agreement/confirm/`."""

    @extend_schema(request=AgreementConfirmSerializer, responses={201: ConfirmationSerializer})
    def post(self, request, reference: str):
        """Confirm the draft you read (time, IP and user agent are recorded)."""
        actor, complaint, body = _case_and_body(request, reference, AgreementConfirmSerializer)
        confirmation = agreements.agreement_confirm(
            complaint_id=complaint.pk,
            actor=actor,
            ip=_client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
            **body,
        )
        return Response(ConfirmationSerializer(confirmation).data, status=status.HTTP_201_CREATED)


def _pdf_response(name: str, data: bytes) -> FileResponse:
    response = FileResponse(io.BytesIO(data), as_attachment=True, filename=name, content_type=PDF)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


PDF_RESPONSES = {
    (200, PDF): OpenApiResponse(description="The PDF, digitally signed by the service (PAdES)"),
    **problems(409),
}


class AgreementPdfView(APIView):
    """`GET /api/v1/complaints/{reference}/agreement.pdf`."""

    @extend_schema(responses=PDF_RESPONSES)
    def get(self, request, reference: str):
        """The issued mediation agreement, signed (parties, mediator and staff only);
        409 with Retry-After while it is being rendered."""
        actor = actor_of(request)
        complaint = case_for(actor, reference, party_data=False)
        name, data = agreements.agreement_pdf_for(complaint=complaint, actor=actor)
        personal_data_read(
            actor=request.user,
            subject=complaint.consumer_id,
            fields=["display_name", "phone", "agreement"],
            purpose="agreement_pdf",
            complaint=complaint,
            request=request,
        )
        return _pdf_response(name, data)


class NoticePdfView(APIView):
    """`GET /api/v1/complaints/{reference}/notice.pdf`."""

    @extend_schema(responses=PDF_RESPONSES)
    def get(self, request, reference: str):
        """The notice that mediation ended or was referred, with the consumer's next steps."""
        actor = actor_of(request)
        complaint = case_for(actor, reference, party_data=False)
        name, data = agreements.notice_pdf_for(complaint=complaint, actor=actor)
        personal_data_read(
            actor=request.user,
            subject=complaint.consumer_id,
            fields=["display_name", "notice"],
            purpose="notice_pdf",
            complaint=complaint,
            request=request,
        )
        return _pdf_response(name, data)


# Who mediates, and the clock.


class ReasonBodySerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500)


class ReassignSerializer(serializers.Serializer):
    mediator = serializers.CharField(max_length=150, help_text="The mediator's username.")
    reason = serializers.CharField(max_length=500)


class ClockSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=[("pause", "暂停"), ("resume", "恢复")])
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True)


class CaseAssignmentSerializer(serializers.Serializer):
    reference = serializers.CharField()
    mediator = serializers.CharField(allow_null=True)
    mediation_due = serializers.DateTimeField(allow_null=True)
    mediation_paused_at = serializers.DateTimeField(allow_null=True)


def _assignment(complaint: Complaint) -> dict:
    return {
        "reference": complaint.reference,
        "mediator": complaint.mediator.username if complaint.mediator else None,
        "mediation_due": complaint.mediation_due,
        "mediation_paused_at": complaint.mediation_paused_at,
    }


class RecuseView(APIView):
    """`POST /api/v1/complaints/{reference}/recuse/`."""

    @extend_schema(request=ReasonBodySerializer, responses=CaseAssignmentSerializer)
    def post(self, request, reference: str):
        """The assigned mediator steps aside for a conflict of interest (回避); the least
        loaded other mediator takes the case."""
        actor, complaint, body = _case_and_body(request, reference, ReasonBodySerializer)
        complaint = services.mediator_recuse(complaint_id=complaint.pk, actor=actor, **body)
        return Response(_assignment(complaint))


class ReassignView(APIView):
    """`POST /api/v1/complaints/{reference}/reassign/`."""

    @extend_schema(request=ReassignSerializer, responses=CaseAssignmentSerializer)
    def post(self, request, reference: str):
        """Staff hand the case to another mediator, with a reason."""
        actor, complaint, body = _case_and_body(request, reference, ReassignSerializer)
        if not actor.is_staff_member:
            raise TransitionForbidden(action="reassign", role=actor.role)
        mediator = User.objects.filter(username=body["mediator"]).first()
        if mediator is None:
            raise DomainValidationError({"mediator": "No such mediator."})
        complaint = services.mediator_reassign(
            complaint_id=complaint.pk,
            actor=actor,
            mediator=mediator,
            reason=body["reason"],
        )
        return Response(_assignment(complaint))


class MediationClockView(APIView):
    """`POST /api/v1/complaints/{reference}/mediation-clock/`."""

    @extend_schema(request=ClockSerializer, responses=CaseAssignmentSerializer)
    def post(self, request, reference: str):
        """Pause the mediation clock for testing or appraisal (with a reason), or resume it;
        the paused days are added to the mediation limit (Order 121 art. 22)."""
        actor, complaint, body = _case_and_body(request, reference, ClockSerializer)
        if body["action"] == "pause":
            complaint = mediation_pause(
                complaint_id=complaint.pk,
                actor=actor,
                reason=body.get("reason", ""),
            )
        else:
            complaint = mediation_resume(complaint_id=complaint.pk, actor=actor)
        return Response(_assignment(complaint))


# Fulfilment.


class FulfilmentSerializer(serializers.Serializer):
    note = serializers.CharField(
        max_length=5000, required=False, allow_blank=True, help_text="Platform: what was done."
    )
    reason = serializers.CharField(
        max_length=5000, required=False, allow_blank=True, help_text="Consumer: what is missing."
    )


class FulfilmentStateSerializer(serializers.Serializer):
    reference = serializers.CharField()
    fulfilment_reported_at = serializers.DateTimeField(allow_null=True)
    objection_due = serializers.DateTimeField(allow_null=True)
    fulfilment_missed = serializers.BooleanField()
    mediator = serializers.CharField(allow_null=True)


def _fulfilment(complaint: Complaint) -> dict:
    return {
        "reference": complaint.reference,
        "fulfilment_reported_at": complaint.fulfilment_reported_at,
        "objection_due": complaint.objection_due,
        "fulfilment_missed": complaint.fulfilment_missed,
        "mediator": complaint.mediator.username if complaint.mediator else None,
    }


class FulfilmentReportView(APIView):
    """`POST /api/v1/complaints/{reference}/fulfilment/report/`."""

    @extend_schema(request=FulfilmentSerializer, responses=FulfilmentStateSerializer)
    def post(self, request, reference: str):
        """The platform reports the agreed remedy done; the consumer may object within the
        window, and silence closes the case as resolved."""
        actor, complaint, body = _case_and_body(request, reference, FulfilmentSerializer)
        complaint = fulfilment_report(
            complaint_id=complaint.pk, actor=actor, note=body.get("note", "")
        )
        return Response(_fulfilment(complaint))


class FulfilmentObjectionView(APIView):
    """`POST /api/v1/complaints/{reference}/fulfilment/objection/`."""

    @extend_schema(request=FulfilmentSerializer, responses=FulfilmentStateSerializer)
    def post(self, request, reference: str):
        """The consumer says the remedy did not arrive: the case goes to a mediator, with
        advance compensation proposed where it is eligible."""
        actor, complaint, body = _case_and_body(request, reference, FulfilmentSerializer)
        complaint = fulfilment_object(
            complaint_id=complaint.pk, actor=actor, reason=body.get("reason", "")
        )
        return Response(_fulfilment(complaint))


# Advance compensation of one case.


class CompensationSerializer(serializers.Serializer):
    approved = serializers.BooleanField(help_text="Whether advance compensation was approved.")
    amount = MoneyField(**MONEY, allow_null=True)
    basis = serializers.ChoiceField(
        choices=AdvanceCompensation.Basis.choices, allow_blank=True, help_text="先行赔付依据"
    )
    approved_at = serializers.DateTimeField(allow_null=True)
    blocked_reason = serializers.ChoiceField(
        choices=AdvanceCompensation.Block.choices,
        allow_blank=True,
        help_text="Set while a cap holds the payout up: the platform is asked to top up.",
    )
    blocked_detail = serializers.CharField(allow_blank=True)
    paid_at = serializers.DateTimeField(allow_null=True)
    paid_amount = MoneyField(**MONEY, allow_null=True)


def _compensation(found: AdvanceCompensation | None) -> dict:
    if found is None:
        return {
            "approved": False,
            "amount": None,
            "basis": "",
            "approved_at": None,
            "blocked_reason": "",
            "blocked_detail": "",
            "paid_at": None,
            "paid_amount": None,
        }
    return {
        "approved": True,
        "amount": found.amount,
        "basis": found.basis,
        "approved_at": found.approved_at,
        "blocked_reason": found.blocked_reason,
        "blocked_detail": found.blocked_detail,
        "paid_at": found.paid_at,
        "paid_amount": None if found.payout is None else -found.payout.amount,
    }


class CompensationView(APIView):
    """`GET /api/v1/complaints/{reference}/compensation/`."""

    @extend_schema(responses=CompensationSerializer)
    def get(self, request, reference: str):
        """The advance compensation of the case: whether approved, on which basis, whether a
        cap holds it up (and why), and its payment."""
        actor = actor_of(request)
        complaint = case_for(actor, reference)
        _party_reader(complaint, actor, "read_compensation")
        return Response(CompensationSerializer(_compensation(compensation_of(complaint))).data)


# The mediator's caseload.


class CaseloadItemSerializer(serializers.Serializer):
    reference = serializers.CharField()
    status = serializers.CharField()
    category = serializers.CharField()
    platform = serializers.CharField(source="platform.code")
    next_deadline = serializers.SerializerMethodField()
    mediation_due = serializers.DateTimeField(allow_null=True)
    mediation_paused_at = serializers.DateTimeField(allow_null=True)
    fulfilment_missed = serializers.BooleanField()
    updated_at = serializers.DateTimeField()

    def get_next_deadline(self, complaint: Complaint) -> dict | None:
        deadline = complaint.next_deadline()
        return None if deadline is None else {**deadline, "due_at": deadline["due_at"]}


class MediatorCasesView(APIView):
    """`GET /api/v1/mediation/cases/`: my open cases, the most urgent first."""

    @extend_schema(responses=CaseloadItemSerializer(many=True))
    def get(self, request):
        """The calling mediator's cases in mediation, settled or compensating, ordered by
        their next deadline."""
        cases = mediator_caseload(actor_of(request))[:500]
        return Response(CaseloadItemSerializer(cases, many=True).data)


# The guarantee deposit.


class DepositSummarySerializer(serializers.Serializer):
    platform = serializers.CharField()
    balance = MoneyField(max_digits=16, decimal_places=2, coerce_to_string=True)
    totals = serializers.DictField(
        child=MoneyField(max_digits=16, decimal_places=2, coerce_to_string=True)
    )
    advance_compensation_committed = serializers.BooleanField()
    advance_compensation_cap = MoneyField(**MONEY, allow_null=True)
    blocked_compensations = serializers.IntegerField()
    blocked_amount = MoneyField(max_digits=16, decimal_places=2, coerce_to_string=True)


class DepositEntrySerializer(serializers.ModelSerializer):
    amount = MoneyField(max_digits=14, decimal_places=2, coerce_to_string=True, read_only=True)
    complaint = serializers.SlugRelatedField(slug_field="reference", read_only=True)

    class Meta:
        model = GuaranteeDepositEntry
        fields = ["id", "kind", "amount", "complaint", "reference", "reason", "created_at"]
        read_only_fields = fields


def _platform_field(**kwargs) -> serializers.SlugRelatedField:
    return serializers.SlugRelatedField(
        slug_field="code", queryset=Platform.objects.all(), **kwargs
    )


class DepositEntryCreateSerializer(serializers.Serializer):
    platform = _platform_field()
    kind = serializers.ChoiceField(
        choices=[
            (GuaranteeDepositEntry.Kind.DEPOSIT.value, GuaranteeDepositEntry.Kind.DEPOSIT.label),
            (
                GuaranteeDepositEntry.Kind.ADJUSTMENT.value,
                GuaranteeDepositEntry.Kind.ADJUSTMENT.label,
            ),
        ]
    )
    amount = MoneyField(max_digits=12, decimal_places=2, coerce_to_string=True)
    reference = serializers.CharField(max_length=64, required=False, allow_blank=True)
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True)


PLATFORM_PARAM = OpenApiParameter(
    "platform", str, description="Staff: the platform's code (platforms see their own)."
)


class LedgerQuerySerializer(serializers.Serializer):
    platform = _platform_field(required=False)


def _ledger_of(request):
    """Whose ledger the query names: a platform its own; staff must name one (400)."""
    query = LedgerQuerySerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    actor = actor_of(request)
    platform = query.validated_data.get("platform")
    if platform is None and actor.is_staff_member:
        raise serializers.ValidationError({"platform": "Staff name the platform (its code)."})
    return deposit_platform_for(actor, platform.code if platform else None)


class EntryPagination(UpdatedCursorPagination):
    ordering = ("-created_at", "-id")


class DepositView(APIView):
    """`GET /api/v1/deposit/`: the guarantee deposit account (保证金)."""

    @extend_schema(
        parameters=[PLATFORM_PARAM], responses={200: DepositSummarySerializer, **problems(400)}
    )
    def get(self, request):
        """The balance (the sum of the ledger's entries), totals per kind, and the advance
        compensations a cap holds up."""
        return Response(DepositSummarySerializer(deposit_summary(_ledger_of(request))).data)


class DepositEntriesView(generics.ListAPIView):
    """`GET, POST /api/v1/deposit/entries/`: the ledger, newest first."""

    serializer_class = DepositEntrySerializer
    pagination_class = EntryPagination
    filter_backends: list = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return GuaranteeDepositEntry.objects.none()
        return GuaranteeDepositEntry.objects.filter(
            platform=_ledger_of(self.request)
        ).select_related("complaint")

    @extend_schema(parameters=[PLATFORM_PARAM])
    def get(self, request, *args, **kwargs):
        """The ledger's entries (deposits, payouts, recoveries, adjustments), newest first."""
        return super().get(request, *args, **kwargs)

    @extend_schema(request=DepositEntryCreateSerializer, responses={201: DepositEntrySerializer})
    def post(self, request):
        """Staff record a deposit or an adjustment (signed, with a reason); payouts and
        recoveries come from their workflows."""
        actor = actor_of(request)
        if not actor.is_staff_member:
            raise TransitionForbidden(action="record_deposit", role=actor.role)
        body = DepositEntryCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        platform = deposit_platform_for(actor, data.pop("platform").code)
        entry = services.guarantee_deposit_record(platform=platform, actor_user=actor.user, **data)
        return Response(DepositEntrySerializer(entry).data, status=status.HTTP_201_CREATED)


# Recoveries.


class RecoverySerializer(serializers.ModelSerializer):
    complaint = serializers.SlugRelatedField(slug_field="reference", read_only=True)
    platform = serializers.SlugRelatedField(slug_field="code", read_only=True)
    amount = MoneyField(**MONEY, read_only=True)
    recovered_amount = MoneyField(**MONEY, read_only=True, allow_null=True)

    class Meta:
        model = Recovery
        fields = [
            "id",
            "complaint",
            "platform",
            "merchant_name",
            "amount",
            "state",
            "recovered_amount",
            "reason",
            "opened_at",
            "closed_at",
            "closed_by",
        ]
        read_only_fields = fields


class RecoverSerializer(serializers.Serializer):
    amount = MoneyField(**MONEY)
    reference = serializers.CharField(max_length=64, required=False, allow_blank=True)


class RecoveryPagination(UpdatedCursorPagination):
    ordering = ("-opened_at", "-id")

    def get_paginated_response(self, data):
        response = super().get_paginated_response(data)
        response.data["totals"] = self.totals
        return response

    def get_paginated_response_schema(self, schema: dict) -> dict:
        answer = super().get_paginated_response_schema(schema)
        answer["properties"]["totals"] = {
            "type": "object",
            "description": "Per state: count, amount to recover, amount recovered (yuan).",
            "additionalProperties": {
                "type": "object",
                "properties": {
                    "count": {"type": "integer"},
                    "amount": {"type": "string", "format": "decimal"},
                    "recovered": {"type": "string", "format": "decimal"},
                },
            },
        }
        return answer


class RecoveryTotalsSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    amount = MoneyField(max_digits=16, decimal_places=2, coerce_to_string=True)
    recovered = MoneyField(max_digits=16, decimal_places=2, coerce_to_string=True)


class RecoveryListView(generics.ListAPIView):
    """`GET /api/v1/recoveries/`: recoveries from merchants, with totals per state."""

    serializer_class = RecoverySerializer
    pagination_class = RecoveryPagination
    filter_backends: list = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Recovery.objects.none()
        return recoveries_visible_to(actor_of(self.request))

    @extend_schema(
        parameters=[
            OpenApiParameter("state", str, enum=Recovery.State.values),
            PLATFORM_PARAM,
        ],
    )
    def get(self, request, *args, **kwargs):
        """A platform's own recoveries, or (staff) everyone's; filters `state`, `platform`."""
        qs = self.get_queryset()
        state = request.query_params.get("state")
        if state:
            if state not in Recovery.State.values:
                raise serializers.ValidationError({"state": f"One of {', '.join(Recovery.State)}."})
            qs = qs.filter(state=state)
        if request.query_params.get("platform"):
            qs = qs.filter(platform__code=request.query_params["platform"])
        self.paginator.totals = {
            state: RecoveryTotalsSerializer(t).data for state, t in recovery_totals(qs).items()
        }
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(RecoverySerializer(page, many=True).data)


class RecoveryRecoverView(APIView):
    """`POST /api/v1/recoveries/{id}/recover/`."""

    @extend_schema(request=RecoverSerializer, responses=RecoverySerializer)
    def post(self, request, pk: int):
        """The merchant paid back: the amount is credited to the deposit."""
        body = RecoverSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        recovery = compensation.recovery_recover(
            recovery_id=pk, actor=actor_of(request), **body.validated_data
        )
        return Response(RecoverySerializer(recovery).data)


class RecoveryWriteOffView(APIView):
    """`POST /api/v1/recoveries/{id}/write-off/`."""

    @extend_schema(request=ReasonBodySerializer, responses=RecoverySerializer)
    def post(self, request, pk: int):
        """Give up the recovery, with a reason."""
        body = ReasonBodySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        recovery = compensation.recovery_write_off(
            recovery_id=pk, actor=actor_of(request), **body.validated_data
        )
        return Response(RecoverySerializer(recovery).data)
