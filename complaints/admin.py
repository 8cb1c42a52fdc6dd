"""The Django admin of the core: parties, regions, the holiday calendar and complaints.

The admin never writes a complaint itself: its status is a protected FSM field, so
the change form is read-only and every correction is an admin action that calls
`complaints.services` as `Actor.of_user(request.user)`. The domain decides what the
user may do (a superuser whose role is consumer is refused like any consumer) and
its errors become admin messages, one per complaint, never a 500.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from complaints.access_log import personal_data_read
from complaints.actors import Actor
from complaints.choices import (
    REMAINING_ROUTES,
    Category,
    FailReason,
    RejectReason,
    Role,
    Status,
)
from complaints.exceptions import (
    DomainValidationError,
    TransitionConflict,
    TransitionForbidden,
    WeiquanError,
)
from complaints.models import (
    CalendarDay,
    CalendarYear,
    Complaint,
    ComplaintEvent,
    Merchant,
    Platform,
    ReferenceCounter,
    Region,
    User,
)
from complaints.security.forms import AdminLoginForm
from complaints.selectors import DEADLINE_FIELDS, binding_deadlines_q, region_name
from complaints.services import (
    complaint_transition,
    mediation_pause,
    mediation_resume,
    mediator_reassign,
    transitions_available,
)

admin.site.site_header = _("维权 · 管理后台")
# Locked logins are told so (complaints/security/lockout.py); 2FA is asked by the
# middleware after this form, as for every page.
admin.site.login_form = AdminLoginForm
admin.site.site_title = _("维权管理后台")
admin.site.index_title = _("投诉中心管理")


# Who may do what. Django's rule stays: only is_staff users reach the admin, and
# explicit model permissions (or superuser) work as usual. On top of that, an active
# complaint-centre staff member (role `staff`) gets the permissions each admin lists
# in `staff_role_can`, so that no group has to be set up per deployment. Role staff
# never get to change users: a user form can grant is_superuser.


class StaffRoleAccess:
    """Grant role-`staff` users the listed admin permissions; others follow Django's."""

    staff_role_can: frozenset[str] = frozenset({"view"})

    def _staff_role(self, request: HttpRequest, permission: str) -> bool:
        user = request.user
        return (
            permission in self.staff_role_can
            and user.is_active
            and user.is_staff
            and getattr(user, "role", None) == Role.STAFF
        )

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._staff_role(request, "view") or super().has_module_permission(request)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return self._staff_role(request, "view") or super().has_view_permission(request, obj)

    def has_add_permission(self, request: HttpRequest, *args) -> bool:
        # Inlines pass the parent object as a second argument.
        return self._staff_role(request, "add") or super().has_add_permission(request, *args)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return self._staff_role(request, "change") or super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return self._staff_role(request, "delete") or super().has_delete_permission(request, obj)


class ReadOnlyAdmin(StaffRoleAccess, admin.ModelAdmin):
    """A list to look at: nobody adds, changes or deletes through the admin."""

    def has_add_permission(self, request: HttpRequest, *args) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


# Parties.


class WeiquanUserChangeForm(UserChangeForm):
    mediator_categories = forms.MultipleChoiceField(
        label=_("调解品类"),
        choices=Category.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("仅对调解员有效；不选表示处理所有品类。"),
    )


@admin.register(User)
class UserAdmin(StaffRoleAccess, DjangoUserAdmin):
    form = WeiquanUserChangeForm
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (
            _("维权角色"),
            {
                "fields": (
                    "role",
                    "display_name",
                    "phone",
                    "id_number",
                    "address",
                    "platform",
                    "region_prefix",
                    "mediator_categories",
                )
            },
        ),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "usable_password", "password1", "password2"),
            },
        ),
        (
            _("维权角色"),
            {
                "classes": ("wide",),
                # Both constraints (platform users have a platform, regulators a
                # region) are checked by the form only when their fields are on it.
                "fields": ("role", "display_name", "phone", "platform", "region_prefix"),
            },
        ),
    )
    list_display = (
        "username",
        "display_name",
        "role",
        "platform",
        "email",
        "is_staff",
        "is_active",
    )
    list_filter = ("role", "is_staff", "is_superuser", "is_active", "groups")
    list_select_related = ("platform",)
    # The phone number is encrypted: found by its keyed hash (get_search_results).
    search_fields = ("username", "display_name", "email")

    def get_search_results(self, request, queryset, search_term):
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if search_term.strip():
            queryset |= self.model.objects.with_phone(search_term.strip())
        return queryset, may_have_duplicates

    def change_view(self, request, object_id, form_url="", extra_context=None):
        user = self.get_object(request, unquote(object_id))
        if user is not None and user.role == Role.CONSUMER and request.method == "GET":
            personal_data_read(
                actor=request.user,
                subject=user,
                fields=["display_name", "email", "phone", "id_number", "address"],
                purpose="admin_user_change",
                request=request,
            )
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(Platform)
class PlatformAdmin(StaffRoleAccess, admin.ModelAdmin):
    staff_role_can = frozenset({"view", "add", "change"})
    list_display = (
        "code",
        "name",
        "response_days",
        "advance_compensation_committed",
        "advance_compensation_cap",
        "domicile_region",
        "is_active",
    )
    list_filter = ("is_active", "advance_compensation_committed")
    search_fields = ("code", "name")
    readonly_fields = ("created_at",)


@admin.register(Merchant)
class MerchantAdmin(StaffRoleAccess, admin.ModelAdmin):
    staff_role_can = frozenset({"view", "add", "change"})
    list_display = ("name", "platform", "credit_code", "region", "is_identified", "updated_at")
    list_filter = ("platform",)
    list_select_related = ("platform",)
    search_fields = ("name", "credit_code")
    readonly_fields = ("created_at", "updated_at")

    @admin.display(description=_("身份信息完整"), boolean=True)
    def is_identified(self, obj: Merchant) -> bool:
        return obj.is_identified


@admin.register(Region)
class RegionAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "level", "parent", "is_active")
    list_filter = ("level", "is_active")
    list_select_related = ("parent",)
    search_fields = ("code", "name")


# The holiday calendar: staff add each year's State Council schedule here. Saving a
# row clears the calendar cache (complaints.apps), so is_workday sees it at once.


@admin.register(CalendarYear)
class CalendarYearAdmin(StaffRoleAccess, admin.ModelAdmin):
    staff_role_can = frozenset({"view", "add", "change", "delete"})
    list_display = ("year", "source", "updated_at")


@admin.register(CalendarDay)
class CalendarDayAdmin(StaffRoleAccess, admin.ModelAdmin):
    staff_role_can = frozenset({"view", "add", "change", "delete"})
    list_display = ("date", "weekday", "kind", "name")
    list_filter = ("kind",)
    date_hierarchy = "date"
    search_fields = ("name",)

    @admin.display(description=_("星期"))
    def weekday(self, obj: CalendarDay) -> str:
        return "一二三四五六日"[obj.date.weekday()]

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        if not CalendarYear.objects.filter(year=obj.date.year).exists():
            self.message_user(
                request,
                _("%(year)s 年尚未登记为已公布年度：该年其余日期仍按周一至周五计算。")
                % {"year": obj.date.year},
                messages.WARNING,
            )


@admin.register(ReferenceCounter)
class ReferenceCounterAdmin(ReadOnlyAdmin):
    list_display = ("day", "last")
    ordering = ("-day",)


@admin.register(ComplaintEvent)
class ComplaintEventAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "complaint",
        "name",
        "from_status",
        "to_status",
        "actor_label",
        "actor_role",
    )
    list_filter = ("name", "actor_role")
    list_select_related = ("complaint",)
    search_fields = ("=complaint__reference", "actor_label")
    date_hierarchy = "created_at"
    show_full_result_count = False


# Deadlines, for the list column and the filter (which ones bind: the model and
# complaints.selectors.binding_deadlines_q).

DUE_SOON = timedelta(days=2)


def deadline_label(name: str) -> str:
    return str(Complaint._meta.get_field(f"{name}_due").verbose_name)


class DeadlineFilter(admin.SimpleListFilter):
    title = _("期限")
    parameter_name = "deadline"

    def lookups(self, request, model_admin):
        return (
            ("overdue", _("已超期")),
            ("soon", _("两日内到期")),
            ("paused", _("调解计时暂停")),
        )

    def queryset(self, request, queryset: QuerySet[Complaint]) -> QuerySet[Complaint] | None:
        now = timezone.now()
        if self.value() == "overdue":
            return queryset.filter(binding_deadlines_q(due_before=now))
        if self.value() == "soon":
            return queryset.filter(binding_deadlines_q(due_after=now, due_before=now + DUE_SOON))
        if self.value() == "paused":
            return queryset.filter(status=Status.MEDIATING, mediation_paused_at__isnull=False)
        return None


# Complaint actions: forms for the transitions that take a body.


class RejectForm(forms.Form):
    """Not accepted, on a ground of SAMR Order 121 art. 16 (不予受理)."""

    reason_code = forms.ChoiceField(label=_("不予受理事由"), choices=RejectReason.choices)
    reason = forms.CharField(label=_("书面理由"), widget=forms.Textarea(attrs={"rows": 4}))

    def params(self) -> dict:
        return {
            "reason_code": self.cleaned_data["reason_code"],
            "reason": self.cleaned_data["reason"],
        }


class ReassignForm(forms.Form):
    mediator = forms.ModelChoiceField(
        label=_("新调解员"),
        queryset=User.objects.filter(role=Role.MEDIATOR, is_active=True).order_by("username"),
    )
    reason = forms.CharField(label=_("理由"), widget=forms.Textarea(attrs={"rows": 3}))


class PauseForm(forms.Form):
    reason = forms.CharField(
        label=_("暂停理由（检测、鉴定等）"), widget=forms.Textarea(attrs={"rows": 3})
    )


def describe_error(exc: WeiquanError) -> str:
    """A domain error in words for an admin message."""
    if isinstance(exc, TransitionConflict):
        try:
            status = Status(exc.status).label
        except ValueError:
            status = exc.status
        return str(
            _("当前状态“%(status)s”下不能执行 %(action)s；现可执行：%(allowed)s。")
            % {"status": status, "action": exc.action, "allowed": "、".join(exc.allowed) or "无"}
        )
    if isinstance(exc, TransitionForbidden):
        try:
            role = Role(exc.role).label
        except ValueError:
            role = exc.role
        return str(_("角色“%(role)s”无权执行 %(action)s。") % {"role": role, "action": exc.action})
    if isinstance(exc, DomainValidationError):
        return exc.describe("；")
    return exc.message


def describe_transition(name: str) -> str:
    """The first line of the transition method's docstring."""
    doc = getattr(Complaint, name).__doc__ or ""
    return doc.strip().splitlines()[0] if doc.strip() else name


class EventInline(admin.TabularInline):
    model = ComplaintEvent
    fields = (
        "created_at",
        "name",
        "from_status",
        "to_status",
        "actor_label",
        "actor_role",
        "payload",
    )
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False
    verbose_name_plural = _("时间线")

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return True  # whoever may see the complaint sees its timeline

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


COMPLAINT_FIELDSETS = (
    (
        _("投诉"),
        {
            "fields": (
                ("reference", "status", "outcome"),
                ("consumer", "platform", "merchant"),
                ("merchant_name", "order_number", "order_date"),
                ("category", "issue_type", "demand"),
                ("amount_paid", "amount_claimed"),
                "description",
                ("region", "region_display", "region_unverified"),
                "channel",
            )
        },
    ),
    (
        _("进度"),
        {
            "fields": (
                "mediator",
                ("filed_at", "accepted_at", "responded_at"),
                ("mediation_started_at", "settled_at", "closed_at"),
            )
        },
    ),
    (
        _("期限及依据"),
        {
            "fields": (
                "deadline_table",
                ("acceptance_overdue", "platform_late", "fulfilment_missed"),
                ("mediation_paused_at", "mediation_paused_days"),
                ("proposal_reminded_at", "fulfilment_reported_at", "parties_notified_at"),
            )
        },
    ),
    (
        _("期限字段"),
        {"classes": ("collapse",), "fields": (*DEADLINE_FIELDS, "deadline_basis")},
    ),
    (_("原因"), {"fields": ("reason_display", "reason", "referral_route")}),
    (
        _("方案与协议"),
        {
            "fields": (
                ("proposal_resolution", "proposal_amount"),
                "proposal_message",
                "agreed_amount",
                "agreement_terms",
            )
        },
    ),
    (
        _("先行赔付"),
        {
            "fields": (
                "compensation_eligible",
                ("compensation_amount", "compensated_amount", "compensation_ref"),
            )
        },
    ),
    (_("记录"), {"classes": ("collapse",), "fields": ("reason_code", "created_at", "updated_at")}),
)


class AdminActionsMixin:
    """Admin actions over selected rows (complaints, keys, messages). Each row goes through
    its service in its own transaction: one refusal is reported and the others proceed."""

    def describe_action_error(self, exc: WeiquanError) -> str:
        return describe_error(exc)

    def _apply_each(
        self,
        request: HttpRequest,
        queryset: QuerySet,
        *,
        done_message: str,
        call: Callable[[int, Actor], object],
    ) -> None:
        actor = Actor.of_user(request.user)
        done = 0
        for obj in queryset.order_by("pk"):
            try:
                call(obj.pk, actor)
            except WeiquanError as exc:
                self.message_user(
                    request, f"{obj}：{self.describe_action_error(exc)}", messages.ERROR
                )
            else:
                done += 1
        if done:
            self.message_user(request, done_message % {"count": done}, messages.SUCCESS)

    def _form_action(
        self,
        request: HttpRequest,
        queryset: QuerySet[Complaint],
        *,
        action: str,
        form_class: type[forms.Form],
        title: str,
        done_message: str,
        call: Callable[[int, Actor, forms.Form], object],
        notes: list[str] | None = None,
    ) -> TemplateResponse | None:
        """An action that asks for its fields on an intermediate page, then applies them."""
        if "apply" in request.POST:
            form = form_class(request.POST)
            if form.is_valid():
                self._apply_each(
                    request,
                    queryset,
                    done_message=done_message,
                    call=lambda pk, actor: call(pk, actor, form),
                )
                return None
        else:
            form = form_class()
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.model._meta,
            "form": form,
            "action": action,
            "complaints": list(queryset.order_by("pk")),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "notes": notes or [],
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/complaints/complaint/action_form.html", context)


@admin.register(Complaint)
class ComplaintAdmin(AdminActionsMixin, StaffRoleAccess, admin.ModelAdmin):
    """Complaints are filed through the service and never deleted; the form only shows."""

    staff_role_can = frozenset({"view", "transition"})
    list_display = (
        "reference",
        "status",
        "outcome",
        "platform",
        "consumer",
        "mediator",
        "next_deadline",
        "region",
        "filed_at",
    )
    list_filter = ("status", "outcome", "platform", DeadlineFilter, "region_unverified")
    list_select_related = ("platform", "consumer", "mediator")
    search_fields = ("reference", "order_number", "merchant_name")
    date_hierarchy = "filed_at"
    show_full_result_count = False
    fieldsets = COMPLAINT_FIELDSETS
    # Every field, so that no form ever carries one back, `status` least of all.
    readonly_fields = (
        *(f.name for f in Complaint._meta.concrete_fields if f.name != "id"),
        "region_display",
        "deadline_table",
        "reason_display",
        "compensation_eligible",
    )
    inlines = (EventInline,)
    actions = ("accept", "reject", "reassign_mediator", "pause_mediation", "resume_mediation")

    # Permissions: no add (filed through complaint_file), no change form, no delete.

    def has_add_permission(self, request: HttpRequest, *args) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_transition_permission(self, request: HttpRequest) -> bool:
        """May offer the actions; the domain still decides per complaint and user."""
        return self._staff_role(request, "transition") or request.user.has_perm(
            "complaints.change_complaint"
        )

    # Columns and read-only fields.

    @admin.display(description=_("下一期限"))
    def next_deadline(self, obj: Complaint) -> str:
        first = obj.next_deadline()
        if first is None:
            if obj.status == Status.MEDIATING and obj.mediation_paused_at is not None:
                return str(_("调解计时暂停中"))
            return "—"
        due = timezone.localtime(first["due_at"])
        if first["due_at"] < timezone.now():
            return format_html(
                '{} {} <strong style="color:#ba2121">{}</strong>',
                deadline_label(first["name"]),
                f"{due:%Y-%m-%d}",
                _("已超期"),
            )
        return f"{deadline_label(first['name'])} {due:%Y-%m-%d}"

    @admin.display(description=_("地区"))
    def region_display(self, obj: Complaint) -> str:
        return region_name(obj.region) or "—"

    @admin.display(description=_("期限"))
    def deadline_table(self, obj: Complaint) -> str:
        # Only binding deadlines: a paused clock or a deadline met is not listed.
        deadlines = obj.deadlines()
        if not deadlines:
            return "—"
        now = timezone.now()

        def state(d: dict) -> str:
            return str(_("已超期")) if d["due_at"] < now else str(_("进行中"))

        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    deadline_label(d["name"]),
                    f"{timezone.localtime(d['due_at']):%Y-%m-%d %H:%M}",
                    state(d),
                    d["rule"],
                    d["basis"],
                )
                for d in deadlines
            ),
        )
        return format_html(
            "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>"
            "</thead><tbody>{}</tbody></table>",
            _("期限"),
            _("届满时间"),
            _("状态"),
            _("规则"),
            _("法律依据"),
            rows,
        )

    @admin.display(description=_("原因代码"))
    def reason_display(self, obj: Complaint) -> str:
        if not obj.reason_code:
            return "—"
        for choices in (RejectReason, FailReason):
            if obj.reason_code in choices.values:
                return f"{obj.reason_code}：{choices(obj.reason_code).label}"
        return obj.reason_code

    @admin.display(description=_("符合先行赔付条件"), boolean=True)
    def compensation_eligible(self, obj: Complaint) -> bool:
        return obj.advance_compensation_eligible

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        complaint = self.get_object(request, unquote(object_id))
        if complaint is not None:
            personal_data_read(
                actor=request.user,
                subject=complaint.consumer_id,
                fields=["display_name", "description", "order_number"],
                purpose="admin_complaint_detail",
                complaint=complaint,
                request=request,
            )
            actor = Actor.of_user(request.user)
            extra_context["complaint_transitions"] = [
                {"name": name, "description": describe_transition(name)}
                for name in transitions_available(complaint, actor)
            ]
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.action(description=_("受理所选投诉"), permissions=["transition"])
    def accept(self, request: HttpRequest, queryset: QuerySet[Complaint]) -> None:
        self._apply_each(
            request,
            queryset,
            done_message=_("已受理 %(count)d 件投诉。"),
            call=lambda pk, actor: complaint_transition(
                complaint_id=pk, name="accept", actor=actor
            ),
        )

    @admin.action(description=_("不予受理所选投诉…"), permissions=["transition"])
    def reject(self, request: HttpRequest, queryset: QuerySet[Complaint]):
        return self._form_action(
            request,
            queryset,
            action="reject",
            form_class=RejectForm,
            title=_("不予受理"),
            done_message=_("已对 %(count)d 件投诉作出不予受理决定。"),
            call=lambda pk, actor, form: complaint_transition(
                complaint_id=pk, name="reject", actor=actor, params=form.params()
            ),
            notes=[
                f"{RejectReason(code).label}：{route}" for code, route in REMAINING_ROUTES.items()
            ],
        )

    @admin.action(description=_("重新指派调解员…"), permissions=["transition"])
    def reassign_mediator(self, request: HttpRequest, queryset: QuerySet[Complaint]):
        return self._form_action(
            request,
            queryset,
            action="reassign_mediator",
            form_class=ReassignForm,
            title=_("重新指派调解员"),
            done_message=_("已为 %(count)d 件投诉重新指派调解员。"),
            call=lambda pk, actor, form: mediator_reassign(
                complaint_id=pk,
                actor=actor,
                mediator=form.cleaned_data["mediator"],
                reason=form.cleaned_data["reason"],
            ),
        )

    @admin.action(description=_("暂停调解计时…"), permissions=["transition"])
    def pause_mediation(self, request: HttpRequest, queryset: QuerySet[Complaint]):
        return self._form_action(
            request,
            queryset,
            action="pause_mediation",
            form_class=PauseForm,
            title=_("暂停调解计时"),
            done_message=_("已暂停 %(count)d 件投诉的调解计时。"),
            call=lambda pk, actor, form: mediation_pause(
                complaint_id=pk, actor=actor, reason=form.cleaned_data["reason"]
            ),
        )

    @admin.action(description=_("恢复调解计时"), permissions=["transition"])
    def resume_mediation(self, request: HttpRequest, queryset: QuerySet[Complaint]) -> None:
        self._apply_each(
            request,
            queryset,
            done_message=_("已恢复 %(count)d 件投诉的调解计时。"),
            call=lambda pk, actor: mediation_resume(complaint_id=pk, actor=actor),
        )


# The access log and failed logins: read-only lists (registered there, after the above).
from complaints.security import admin as _security_admin  # noqa: E402, F401
