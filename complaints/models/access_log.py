"""Who read which consumer's personal data, when and why (PIPL art. 51, 54): append-only.

Rows are written by `complaints.access_log.personal_data_read` and never changed:
`save()` refuses an update and `delete()` refuses, and the database refuses
UPDATE and DELETE itself (triggers, migration 0011), so a bulk `.update()` or
raw SQL cannot rewrite the record either.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from complaints.choices import Role

from .complaint import Complaint
from .parties import User


class AppendOnlyError(Exception):
    """An append-only row was to be changed or deleted."""


class PersonalDataAccess(models.Model):
    """One read of a consumer's personal data by staff, a mediator or a regulator."""

    at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)
    # The reader; the user name and role as they were then (a later change of either
    # must not rewrite who read).
    actor = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="personal_data_reads", verbose_name=_("读取人")
    )
    actor_username = models.CharField(_("读取人用户名"), max_length=150)
    actor_role = models.CharField(_("读取人角色"), max_length=16, choices=Role.choices)
    # Whose data was read.
    subject = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        related_name="personal_data_accesses",
        verbose_name=_("个人信息主体"),
    )
    complaint = models.ForeignKey(
        Complaint,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="personal_data_accesses",
        verbose_name=_("投诉"),
    )
    fields = models.JSONField(_("读取的字段"), default=list)
    purpose = models.CharField(_("目的"), max_length=100)
    # Shown masked (regulators): the read is logged all the same.
    masked = models.BooleanField(_("已脱敏"), default=False)
    channel = models.CharField(_("渠道"), max_length=16, blank=True)  # api, admin, web
    path = models.CharField(_("请求路径"), max_length=300, blank=True)
    address = models.GenericIPAddressField(_("来源地址"), null=True, blank=True)
    request_id = models.CharField(_("请求编号"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("个人信息访问记录")
        verbose_name_plural = _("个人信息访问记录")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["subject", "at"], name="pdaccess_subject_at"),
            models.Index(fields=["actor", "at"], name="pdaccess_actor_at"),
        ]

    def __str__(self) -> str:
        return f"{self.actor_username} → {self.subject_id} {self.purpose}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None and not self._state.adding:
            raise AppendOnlyError("The personal data access log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("The personal data access log is append-only.")
