"""Serializers of the statistics, rating, report and disclosure endpoints (shape only)."""

from __future__ import annotations

from rest_framework import serializers

from api.serializers import MONEY, MoneyField
from complaints.choices import Category, IssueType, Outcome, Status
from reporting.models import ConsumerWarning, Report
from reporting.selectors import TIMESERIES_METRICS

REGION_PREFIX = r"^\d{2}(\d{2}){0,2}$"
MONEY_OUT = {**MONEY, "read_only": True}


class StatsQuerySerializer(serializers.Serializer):
    # `from` is a Python keyword: the field is declared under its query name below.
    to = serializers.DateField(required=False, help_text="Last filing day (Beijing), inclusive.")
    platform = serializers.SlugField(required=False, max_length=32, help_text="Platform code.")
    region = serializers.RegexField(
        REGION_PREFIX,
        required=False,
        help_text="GB/T 2260 prefix: 2 digits (province), 4 (city) or 6 (county). "
        "A regulator may only ask inside its own region (403 otherwise).",
    )
    category = serializers.ChoiceField(choices=Category.choices, required=False)

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = serializers.DateField(
            required=False, help_text="First filing day (Beijing), inclusive."
        )
        return fields

    def validate(self, attrs):
        start, end = attrs.get("from"), attrs.get("to")
        if start and end and start > end:
            raise serializers.ValidationError({"from": ["Must not be after `to`."]})
        return attrs


class SummaryQuerySerializer(StatsQuerySerializer):
    top = serializers.IntegerField(
        required=False, min_value=1, max_value=100, default=10, help_text="Merchants listed."
    )


class TimeseriesQuerySerializer(StatsQuerySerializer):
    interval = serializers.ChoiceField(choices=["day", "week", "month"], default="day")
    metric = serializers.ChoiceField(
        choices=sorted(TIMESERIES_METRICS),
        default="filed",
        help_text="`filed`: complaints and amount claimed; `closed`: of those, now closed; "
        "`compensated` and `recovered`: advance compensation paid and recovered.",
    )


class CountSerializer(serializers.Serializer):
    count = serializers.IntegerField()


class PlatformCountSerializer(CountSerializer):
    platform = serializers.CharField()
    name = serializers.CharField()
    amount_claimed = MoneyField(**MONEY_OUT)


class MerchantCountSerializer(CountSerializer):
    platform = serializers.CharField()
    merchant = serializers.CharField()


class CategoryCountSerializer(CountSerializer):
    category = serializers.ChoiceField(choices=Category.choices)
    label = serializers.CharField()


class IssueTypeCountSerializer(CountSerializer):
    issue_type = serializers.ChoiceField(choices=IssueType.choices)
    label = serializers.CharField()


class RegionCountSerializer(CountSerializer):
    region = serializers.CharField(help_text="GB/T 2260 code or prefix.")
    name = serializers.CharField()


class SatisfactionSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    average = serializers.FloatField(allow_null=True)
    distribution = serializers.DictField(child=serializers.IntegerField(), help_text="1 to 5.")


def _counts_by(choices) -> serializers.DictField:
    return serializers.DictField(
        child=serializers.IntegerField(), help_text="Code to count: " + ", ".join(choices.values)
    )


class SummarySerializer(serializers.Serializer):
    total = serializers.IntegerField(help_text="Complaints filed in the period.")
    by_status = _counts_by(Status)
    by_outcome = _counts_by(Outcome)
    by_platform = PlatformCountSerializer(many=True)
    by_merchant = MerchantCountSerializer(many=True, help_text="The `top` merchants.")
    by_category = CategoryCountSerializer(many=True)
    by_issue_type = IssueTypeCountSerializer(many=True)
    region_level = serializers.ChoiceField(choices=["province", "city", "county"])
    by_region = RegionCountSerializer(many=True)
    amount_claimed = MoneyField(**MONEY_OUT)
    amount_compensated = MoneyField(**MONEY_OUT, help_text="Advance compensation paid.")
    amount_recovered = MoneyField(**MONEY_OUT, help_text="Recovered from merchants.")
    compensated_count = serializers.IntegerField()
    recovered_count = serializers.IntegerField()
    responded_count = serializers.IntegerField(help_text="Answered, or escalated unanswered.")
    response_within_deadline_rate = serializers.FloatField(allow_null=True)
    median_days_to_respond = serializers.FloatField(allow_null=True)
    median_days_to_close = serializers.FloatField(allow_null=True)
    resolution_rate = serializers.FloatField(allow_null=True)
    mediation_success_rate = serializers.FloatField(allow_null=True)
    satisfaction = SatisfactionSerializer()


class TimeseriesPointSerializer(serializers.Serializer):
    start = serializers.DateField(help_text="First day of the period.")
    count = serializers.IntegerField()
    amount = MoneyField(**MONEY_OUT)


class TimeseriesSerializer(serializers.Serializer):
    interval = serializers.CharField()
    metric = serializers.CharField()
    points = TimeseriesPointSerializer(many=True)


class RatingCreateSerializer(serializers.Serializer):
    score = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(max_length=1000, required=False, allow_blank=True)


class RatingSerializer(serializers.Serializer):
    score = serializers.IntegerField()
    comment = serializers.CharField()
    created_at = serializers.DateTimeField()


class ReportCreateSerializer(serializers.Serializer):
    period = serializers.ChoiceField(choices=Report.Period.choices)
    start = serializers.DateField(help_text="First day of the month or quarter.")
    region = serializers.RegexField(
        REGION_PREFIX, required=False, help_text="Prefix; a regulator's defaults to its own."
    )


class ReportSerializer(serializers.ModelSerializer):
    region = serializers.CharField(source="region_prefix")
    formats = serializers.SerializerMethodField()

    class Meta:
        model = Report
        fields = [
            "id",
            "period",
            "start",
            "end",
            "region",
            "state",
            "progress",
            "created_at",
            "finished_at",
            "formats",
        ]
        read_only_fields = fields

    def get_formats(self, report: Report) -> dict[str, str]:
        """Each ready file's SHA-256 (as preserved in the evidence log), by format."""
        return {
            fmt: record.sha256
            for fmt, record in (
                ("pdf", report.pdf_record),
                ("xlsx", report.xlsx_record),
                ("csv", report.csv_record),
            )
            if record is not None
        }


class WarningSerializer(serializers.ModelSerializer):
    platform = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True, help_text="Platform code, if any."
    )

    class Meta:
        model = ConsumerWarning
        fields = ["id", "title", "body", "platform", "merchant_name", "published_at"]
        read_only_fields = fields


class WarningCreateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    body = serializers.CharField(max_length=10000)
    platform = serializers.SlugField(max_length=32, required=False)
    merchant_name = serializers.CharField(max_length=200, required=False, allow_blank=True)


class DisclosedEntitySerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["platform", "merchant"])
    platform = serializers.CharField()
    name = serializers.CharField()
    score = serializers.FloatField()
    complaints = serializers.IntegerField()
    components = serializers.DictField(child=serializers.FloatField())
    figures = serializers.DictField(help_text="The counts and amounts behind the components.")


class DisclosureSerializer(serializers.Serializer):
    formula = serializers.CharField()
    threshold = serializers.FloatField()
    min_complaints = serializers.IntegerField()
    window_from = serializers.DateField()
    window_to = serializers.DateField()
    entities = DisclosedEntitySerializer(many=True)
    warnings = WarningSerializer(many=True)
