"""The admin of the API side: platform keys (issue, revoke) and webhook deliveries (re-deliver).

Keys are issued and revoked through `api.keys`, and webhook messages re-delivered
through `api.webhooks.services`, so the admin follows the same rules as the
commands: a new key is shown once, in the confirmation message, and never again;
nothing here is deleted, because keys and deliveries are part of the audit trail.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from api.keys import api_key_create, api_key_revoke
from api.models import ApiKey, WebhookAttempt, WebhookEndpoint, WebhookMessage
from api.webhooks.services import webhook_redeliver
from complaints.admin import AdminActionsMixin, ReadOnlyAdmin, StaffRoleAccess


@admin.register(ApiKey)
class ApiKeyAdmin(AdminActionsMixin, StaffRoleAccess, admin.ModelAdmin):
    staff_role_can = frozenset({"view", "add", "change"})
    list_display = ["prefix", "platform", "name", "created_at", "last_used_at", "is_active"]
    list_filter = ["platform", ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["prefix", "name", "platform__code", "platform__name"]
    actions = ["revoke"]

    def get_fields(self, request: HttpRequest, obj=None) -> list[str]:
        if obj is None:
            return ["platform", "name"]
        return [
            "platform",
            "name",
            "prefix",
            "created_at",
            "created_by",
            "last_used_at",
            "revoked_at",
        ]

    def get_readonly_fields(self, request: HttpRequest, obj=None) -> list[str]:
        if obj is None:
            return []
        # Only the label can be edited; revoking is the action, so it is recorded once.
        return ["platform", "prefix", "created_at", "created_by", "last_used_at", "revoked_at"]

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(description=_("有效"), boolean=True)
    def is_active(self, obj: ApiKey) -> bool:
        return obj.is_active

    def save_model(self, request: HttpRequest, obj: ApiKey, form, change: bool) -> None:
        if change:
            obj.save(update_fields=["name"])
            return
        key, raw = api_key_create(platform=obj.platform, name=obj.name, created_by=request.user)
        for field in ApiKey._meta.concrete_fields:
            setattr(obj, field.attname, getattr(key, field.attname))
        self.message_user(
            request,
            _("新密钥（只显示这一次，请立即复制交给平台）：%(key)s") % {"key": raw},
            messages.WARNING,
        )

    @admin.action(description=_("吊销所选密钥"), permissions=["change"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        self._apply_each(
            request,
            queryset,
            call=lambda pk, actor: api_key_revoke(key_id=pk),
            done_message=_("已吊销 %(count)d 个密钥；使用它们的请求从现在起返回 401。"),
        )


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ReadOnlyAdmin):
    list_display = ["platform", "url", "events", "is_active", "created_at", "disabled_at"]
    list_filter = ["platform", "is_active"]
    search_fields = ["url", "platform__code"]
    exclude = ["secret"]


class WebhookAttemptInline(StaffRoleAccess, admin.TabularInline):
    model = WebhookAttempt
    fields = ["attempted_at", "status_code", "latency_ms", "response_excerpt", "error"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class DeliveryStateFilter(admin.SimpleListFilter):
    title = _("投递状态")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("pending", _("待投递")), ("delivered", _("已送达")), ("failed", _("已放弃"))]

    def queryset(self, request, queryset):
        if self.value() == "pending":
            return queryset.filter(delivered_at__isnull=True, failed_at__isnull=True)
        if self.value() == "delivered":
            return queryset.filter(delivered_at__isnull=False)
        if self.value() == "failed":
            return queryset.filter(failed_at__isnull=False)
        return None


@admin.register(WebhookMessage)
class WebhookMessageAdmin(AdminActionsMixin, ReadOnlyAdmin):
    list_display = [
        "msg_id",
        "event_type",
        "endpoint",
        "created_at",
        "attempts",
        "last_status",
        "delivered_at",
        "failed_at",
    ]
    list_filter = [DeliveryStateFilter, "event_type", "endpoint__platform"]
    search_fields = ["msg_id", "endpoint__url"]
    list_select_related = ["endpoint"]
    inlines = [WebhookAttemptInline]
    actions = ["redeliver"]

    def has_redeliver_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    @admin.action(description=_("重新投递所选消息"), permissions=["redeliver"])
    def redeliver(self, request: HttpRequest, queryset: QuerySet[WebhookMessage]) -> None:
        # The service decides who may (complaint-centre staff); others get its refusal.
        self._apply_each(
            request,
            queryset,
            call=lambda pk, actor: webhook_redeliver(message_id=pk, actor=actor),
            done_message=_("已安排重新投递 %(count)d 条消息。"),
        )
