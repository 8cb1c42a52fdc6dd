"""Failed logins: what the lock-out counts (complaints/security/lockout.py)."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class LoginFailure(models.Model):
    """One failed or refused password login, whatever the page (admin, web)."""

    username = models.CharField(_("用户名"), max_length=150, db_index=True)
    address = models.GenericIPAddressField(_("来源地址"), null=True, blank=True)
    at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)
    # True: refused because the user name or address was locked; the password was not
    # checked, and the attempt does not count towards (or extend) the lock.
    refused = models.BooleanField(_("锁定期间被拒"), default=False)

    class Meta:
        verbose_name = _("登录失败")
        verbose_name_plural = _("登录失败")
        ordering = ["-at"]
        indexes = [models.Index(fields=["address", "at"], name="loginfailure_address_at")]

    def __str__(self) -> str:
        return f"{self.username} {self.address or '-'} {self.at:%Y-%m-%d %H:%M}"
