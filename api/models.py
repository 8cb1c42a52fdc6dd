"""Models of the api app: the API keys platforms authenticate with."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from complaints.models import Platform, User


class ApiKey(models.Model):
    """A platform's API key (接口密钥); only its SHA-256 is stored, the key is shown once.

    The full key is `wq_<prefix>_<secret>`. `prefix` is public and finds the row;
    `key_hash` is the SHA-256 hex of the whole key. A fast hash is right here, unlike
    for passwords: the secret is 256 random bits, so there is nothing to guess and a
    slow KDF (PBKDF2, Argon2) would only add tens of milliseconds to every API request.
    """

    platform = models.ForeignKey(Platform, on_delete=models.PROTECT, related_name="api_keys")
    name = models.CharField(_("名称"), max_length=100, blank=True)
    # unique=True gives the lookup index.
    prefix = models.CharField(_("前缀"), max_length=16, unique=True, editable=False)
    key_hash = models.CharField(_("密钥摘要（SHA-256）"), max_length=64, editable=False)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("接口密钥")
        verbose_name_plural = _("接口密钥")
        ordering = ["platform", "-created_at"]

    def __str__(self) -> str:
        return f"{self.platform_id} {self.prefix} {self.name}".strip()

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
