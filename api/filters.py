"""List filters of the complaints resource."""

import django_filters

from complaints.choices import Status
from complaints.models import Complaint


class ComplaintFilter(django_filters.FilterSet):
    # distinct=False: the filter's default DISTINCT makes PostgreSQL fetch, sort and
    # deduplicate every matching row before it can stop at one page; nothing here joins
    # a to-many relation that could repeat a complaint, so there is nothing to remove.
    status = django_filters.MultipleChoiceFilter(choices=Status.choices, distinct=False)
    updated_after = django_filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gt")

    class Meta:
        model = Complaint
        fields = ["status", "updated_after"]
