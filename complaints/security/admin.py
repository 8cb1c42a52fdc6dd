"""Read-only admin lists: the personal data access log, erasure requests, failed logins.

Imported at the end of complaints/admin.py, whose access rules (StaffRoleAccess:
role-`staff` users may view) these lists share. Nobody adds, changes or deletes
here; the access log's rows could not be changed anyway (append-only triggers).
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from complaints.admin import ReadOnlyAdmin
from complaints.models import ErasureRequest, LoginFailure, PersonalDataAccess
from complaints.security.lockout import login_unlock


@admin.register(PersonalDataAccess)
class PersonalDataAccessAdmin(ReadOnlyAdmin):
    list_display = (
        "at",
        "actor_username",
        "actor_role",
        "subject",
        "complaint",
        "fields",
        "purpose",
        "masked",
        "channel",
        "address",
    )
    list_filter = ("actor_role", "channel", "purpose", "masked")
    list_select_related = ("subject", "complaint")
    search_fields = ("actor_username", "subject__username", "complaint__reference", "request_id")
    date_hierarchy = "at"
    show_full_result_count = False
    readonly_fields = [f.name for f in PersonalDataAccess._meta.fields]

    def get_actions(self, request: HttpRequest) -> dict:
        return {}  # not even "delete selected"


@admin.register(LoginFailure)
class LoginFailureAdmin(ReadOnlyAdmin):
    list_display = ("at", "username", "address", "refused")
    list_filter = ("refused",)
    search_fields = ("username", "address")
    date_hierarchy = "at"
    show_full_result_count = False
    readonly_fields = ("at", "username", "address", "refused")
    actions = ("unlock",)

    def has_unlock_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    @admin.action(description=_("解除所选用户名的登录锁定"), permissions=["unlock"])
    def unlock(self, request: HttpRequest, queryset: QuerySet[LoginFailure]) -> None:
        names = sorted(set(queryset.values_list("username", flat=True)))
        for name in names:
            login_unlock(username=name)
        message = _("已解除 %(count)d 个用户名的锁定。") % {"count": len(names)}
        self.message_user(request, message, messages.SUCCESS)


@admin.register(ErasureRequest)
class ErasureRequestAdmin(ReadOnlyAdmin):
    """Consumers' erasure requests (POST /api/v1/me/erasure/): what went, what is kept."""

    list_display = ("requested_at", "user", "completed_at", "erased", "kept")
    list_filter = (("completed_at", admin.EmptyFieldListFilter),)
    list_select_related = ("user",)
    date_hierarchy = "requested_at"
    readonly_fields = ("requested_at", "user", "completed_at", "erased", "kept")
