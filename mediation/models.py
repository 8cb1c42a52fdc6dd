"""Guarantee deposits (保证金): an append-only ledger per platform; the balance is its sum."""

from decimal import Decimal

from django.db import models
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from complaints.models import Complaint, Platform, User


class GuaranteeDepositEntry(models.Model):
    """One movement of a platform's guarantee deposit; never updated, corrected by a new entry."""

    class Kind(models.TextChoices):
        DEPOSIT = "deposit", _("缴存")
        PAYOUT = "payout", _("先行赔付支出")
        RECOVERY = "recovery", _("追偿回存")
        ADJUSTMENT = "adjustment", _("调整")

    platform = models.ForeignKey(Platform, on_delete=models.PROTECT, related_name="deposit_entries")
    kind = models.CharField(_("类型"), max_length=12, choices=Kind.choices)
    # Signed yuan to the fen: deposits and recoveries positive, payouts negative.
    amount = models.DecimalField(_("金额（元）"), max_digits=14, decimal_places=2)
    complaint = models.ForeignKey(
        Complaint, on_delete=models.PROTECT, null=True, blank=True, related_name="deposit_entries"
    )
    reference = models.CharField(_("凭证号"), max_length=64, blank=True)
    reason = models.CharField(_("说明"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("保证金流水")
        verbose_name_plural = _("保证金流水")
        ordering = ["platform", "created_at", "id"]
        indexes = [models.Index(fields=["platform", "created_at"], name="deposit_platform_time")]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind__in=["deposit", "recovery"]) & Q(amount__gt=0))
                | (Q(kind="payout") & Q(amount__lt=0))
                | (Q(kind="adjustment") & ~Q(amount=0) & ~Q(reason="")),
                name="deposit_entry_sign_matches_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.platform_id} {self.kind} {self.amount}"


def deposit_balance(platform: Platform) -> Decimal:
    """The balance is the sum of the entries, never a stored total."""
    total = GuaranteeDepositEntry.objects.filter(platform=platform).aggregate(s=Sum("amount"))["s"]
    return (total or Decimal("0")).quantize(Decimal("0.01"))
