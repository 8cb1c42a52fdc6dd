"""The parties: one user model with a role, platforms and their merchants."""

from decimal import Decimal

from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from complaints.choices import Category, Role
from complaints.encryption import phone_lookup_hash
from complaints.fields import EncryptedTextField
from complaints.validators import validate_credit_code, validate_region_code, validate_region_prefix


class Platform(models.Model):
    """An e-commerce platform operator (平台经营者) that answers complaints against it."""

    code = models.SlugField(_("代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=200)
    response_days = models.PositiveSmallIntegerField(
        _("答复期限（工作日）"),
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(30)],
    )
    advance_compensation_committed = models.BooleanField(_("已承诺先行赔付"), default=False)
    advance_compensation_cap = models.DecimalField(
        _("每件先行赔付上限（元）"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    notice_email = models.EmailField(_("通知邮箱"), blank=True)
    notice_phone = models.CharField(_("通知电话"), max_length=32, blank=True)
    domicile_region = models.CharField(
        _("住所地区代码"), max_length=6, blank=True, validators=[validate_region_code]
    )
    is_active = models.BooleanField(_("有效"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("平台")
        verbose_name_plural = _("平台")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(response_days__gte=1) & Q(response_days__lte=30),
                name="platform_response_days_range",
            ),
            models.CheckConstraint(
                condition=Q(advance_compensation_cap__isnull=True)
                | Q(advance_compensation_cap__gte=Decimal("0")),
                name="platform_cap_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class Merchant(models.Model):
    """A merchant (平台内经营者) selling on a platform; its identity may be unknown."""

    platform = models.ForeignKey(Platform, on_delete=models.PROTECT, related_name="merchants")
    name = models.CharField(_("名称"), max_length=200)
    credit_code = models.CharField(
        _("统一社会信用代码"), max_length=18, blank=True, validators=[validate_credit_code]
    )
    address = models.CharField(_("地址"), max_length=300, blank=True)
    contact = models.CharField(_("联系方式"), max_length=100, blank=True)
    region = models.CharField(
        _("地区代码"), max_length=6, blank=True, validators=[validate_region_code]
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("商家")
        verbose_name_plural = _("商家")
        ordering = ["platform", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "credit_code"],
                condition=~Q(credit_code=""),
                name="merchant_unique_credit_code_per_platform",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_identified(self) -> bool:
        """Real name, address and contact known (Consumer Rights Protection Law art. 44)."""
        return bool(self.name.strip() and self.address.strip() and self.contact.strip())


class UserManager(DjangoUserManager):
    def with_phone(self, phone: str) -> models.QuerySet:
        """Users whose phone number is `phone`, however it is written (+86, spaces)."""
        digest = phone_lookup_hash(phone)
        return self.filter(phone_hash=digest) if digest else self.none()


class User(AbstractUser):
    """Every person who logs in; what they may do follows from `role`."""

    role = models.CharField(
        _("角色"),
        max_length=16,
        choices=[c for c in Role.choices if c[0] != Role.SYSTEM],
        default=Role.CONSUMER,
        db_index=True,
    )
    display_name = models.CharField(_("姓名"), max_length=100, blank=True)
    # Personal data, encrypted at rest (complaints/encryption.py); `phone_hash` finds
    # a user by phone (`User.objects.with_phone`), kept in step by save().
    phone = EncryptedTextField(_("手机号"), max_length=32, blank=True, context="user.phone")
    phone_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    id_number = EncryptedTextField(
        _("证件号码"), max_length=32, blank=True, context="user.id_number"
    )
    address = EncryptedTextField(_("联系地址"), max_length=300, blank=True, context="user.address")
    # Platform staff using the web console act for this platform.
    platform = models.ForeignKey(
        Platform, on_delete=models.PROTECT, null=True, blank=True, related_name="staff_users"
    )
    # Regulators see complaints whose region code starts with this prefix.
    region_prefix = models.CharField(
        _("辖区代码前缀"), max_length=6, blank=True, validators=[validate_region_prefix]
    )
    # Mediators: the categories they handle; empty means every category.
    mediator_categories = models.JSONField(_("调解品类"), default=list, blank=True)

    objects = UserManager()

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        constraints = [
            models.CheckConstraint(
                condition=~Q(role=Role.REGULATOR) | ~Q(region_prefix=""),
                name="user_regulator_has_region",
            ),
            models.CheckConstraint(
                condition=~Q(role=Role.PLATFORM) | Q(platform__isnull=False),
                name="user_platform_staff_has_platform",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name or self.username

    def save(self, *args, **kwargs) -> None:
        self.phone_hash = phone_lookup_hash(self.phone)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "phone" in update_fields:
            kwargs["update_fields"] = {*update_fields, "phone_hash"}
        super().save(*args, **kwargs)

    def handles_category(self, category: str) -> bool:
        return not self.mediator_categories or category in self.mediator_categories

    def clean(self) -> None:
        super().clean()
        unknown = set(self.mediator_categories or []) - set(Category.values)
        if unknown:
            from django.core.exceptions import ValidationError

            raise ValidationError({"mediator_categories": f"Unknown categories: {sorted(unknown)}"})
