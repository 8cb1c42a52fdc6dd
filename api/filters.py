"""List filters of the complaints resource."""

import django_filters

from complaints.choices import Status
from complaints.models import Complaint


class ComplaintFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=Status.choices)
    updated_after = django_filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gt")

    class Meta:
        model = Complaint
        fields = ["status", "updated_after"]
