"""The mediation admin for complaint-centre staff: the deposit ledger, case work,
agreements, advance compensation (先行赔付) and recovery (追偿).

Everything here is a record, so nothing is changed or deleted. The few writes go
through the services as `Actor.of_user(request.user)`, which hold the rules: a
deposit entry (`guarantee_deposit_record`), a case note (`case_note_add`), a recheck
of what the deposit can pay (`compensation_recheck`) and a write-off
(`recovery_write_off`). Sessions, proposals and agreements are the mediator's
(their services refuse anyone but the case's mediator), and mediators do not reach
the admin: Django admits `is_staff` users only, and `StaffRoleAccess` grants
permissions to role `staff`. So here they are lists to look at; mediators work
them through the mediator API.
"""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, DecimalField, F, OuterRef, Q, QuerySet, Subquery, Sum
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from complaints.actors import Actor
from complaints.admin import AdminActionsMixin, ReadOnlyAdmin, StaffRoleAccess, describe_error
from complaints.exceptions import DomainValidationError, WeiquanError
from complaints.models import Platform
from mediation.compensation import compensation_recheck, recovery_write_off
from mediation.exceptions import RecoveryClosed
from mediation.models import (
    AdvanceCompensation,
    Agreement,
    AgreementConfirmation,
    CaseNote,
    EndNotice,
    GuaranteeDepositEntry,
    MediationProposal,
    MediationSession,
    Recovery,
    Recusal,
    deposit_balance,
)
from mediation.selectors import recovery_totals
from mediation.services import case_note_add, guarantee_deposit_record

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


def balance_subquery(platform_ref: str = "platform") -> Subquery:
    """A platform's deposit balance now: the sum of its entries (never a stored total)."""
    total = (
        GuaranteeDepositEntry.objects.filter(platform=OuterRef(platform_ref))
        .order_by()
        .values("platform")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return Subquery(total, output_field=DecimalField(max_digits=16, decimal_places=2))


# Case work: the mediator's records, shown to staff.


@admin.register(Recusal)
class RecusalAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "complaint", "mediator", "reason")
    list_select_related = ("complaint", "mediator")
    search_fields = ("=complaint__reference", "mediator__username", "reason")
    date_hierarchy = "created_at"


class CaseNoteForm(forms.ModelForm):
    """A note on a case; `case_note_add` writes it, so its refusals become form errors."""

    # Set per request by the admin (get_form): who writes the note.
    actor_user = None

    class Meta:
        model = CaseNote
        fields = ["complaint", "body"]

    def full_clean(self) -> None:
        super().full_clean()
        if not self.is_bound or self._errors:
            return
        # Written once every other check passed, as the deposit form does: the add
        # view's transaction rolls the note back if anything after this fails.
        try:
            self.note = case_note_add(
                complaint=self.cleaned_data["complaint"],
                actor=Actor.of_user(self.actor_user),
                body=self.cleaned_data["body"],
            )
        except DomainValidationError as exc:
            for field, errors in exc.errors.items():
                self.add_error(field if field in self.fields else None, errors)
        except WeiquanError as exc:
            self.add_error(None, describe_error(exc))


@admin.register(CaseNote)
class CaseNoteAdmin(StaffRoleAccess, admin.ModelAdmin):
    """Private working notes: added, never edited; staff and the case's mediator only."""

    staff_role_can = frozenset({"view", "add"})
    form = CaseNoteForm
    list_display = ("created_at", "complaint", "author", "excerpt")
    list_select_related = ("complaint", "author")
    search_fields = ("=complaint__reference", "body")
    date_hierarchy = "created_at"
    autocomplete_fields = ("complaint",)  # found by reference (ComplaintAdmin.search_fields)

    @admin.display(description=_("内容"))
    def excerpt(self, obj: CaseNote) -> str:
        return obj.body if len(obj.body) <= 60 else obj.body[:60] + "…"

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        # Private to mediators and staff (mediation.services.case_notes), so not even
        # a superuser of another role reads them.
        return self._staff_role(request, "view")

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._staff_role(request, "view")

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def get_fields(self, request: HttpRequest, obj=None):
        if obj is None:
            return CaseNoteForm.Meta.fields
        return ("complaint", "author", "created_at", "body")

    def get_form(self, request: HttpRequest, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"actor_user": request.user})

    def save_form(self, request, form, change):
        return form.note  # written by the service during validation

    def save_model(self, request, obj, form, change) -> None:
        pass  # already saved by case_note_add

    def save_related(self, request, form, formsets, change) -> None:
        pass


@admin.register(MediationSession)
class MediationSessionAdmin(ReadOnlyAdmin):
    list_display = (
        "scheduled_at",
        "complaint",
        "channel",
        "state",
        "location",
        "participant_names",
        "held_at",
        "created_by",
    )
    list_filter = ("state", "channel")
    list_select_related = ("complaint", "created_by")
    search_fields = ("=complaint__reference", "location", "minutes")
    date_hierarchy = "scheduled_at"

    @admin.display(description=_("参加人"))
    def participant_names(self, obj: MediationSession) -> str:
        return "、".join(obj.participants) or "—"


@admin.register(MediationProposal)
class MediationProposalAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "complaint",
        "amount",
        "consumer_reply",
        "consumer_replied_at",
        "platform_reply",
        "platform_replied_at",
        "created_by",
    )
    list_filter = ("consumer_reply", "platform_reply")
    list_select_related = ("complaint", "created_by")
    search_fields = ("=complaint__reference", "terms")
    date_hierarchy = "created_at"


# Agreements and notices: issued documents, preserved as evidence.


class AgreementConfirmationInline(admin.TabularInline):
    model = AgreementConfirmation
    fields = ("version", "party", "method", "confirmed_by", "ip", "user_agent", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return True  # whoever may see the agreement sees who confirmed it

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Agreement)
class AgreementAdmin(ReadOnlyAdmin):
    list_display = (
        "number",
        "complaint",
        "state",
        "version",
        "amount",
        "fulfilment_days",
        "confirmed_by_both",
        "issued_at",
        "pdf_record",
    )
    list_filter = ("state",)
    list_select_related = ("complaint", "pdf_record")
    search_fields = ("number", "=complaint__reference")
    inlines = (AgreementConfirmationInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Agreement]:
        # Confirmations of the current version only: an edited draft needs them again.
        # (One per party and version, so the count is the number of parties.)
        current = Count("confirmations", filter=Q(confirmations__version=F("version")))
        return super().get_queryset(request).annotate(current_confirmations=current)

    @admin.display(description=_("双方已确认当前版本"), boolean=True)
    def confirmed_by_both(self, obj: Agreement) -> bool:
        parties = len(AgreementConfirmation.Party.values)
        return getattr(obj, "current_confirmations", 0) >= parties


@admin.register(EndNotice)
class EndNoticeAdmin(ReadOnlyAdmin):
    list_display = ("number", "complaint", "issued_at", "record")
    list_select_related = ("complaint", "record")
    search_fields = ("number", "=complaint__reference")
    date_hierarchy = "issued_at"


# Advance compensation (先行赔付) and recovery (追偿).


@admin.register(AdvanceCompensation)
class AdvanceCompensationAdmin(AdminActionsMixin, ReadOnlyAdmin):
    """Approved compensations, and why one is held up (a cap, the deposit balance)."""

    staff_role_can = frozenset({"view", "recheck"})
    list_display = (
        "complaint",
        "platform",
        "basis",
        "amount",
        "approved_at",
        "blocked_reason",
        "blocked_detail",
        "balance_now",
        "paid_at",
    )
    list_filter = ("blocked_reason", "basis", "platform")
    list_select_related = ("complaint", "platform")
    search_fields = ("=complaint__reference",)
    date_hierarchy = "approved_at"
    ordering = ("-approved_at", "-id")
    actions = ("recheck_deposit",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[AdvanceCompensation]:
        return super().get_queryset(request).annotate(platform_balance=balance_subquery())

    @admin.display(description=_("平台保证金余额（元）"), ordering="platform_balance")
    def balance_now(self, obj: AdvanceCompensation) -> str:
        balance = getattr(obj, "platform_balance", None)
        return "0.00" if balance is None else f"{balance:.2f}"

    def has_recheck_permission(self, request: HttpRequest) -> bool:
        # compensation_recheck is the system's own job (it runs after every top-up);
        # the admin runs it for complaint-centre staff only.
        return self._staff_role(request, "recheck")

    @admin.action(description=_("重新检查保证金"), permissions=["recheck"])
    def recheck_deposit(self, request: HttpRequest, queryset: QuerySet[AdvanceCompensation]):
        platforms = Platform.objects.filter(pk__in=queryset.values("platform_id"))
        changed: dict[int, dict[str, int]] = {}

        def recheck(platform_id: int, actor: Actor) -> None:
            changed[platform_id] = compensation_recheck(platform_id=platform_id)

        self._apply_each(
            request,
            platforms,
            done_message=_("已重新检查 %(count)d 个平台的保证金。"),
            call=recheck,
        )
        for platform in platforms.order_by("pk"):
            if platform.pk in changed:
                balance = f"{deposit_balance(platform):.2f}"
                self.message_user(
                    request,
                    _(
                        "%(platform)s：余额 %(balance)s 元；"
                        "新暂缓 %(blocked)d 件，解除暂缓 %(unblocked)d 件。"
                    )
                    % {"platform": platform, "balance": balance, **changed[platform.pk]},
                    messages.INFO,
                )


class WriteOffForm(forms.Form):
    """Give up a recovery (核销): the reason is kept on the recovery and in the timeline."""

    reason = forms.CharField(
        label=_("核销理由"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("如：商家已注销且无可供追偿的财产；应追偿金额过小，追偿成本过高。"),
    )


@dataclass(frozen=True)
class SelectedRecovery:
    """A selected recovery as the shared action page lists it (`reference`, a status)."""

    pk: int
    reference: str
    get_status_display: str

    @classmethod
    def of(cls, recovery: Recovery) -> SelectedRecovery:
        return cls(
            pk=recovery.pk,
            reference=f"{recovery.complaint.reference} · {recovery.merchant_name} · "
            f"应追偿 {recovery.amount} 元",
            get_status_display=str(recovery.get_state_display()),
        )


@admin.register(Recovery)
class RecoveryAdmin(AdminActionsMixin, ReadOnlyAdmin):
    """Recoveries from merchants, with totals per state over the filtered list."""

    staff_role_can = frozenset({"view", "write_off"})
    list_display = (
        "complaint",
        "platform",
        "merchant_name",
        "amount",
        "state",
        "recovered_amount",
        "opened_at",
        "closed_at",
        "closed_by",
        "reason",
    )
    list_filter = ("state", "platform")
    list_select_related = ("complaint", "platform")
    search_fields = ("=complaint__reference", "merchant_name")
    date_hierarchy = "opened_at"
    actions = ("write_off",)

    def has_write_off_permission(self, request: HttpRequest) -> bool:
        """May offer the action; recovery_write_off still decides per user (staff only)."""
        return self._staff_role(request, "write_off") or request.user.has_perm(
            "mediation.change_recovery"
        )

    def describe_action_error(self, exc: WeiquanError) -> str:
        if isinstance(exc, RecoveryClosed):
            state = exc.state
            label = Recovery.State(state).label if state in Recovery.State.values else state
            return str(_("该追偿已结束（%(state)s），不能核销。") % {"state": label})
        return super().describe_action_error(exc)

    @admin.action(description=_("核销所选追偿…"), permissions=["write_off"])
    def write_off(self, request: HttpRequest, queryset: QuerySet[Recovery]):
        # Recording that the money was recovered takes an amount and a bank reference
        # per recovery: the platform reports it through the API, one at a time.
        response = self._form_action(
            request,
            queryset.select_related("complaint"),
            action="write_off",
            form_class=WriteOffForm,
            title=_("核销追偿"),
            done_message=_("已核销 %(count)d 笔追偿。"),
            call=lambda pk, actor, form: recovery_write_off(
                recovery_id=pk, actor=actor, reason=form.cleaned_data["reason"]
            ),
        )
        if response is not None:
            selected = response.context_data["complaints"]
            response.context_data["complaints"] = [SelectedRecovery.of(r) for r in selected]
        return response

    def changelist_view(self, request: HttpRequest, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = (getattr(response, "context_data", None) or {}).get("cl")
        if changelist is not None:
            # Over the list as filtered (by platform, state, date), not one page of it.
            totals = recovery_totals(changelist.queryset)
            response.context_data["recovery_totals"] = totals
            response.context_data["subtitle"] = describe_totals(totals)
        return response


def describe_totals(totals: dict) -> str:
    """One line of recovery totals per state: count, amount to recover, amount recovered."""
    parts = []
    for state, row in totals.items():
        text = _("%(state)s %(count)d 笔，%(amount)s 元") % {
            "state": Recovery.State(state).label,
            "count": row["count"],
            "amount": f"{row['amount']:.2f}",
        }
        if state == Recovery.State.RECOVERED:
            text += _("（实际追回 %(recovered)s 元）") % {"recovered": f"{row['recovered']:.2f}"}
        parts.append(str(text))
    return "；".join(parts)
