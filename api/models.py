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


class IdempotencyRecord(models.Model):
    """The first answer to a POST with an `Idempotency-Key`, replayed for 24 hours.

    `scope` is the caller (a platform key's platform or a user), so two callers'
    keys never collide. While the first request runs the row is `in_progress`
    and holds no answer; a duplicate arriving then gets 409.
    """

    scope = models.CharField(max_length=64)
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=500)
    request_hash = models.CharField(max_length=64)
    in_progress = models.BooleanField(default=True)
    status_code = models.PositiveSmallIntegerField(null=True)
    response_body = models.BinaryField(null=True)
    content_type = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("幂等记录")
        verbose_name_plural = _("幂等记录")
        constraints = [
            models.UniqueConstraint(fields=["scope", "key"], name="idempotency_unique_key"),
        ]

    def __str__(self) -> str:
        return f"{self.scope} {self.key}"


class WebhookEndpoint(models.Model):
    """A URL a platform receives webhooks at (Standard Webhooks); `events` empty means all.

    The secret is stored as it is: it is a shared HMAC key we must sign with, so a
    hash of it would be useless. It is shown to the platform once, at creation.
    """

    platform = models.ForeignKey(
        Platform, on_delete=models.PROTECT, related_name="webhook_endpoints"
    )
    url = models.URLField(_("地址"), max_length=500)
    events = models.JSONField(_("订阅事件"), default=list, blank=True)
    secret = models.CharField(_("签名密钥"), max_length=100, editable=False)
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, editable=False)
    disabled_at = models.DateTimeField(_("停用时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("回调地址")
        verbose_name_plural = _("回调地址")
        ordering = ["platform", "-created_at"]

    def __str__(self) -> str:
        return f"{self.platform_id} {self.url}"

    def wants(self, event_type: str) -> bool:
        return not self.events or event_type in self.events


class WebhookMessage(models.Model):
    """One event for one endpoint (the outbox row), written in the transition's transaction."""

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.PROTECT, related_name="messages")
    event_type = models.CharField(_("事件类型"), max_length=64)
    msg_id = models.CharField(_("消息编号"), max_length=40, unique=True, editable=False)
    payload = models.JSONField(_("内容"))
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, editable=False)
    next_attempt_at = models.DateTimeField(_("下次投递"), default=timezone.now, db_index=True)
    attempts = models.PositiveIntegerField(_("尝试次数"), default=0)
    delivered_at = models.DateTimeField(_("送达时间"), null=True, blank=True)
    failed_at = models.DateTimeField(_("放弃时间"), null=True, blank=True)
    last_status = models.PositiveSmallIntegerField(_("最近状态码"), null=True, blank=True)

    class Meta:
        verbose_name = _("回调消息")
        verbose_name_plural = _("回调消息")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.msg_id} {self.event_type}"


class WebhookAttempt(models.Model):
    """One try at delivering a message: what the receiver answered, or why nothing came back."""

    message = models.ForeignKey(
        WebhookMessage, on_delete=models.CASCADE, related_name="delivery_attempts"
    )
    attempted_at = models.DateTimeField(_("尝试时间"), default=timezone.now)
    status_code = models.PositiveSmallIntegerField(_("状态码"), null=True, blank=True)
    latency_ms = models.PositiveIntegerField(_("耗时（毫秒）"), default=0)
    response_excerpt = models.TextField(_("响应摘录"), blank=True)
    error = models.TextField(_("错误"), blank=True)

    class Meta:
        verbose_name = _("投递记录")
        verbose_name_plural = _("投递记录")
        ordering = ["attempted_at", "id"]

    def __str__(self) -> str:
        return f"{self.message_id} {self.status_code or self.error[:40]}"
