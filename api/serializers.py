"""Serializers check shape only; the domain services check the rules."""

from __future__ import annotations

from django.db import models
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from complaints.choices import (
    Category,
    Channel,
    Demand,
    FailReason,
    IssueType,
    Outcome,
    ReferralRoute,
    RejectReason,
    Resolution,
    Role,
    Status,
)
from complaints.models import Complaint, ComplaintEvent, ComplaintMessage
from complaints.privacy import mask_name, mask_text
from complaints.selectors import region_name


@extend_schema_field(
    {
        "type": "string",
        "format": "decimal",
        # What the field accepts: yuan, not negative, at most two decimal places.
        "pattern": r"^\d{1,10}(\.\d{1,2})?$",
        "example": "1299.00",
    }
)
class MoneyField(serializers.DecimalField):
    """An amount in yuan (元), a string with two decimal places: "1299.00"."""


STATUS_LABELS = dict(Status.choices)  # lazy labels: str() translates them per request
MONEY = {"max_digits": 12, "decimal_places": 2, "min_value": 0, "coerce_to_string": True}


class ComplaintCreateSerializer(serializers.Serializer):
    platform = serializers.SlugField(max_length=32, help_text="Platform code, e.g. `shop`.")
    merchant_name = serializers.CharField(max_length=200)
    order_number = serializers.CharField(max_length=64)
    order_date = serializers.DateField()
    category = serializers.ChoiceField(choices=Category.choices)
    issue_type = serializers.ChoiceField(choices=IssueType.choices)
    amount_paid = MoneyField(**MONEY)
    amount_claimed = MoneyField(**MONEY)
    demand = serializers.ChoiceField(choices=Demand.choices)
    description = serializers.CharField(max_length=10000)
    region = serializers.RegexField(r"^\d{6}$", help_text="GB/T 2260 six-digit county code.")
    channel = serializers.ChoiceField(choices=Channel.choices, default=Channel.API)


class DeadlineSerializer(serializers.Serializer):
    name = serializers.CharField()
    due_at = serializers.DateTimeField()
    rule = serializers.CharField()
    basis = serializers.CharField(help_text="The legal source of the deadline.")


class ProposalSerializer(serializers.Serializer):
    resolution = serializers.ChoiceField(choices=Resolution.choices)
    amount = MoneyField(**MONEY, allow_null=True)
    message = serializers.CharField()


class DirectRepresentation:
    """Serialise by reading each field's source straight off the object.

    DRF resolves every field through `Field.get_attribute`, which asks of each value
    whether it is a callable to call (`inspect.signature`): for a page of 50 complaints
    that machinery cost more CPU than the query (docs/performance.md). Here each field's
    source is resolved once per serializer into a getter; values are still formatted by
    the field's own `to_representation`, so the output is the same, byte for byte
    (tests/api/test_list_performance.py compares the two). Fields with a dotted source
    fall back to DRF's own path.
    """

    def _direct_plan(self, instance) -> list:
        plan = getattr(self, "_plan", None)
        if plan is not None:
            return plan
        plan = []
        for field in self._readable_fields:
            attrs = field.source_attrs
            if field.source == "*":
                getter = None  # the field reads the object itself (a method field)
            elif len(attrs) == 1 and callable(getattr(type(instance), attrs[0], None)):
                getter = _call_attribute(attrs[0])
            elif len(attrs) == 1:
                getter = _read_attribute(attrs[0])
            else:
                getter = field.get_attribute
            plan.append((field.field_name, getter, field.to_representation))
        self._plan = plan
        return plan

    def to_representation(self, instance) -> dict:
        data = {}
        for name, getter, represent in self._direct_plan(instance):
            value = instance if getter is None else getter(instance)
            data[name] = None if value is None else represent(value)
        return data


def _call_attribute(name: str):
    return lambda obj: getattr(obj, name)()


def _read_attribute(name: str):
    return lambda obj: getattr(obj, name)


class ComplaintSerializer(DirectRepresentation, serializers.ModelSerializer):
    """A complaint as parties, staff and mediators see it."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DecimalField: MoneyField,
    }
    platform = serializers.SlugRelatedField(slug_field="code", read_only=True)
    status = serializers.ChoiceField(choices=Status.choices, read_only=True)
    status_display = serializers.SerializerMethodField()
    outcome = serializers.ChoiceField(choices=Outcome.choices, read_only=True, allow_blank=True)
    region_name = serializers.SerializerMethodField()
    consumer_name = serializers.SerializerMethodField()
    mediator = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    reason_code = serializers.ChoiceField(
        choices=[*RejectReason.choices, *FailReason.choices],
        read_only=True,
        allow_blank=True,
        help_text="Why it was not accepted (`reject`) or why mediation ended "
        "(`fail_mediation`); empty otherwise.",
    )
    referral_route = serializers.ChoiceField(
        choices=ReferralRoute.choices, read_only=True, allow_blank=True
    )
    deadlines = DeadlineSerializer(many=True, read_only=True)
    proposal = serializers.SerializerMethodField()

    class Meta:
        model = Complaint
        fields = [
            "reference",
            "status",
            "status_display",
            "outcome",
            "platform",
            "merchant_name",
            "order_number",
            "order_date",
            "category",
            "issue_type",
            "demand",
            "amount_paid",
            "amount_claimed",
            "description",
            "region",
            "region_name",
            "region_unverified",
            "channel",
            "consumer_name",
            "mediator",
            "filed_at",
            "accepted_at",
            "responded_at",
            "settled_at",
            "closed_at",
            "deadlines",
            "platform_late",
            "acceptance_overdue",
            "proposal",
            "agreed_amount",
            "compensation_amount",
            "compensated_amount",
            "reason_code",
            "reason",
            "referral_route",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField())
    def get_status_display(self, obj: Complaint) -> str:
        # Not the model's get_status_display(): Django rebuilds and hashes the whole
        # choices list (translating every label) on each call.
        return str(STATUS_LABELS.get(obj.status, obj.status))

    @extend_schema_field(serializers.CharField())
    def get_region_name(self, obj: Complaint) -> str:
        return region_name(obj.region)

    @extend_schema_field(serializers.CharField())
    def get_consumer_name(self, obj: Complaint) -> str:
        return obj.consumer.display_name or obj.consumer.username

    @extend_schema_field(ProposalSerializer(allow_null=True))
    def get_proposal(self, obj: Complaint) -> dict | None:
        if not obj.proposal_resolution:
            return None
        return {
            "resolution": obj.proposal_resolution,
            "amount": None if obj.proposal_amount is None else str(obj.proposal_amount),
            "message": obj.proposal_message,
        }


# The columns ComplaintSerializer reads (itself and through Complaint.deadlines()), for
# lists: loading the other twenty columns and the whole user rows of 50 complaints
# costs as much again as serialising them. A column missing here would cost one query
# per row, which the list's query-count tests would catch.
COMPLAINT_COLUMNS = (
    *(f for f in ComplaintSerializer.Meta.fields if f not in {
        "status_display", "region_name", "consumer_name", "mediator", "platform",
        "deadlines", "proposal"}),
    "platform__code", "consumer__display_name", "consumer__username", "mediator__username",
    "proposal_resolution", "proposal_amount", "proposal_message", "deadline_basis",
    "acceptance_due", "response_due", "proposal_due", "mediation_due", "fulfilment_due",
    "objection_due", "notice_due",
    "mediation_paused_at", "fulfilment_reported_at", "parties_notified_at",
)  # fmt: skip


class MaskedComplaintSerializer(ComplaintSerializer):
    """For regulators: no consumer identity, personal data in free text masked."""

    def to_representation(self, obj: Complaint) -> dict:
        data = super().to_representation(obj)
        data["consumer_name"] = mask_name(data["consumer_name"])
        for field in ("description", "reason"):
            data[field] = mask_text(data[field] or "")
        if data["proposal"]:
            data["proposal"]["message"] = mask_text(data["proposal"]["message"])
        data["order_number"] = mask_text(data["order_number"])
        return data


class EventSerializer(serializers.ModelSerializer):
    from_status = serializers.ChoiceField(choices=Status.choices, read_only=True, allow_blank=True)
    to_status = serializers.ChoiceField(choices=Status.choices, read_only=True, allow_blank=True)

    class Meta:
        model = ComplaintEvent
        fields = [
            "id",
            "name",
            "from_status",
            "to_status",
            "actor_role",
            "actor_label",
            "payload",
            "created_at",
        ]
        read_only_fields = fields


class MaskedEventSerializer(EventSerializer):
    """For regulators: the timeline's shape (what, when, by which role), no personal data.

    Payloads carry message texts, reasons and merchant contacts, so they are left out;
    a consumer's name is masked like in the complaint itself.
    """

    def to_representation(self, event: ComplaintEvent) -> dict:
        data = super().to_representation(event)
        data["payload"] = {}
        if data["actor_role"] == Role.CONSUMER:
            data["actor_label"] = mask_name(data["actor_label"])
        return data


# Transition bodies: one serializer each, shape only.


class EmptySerializer(serializers.Serializer):
    pass


class RejectSerializer(serializers.Serializer):
    reason_code = serializers.ChoiceField(choices=RejectReason.choices)
    reason = serializers.CharField(max_length=5000)


class MerchantSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    credit_code = serializers.CharField(
        max_length=18,
        required=False,
        allow_blank=True,
        help_text="统一社会信用代码 (GB 32100-2015).",
    )
    address = serializers.CharField(max_length=300, required=False, allow_blank=True)
    contact = serializers.CharField(max_length=100, required=False, allow_blank=True)


class RespondSerializer(serializers.Serializer):
    resolution = serializers.ChoiceField(choices=Resolution.choices)
    amount = MoneyField(**MONEY, required=False, allow_null=True)
    message = serializers.CharField(max_length=5000)
    merchant = MerchantSerializer(
        required=False, help_text="The merchant's real identity (CRPL art. 44)."
    )


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=5000, required=False, allow_blank=True)


class SignAgreementSerializer(serializers.Serializer):
    terms = serializers.CharField(max_length=20000)
    amount = MoneyField(**MONEY)
    fulfilment_days = serializers.IntegerField(min_value=1, max_value=90, required=False)


class AmountSerializer(serializers.Serializer):
    amount = MoneyField(**MONEY)


class PayCompensationSerializer(serializers.Serializer):
    amount = MoneyField(**MONEY)
    transaction_ref = serializers.CharField(max_length=64)


class FailMediationSerializer(serializers.Serializer):
    reason_code = serializers.ChoiceField(choices=FailReason.choices)
    reason = serializers.CharField(max_length=5000)


class ReferSerializer(serializers.Serializer):
    route = serializers.ChoiceField(choices=ReferralRoute.choices)
    reason = serializers.CharField(max_length=5000)


TRANSITION_SERIALIZERS: dict[str, type[serializers.Serializer]] = {
    "accept": EmptySerializer,
    "reject": RejectSerializer,
    "respond": RespondSerializer,
    "accept_proposal": EmptySerializer,
    "decline_proposal": ReasonSerializer,
    "escalate": EmptySerializer,
    "sign_agreement": SignAgreementSerializer,
    "confirm_fulfilment": EmptySerializer,
    "start_compensation": AmountSerializer,
    "pay_compensation": PayCompensationSerializer,
    "fail_mediation": FailMediationSerializer,
    "refer": ReferSerializer,
    "withdraw": ReasonSerializer,
    "close_no_reply": EmptySerializer,
}


class TransitionListSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Status.choices)
    allowed = serializers.ListField(child=serializers.CharField())


class MessageSerializer(serializers.ModelSerializer):
    class Meta:
        model = ComplaintMessage
        fields = ["id", "author_role", "author_label", "body", "attachments", "created_at"]
        read_only_fields = ["id", "author_role", "author_label", "attachments", "created_at"]


class MessageCreateSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=5000)
    attachments = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
        required=False,
        default=list,
        max_length=10,
        help_text="Evidence record ids of files you uploaded to this complaint first "
        "(POST .../evidence/); each is downloadable at /api/v1/evidence/{id}/download/.",
    )


class ThreadSerializer(serializers.Serializer):
    unread = serializers.IntegerField(help_text="Messages from the other side not read before.")
    results = MessageSerializer(many=True)
