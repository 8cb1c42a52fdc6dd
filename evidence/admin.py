"""The Django admin of the evidence log: records and checkpoints to look at, and legal holds.

The log is append-only, so its lists are read-only for everyone. Holds are set and
lifted by admin actions that ask for a reason and call `evidence.retention` as
`Actor.of_user(request.user)`: the service decides who may (staff only) and its
errors become admin messages, one per complaint.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from complaints.admin import AdminActionsMixin, ReadOnlyAdmin, describe_error
from complaints.choices import TERMINAL_STATUSES
from complaints.exceptions import TransitionConflict, WeiquanError
from evidence.models import Checkpoint, EvidenceRecord, RetentionCase
from evidence.retention import (
    legal_hold_lift,
    legal_hold_set,
    retain_until,
    retention_years,
)


@admin.register(EvidenceRecord)
class EvidenceRecordAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "chain",
        "seq",
        "kind",
        "complaint",
        "submitter_label",
        "created_at",
        "sha256_short",
    )
    list_filter = ("kind",)
    list_select_related = ("complaint",)
    search_fields = ("chain", "^sha256", "^record_hash", "=complaint__reference")
    show_full_result_count = False
    readonly_fields = (
        "chain",
        "seq",
        "complaint",
        "event",
        "kind",
        "description",
        "file_name",
        "sha256",
        "size",
        "media_type",
        "store",
        "submitted_by",
        "submitter_role",
        "submitter_label",
        "created_at",
        "prev_hash",
        "record_hash",
    )
    fields = readonly_fields

    @admin.display(description=_("内容摘要"), ordering="sha256")
    def sha256_short(self, obj: EvidenceRecord) -> str:
        return f"{obj.sha256[:12]}…"


@admin.register(Checkpoint)
class CheckpointAdmin(ReadOnlyAdmin):
    list_display = ("id", "tree_size", "root_short", "created_at", "timestamped")
    list_select_related = ("timestamp",)
    ordering = ("-id",)
    readonly_fields = (
        "tree_size",
        "root_hash",
        "created_at",
        "note",
        "previous",
        "consistency_proof",
    )
    fields = readonly_fields

    @admin.display(description=_("根哈希"))
    def root_short(self, obj: Checkpoint) -> str:
        return f"{obj.root_hash[:16]}…"

    @admin.display(description=_("可信时间戳"), boolean=True)
    def timestamped(self, obj: Checkpoint) -> bool:
        return hasattr(obj, "timestamp")


# Retention and legal hold, listed per complaint: a hold can be set on any case, also
# one that has no retention row yet, hence the proxy of Complaint.


class HoldForm(forms.Form):
    reason = forms.CharField(label=_("理由"), widget=forms.Textarea(attrs={"rows": 3}))


HOLD_STATES = {
    "legal_hold": _("已处于保全冻结"),
    "no_legal_hold": _("未处于保全冻结"),
    "purged": _("证据内容已到期清除"),
}


def describe_hold_error(exc: WeiquanError) -> str:
    if isinstance(exc, TransitionConflict) and exc.status in HOLD_STATES:
        return str(HOLD_STATES[exc.status])
    return describe_error(exc)


class RetentionFilter(admin.SimpleListFilter):
    title = _("保存状态")
    parameter_name = "retention"

    def lookups(self, request, model_admin):
        return (
            ("held", _("保全冻结中")),
            ("purged", _("已清除")),
            ("closed", _("已办结、保存中")),
        )

    def queryset(self, request, queryset: QuerySet) -> QuerySet | None:
        if self.value() == "held":
            return queryset.filter(retention__legal_hold=True)
        if self.value() == "purged":
            return queryset.filter(retention__purged_at__isnull=False)
        if self.value() == "closed":
            return queryset.filter(status__in=TERMINAL_STATUSES).exclude(
                retention__purged_at__isnull=False
            )
        return None


@admin.register(RetentionCase)
class EvidenceRetentionAdmin(AdminActionsMixin, ReadOnlyAdmin):
    """Each complaint's retention: until when, legal hold, purge; holds set by action."""

    staff_role_can = frozenset({"view", "hold"})
    list_display = (
        "reference",
        "status",
        "closed_at",
        "retained_until",
        "on_hold",
        "hold_reason",
        "purged_at",
    )
    list_filter = (RetentionFilter, "status")
    list_select_related = ("retention",)
    search_fields = ("=reference",)
    show_full_result_count = False
    fields = (
        "reference",
        "status",
        "closed_at",
        "retained_until",
        "on_hold",
        "hold_reason",
        "hold_set_by",
        "hold_set_at",
        "purged_at",
    )
    readonly_fields = fields
    actions = ("set_legal_hold", "lift_legal_hold")

    def has_hold_permission(self, request: HttpRequest) -> bool:
        """May offer the actions; the service still requires a staff member."""
        return self._staff_role(request, "hold") or request.user.has_perm(
            "evidence.change_evidenceretention"
        )

    def _retention(self, obj):
        return getattr(obj, "retention", None)

    @admin.display(description=_("保存至"))
    def retained_until(self, obj) -> str:
        until = retain_until(obj, years=retention_years())
        return f"{timezone.localtime(until):%Y-%m-%d %H:%M}" if until else "—"

    @admin.display(description=_("保全冻结"), boolean=True)
    def on_hold(self, obj) -> bool:
        retention = self._retention(obj)
        return bool(retention and retention.legal_hold)

    @admin.display(description=_("冻结理由"))
    def hold_reason(self, obj) -> str:
        retention = self._retention(obj)
        return retention.hold_reason if retention and retention.legal_hold else "—"

    @admin.display(description=_("冻结人"))
    def hold_set_by(self, obj) -> str:
        retention = self._retention(obj)
        return str(retention.hold_set_by) if retention and retention.hold_set_by else "—"

    @admin.display(description=_("冻结时间"))
    def hold_set_at(self, obj):
        retention = self._retention(obj)
        return retention.hold_set_at if retention and retention.hold_set_at else "—"

    @admin.display(description=_("清除时间"))
    def purged_at(self, obj):
        retention = self._retention(obj)
        return retention.purged_at if retention and retention.purged_at else "—"

    def describe_action_error(self, exc: WeiquanError) -> str:
        return describe_hold_error(exc)

    def _hold_action(self, request, queryset, *, action, title, done_message, call):
        """Ask for the reason on an intermediate page, then call the service per complaint."""
        return self._form_action(
            request,
            queryset,
            action=action,
            form_class=HoldForm,
            title=title,
            done_message=done_message,
            call=lambda pk, actor, form: call(
                complaint_id=pk, actor=actor, reason=form.cleaned_data["reason"]
            ),
        )

    @admin.action(description=_("设置保全冻结…"), permissions=["hold"])
    def set_legal_hold(self, request: HttpRequest, queryset: QuerySet):
        return self._hold_action(
            request,
            queryset,
            action="set_legal_hold",
            title=_("设置保全冻结"),
            done_message=_("已对 %(count)d 件投诉设置保全冻结。"),
            call=legal_hold_set,
        )

    @admin.action(description=_("解除保全冻结…"), permissions=["hold"])
    def lift_legal_hold(self, request: HttpRequest, queryset: QuerySet):
        return self._hold_action(
            request,
            queryset,
            action="lift_legal_hold",
            title=_("解除保全冻结"),
            done_message=_("已解除 %(count)d 件投诉的保全冻结。"),
            call=legal_hold_lift,
        )
