"""A consumer's request to erase their data (PIPL art. 47), and what was kept and why."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .parties import User


class ErasureRequest(models.Model):
    """One erasure request: done at once as far as retention allows, finished later.

    What retention requires (the identity recorded for cases still kept) stays until
    the last of those cases is purged; the daily job (api.tasks.complete_erasures)
    then erases it and sets `completed_at`.
    """

    user = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="erasure_requests", verbose_name=_("用户")
    )
    requested_at = models.DateTimeField(_("申请时间"), default=timezone.now)
    completed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    erased = models.JSONField(_("已删除"), default=list, blank=True)
    kept = models.JSONField(_("保留及理由"), default=list, blank=True)

    class Meta:
        verbose_name = _("个人信息删除申请")
        verbose_name_plural = _("个人信息删除申请")
        ordering = ["-requested_at"]
        indexes = [
            models.Index(
                fields=["requested_at"],
                condition=models.Q(completed_at__isnull=True),
                name="erasure_pending",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.requested_at:%Y-%m-%d}"
