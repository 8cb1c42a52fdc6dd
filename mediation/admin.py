"""The admin of the guarantee deposit ledger (保证金): append-only, with running balances.

Staff record deposits and adjustments here; payouts and recoveries come from the
advance-compensation and recovery workflows, tied to their complaint. Every entry
is written by `mediation.services.guarantee_deposit_record`, which holds the ledger
rules (sign per kind, never below zero, one writer per platform at a time). Nothing
is changed or deleted: a correction is a new adjustment.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db.models import DecimalField, OuterRef, Q, QuerySet, Subquery, Sum
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from complaints.admin import StaffRoleAccess
from complaints.exceptions import DomainValidationError
from complaints.models import Platform
from mediation.models import GuaranteeDepositEntry, deposit_balance
from mediation.services import guarantee_deposit_record

Kind = GuaranteeDepositEntry.Kind


class DepositEntryForm(forms.ModelForm):
    """A manual ledger entry; the service writes it, so its rules become form errors."""

    kind = forms.ChoiceField(
        label=_("类型"),
        choices=[(Kind.DEPOSIT, Kind.DEPOSIT.label), (Kind.ADJUSTMENT, Kind.ADJUSTMENT.label)],
        help_text=_("先行赔付支出与追偿回存由相应流程记录。"),
    )

    # Set per request by the admin (get_form): who records the entry.
    actor_user = None

    class Meta:
        model = GuaranteeDepositEntry
        fields = ["platform", "kind", "amount", "complaint", "reference", "reason"]
        help_texts = {"amount": _("带符号：缴存为正数；调整可为负数，须填写说明。")}

    def clean(self) -> dict:
        # The sign rule of the table's check constraint, as field errors: the
        # constraint itself would only say that it is violated.
        data = super().clean()
        kind, amount = data.get("kind"), data.get("amount")
        if amount is not None and kind == Kind.DEPOSIT and amount <= 0:
            self.add_error("amount", _("缴存金额须大于零。"))
        if kind == Kind.ADJUSTMENT:
            if amount == 0:
                self.add_error("amount", _("调整金额不能为零。"))
            if not (data.get("reason") or "").strip():
                self.add_error("reason", _("调整须填写说明。"))
        return data

    def full_clean(self) -> None:
        super().full_clean()
        if not self.is_bound or self._errors:
            return
        # Written only once every other check passed, so that the service's own
        # rules (checked under the platform's row lock) come back as form errors.
        # The add view runs in one transaction: a later failure rolls the entry back.
        data = self.cleaned_data
        try:
            self.entry = guarantee_deposit_record(
                platform=data["platform"],
                kind=data["kind"],
                amount=data["amount"],
                complaint=data.get("complaint"),
                reference=data.get("reference", ""),
                reason=data.get("reason", ""),
                actor_user=self.actor_user,
            )
        except DomainValidationError as exc:
            for field, errors in exc.errors.items():
                self.add_error(field if field in self.fields else None, errors)


@admin.register(GuaranteeDepositEntry)
class GuaranteeDepositEntryAdmin(StaffRoleAccess, admin.ModelAdmin):
    staff_role_can = frozenset({"view", "add"})
    form = DepositEntryForm
    list_display = (
        "created_at",
        "platform",
        "kind",
        "amount",
        "balance_after",
        "complaint",
        "reference",
        "reason",
        "created_by",
    )
    list_filter = ("platform", "kind")
    list_select_related = ("platform", "complaint", "created_by")
    search_fields = ("reference", "reason", "=complaint__reference")
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-id")
    raw_id_fields = ("complaint",)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    # An entry once written is only shown (there is no change permission).
    readonly_fields = ("balance_after", "created_by", "created_at")

    def get_fields(self, request: HttpRequest, obj=None):
        if obj is None:
            return DepositEntryForm.Meta.fields
        return (
            "platform",
            "kind",
            "amount",
            "balance_after",
            "complaint",
            "reference",
            "reason",
            "created_by",
            "created_at",
        )

    def get_queryset(self, request: HttpRequest) -> QuerySet[GuaranteeDepositEntry]:
        # The balance after each entry, over the platform's whole ledger in its own
        # order (created_at, id), so that list filters do not change it.
        upto = (
            GuaranteeDepositEntry.objects.filter(platform=OuterRef("platform"))
            .filter(
                Q(created_at__lt=OuterRef("created_at"))
                | Q(created_at=OuterRef("created_at"), pk__lte=OuterRef("pk"))
            )
            .order_by()
            .values("platform")
            .annotate(total=Sum("amount"))
            .values("total")
        )
        return (
            super()
            .get_queryset(request)
            .annotate(
                running_balance=Subquery(
                    upto, output_field=DecimalField(max_digits=16, decimal_places=2)
                )
            )
        )

    @admin.display(description=_("本笔后余额（元）"), ordering="running_balance")
    def balance_after(self, obj: GuaranteeDepositEntry):
        return getattr(obj, "running_balance", None)

    def get_form(self, request: HttpRequest, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"actor_user": request.user})

    def save_form(self, request, form, change):
        return form.entry  # written by the service during validation

    def save_model(self, request, obj, form, change) -> None:
        pass  # already saved by guarantee_deposit_record

    def save_related(self, request, form, formsets, change) -> None:
        pass  # no relations to save; the form never called save(commit=False)

    def changelist_view(self, request: HttpRequest, extra_context=None):
        # Filtered to one platform: its balance now, as mediation computes it.
        platform_id = request.GET.get("platform__id__exact", "")
        platform = (
            Platform.objects.filter(pk=int(platform_id)).first()
            if platform_id.isascii() and platform_id.isdigit()
            else None
        )
        if platform is not None:
            extra_context = {
                **(extra_context or {}),
                "title": _("%(platform)s 保证金流水 · 当前余额 %(balance)s 元")
                % {"platform": platform, "balance": f"{deposit_balance(platform):.2f}"},
            }
        return super().changelist_view(request, extra_context)
