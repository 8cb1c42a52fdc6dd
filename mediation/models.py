"""Guarantee deposits (保证金): an append-only ledger per platform; the balance is its sum."""

from decimal import Decimal

from django.db import models
from django.db.models import F, Q, Sum
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


class Recusal(models.Model):
    """A mediator stepped aside from a case for a conflict of interest (回避)."""

    complaint = models.ForeignKey(Complaint, on_delete=models.PROTECT, related_name="recusals")
    mediator = models.ForeignKey(User, on_delete=models.PROTECT, related_name="recusals")
    reason = models.CharField(_("回避理由"), max_length=500)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("调解员回避")
        verbose_name_plural = _("调解员回避")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["complaint", "mediator"], name="recusal_once_per_mediator"
            )
        ]

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.mediator_id}"


class CaseNote(models.Model):
    """A mediator's working note on a case: private to mediators and staff, never edited."""

    complaint = models.ForeignKey(Complaint, on_delete=models.PROTECT, related_name="case_notes")
    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("内容"))
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("调解笔记")
        verbose_name_plural = _("调解笔记")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["complaint", "created_at"], name="note_complaint_time")]

    def __str__(self) -> str:
        return f"{self.complaint_id} note {self.pk}"


class SessionChannel(models.TextChoices):
    ONLINE = "online", _("线上")
    PHONE = "phone", _("电话")
    VIDEO = "video", _("视频")
    ON_SITE = "on_site", _("现场")


class ProposalReply(models.TextChoices):
    ACCEPTED = "accepted", _("同意")
    DECLINED = "declined", _("不同意")


class MediationSession(models.Model):
    """A mediation session (调解会议): when, how, who took part and what was said."""

    Channel = SessionChannel

    class State(models.TextChoices):
        SCHEDULED = "scheduled", _("已安排")
        HELD = "held", _("已举行")
        CANCELLED = "cancelled", _("已取消")

    complaint = models.ForeignKey(Complaint, on_delete=models.PROTECT, related_name="sessions")
    scheduled_at = models.DateTimeField(_("时间"))
    channel = models.CharField(_("方式"), max_length=8, choices=Channel.choices)
    location = models.CharField(_("地点或链接"), max_length=300, blank=True)
    participants = models.JSONField(_("参加人"), default=list, blank=True)
    state = models.CharField(
        _("状态"), max_length=10, choices=State.choices, default=State.SCHEDULED
    )
    minutes = models.TextField(_("调解笔录"), blank=True)
    held_at = models.DateTimeField(_("举行时间"), null=True, blank=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("调解会议")
        verbose_name_plural = _("调解会议")
        ordering = ["scheduled_at", "id"]
        indexes = [
            models.Index(fields=["complaint", "scheduled_at"], name="session_complaint_time")
        ]

    def __str__(self) -> str:
        return f"{self.complaint_id} session {self.pk}"


class MediationProposal(models.Model):
    """A mediator's proposed settlement (调解方案), with each party's reply."""

    Reply = ProposalReply

    complaint = models.ForeignKey(
        Complaint, on_delete=models.PROTECT, related_name="mediation_proposals"
    )
    terms = models.TextField(_("方案内容"))
    amount = models.DecimalField(_("金额（元）"), max_digits=12, decimal_places=2)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    consumer_reply = models.CharField(max_length=8, choices=Reply.choices, blank=True)
    consumer_comment = models.CharField(max_length=1000, blank=True)
    consumer_replied_at = models.DateTimeField(null=True, blank=True)
    platform_reply = models.CharField(max_length=8, choices=Reply.choices, blank=True)
    platform_comment = models.CharField(max_length=1000, blank=True)
    platform_replied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("调解方案")
        verbose_name_plural = _("调解方案")
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="proposal_amount_not_negative")
        ]

    def __str__(self) -> str:
        return f"{self.complaint_id} proposal {self.pk}"


class Agreement(models.Model):
    """The mediation agreement (调解协议书) of a case: a draft the parties confirm, then issued.

    Editing a draft raises `version`; a confirmation counts only for the version it
    confirmed. Once issued it is never changed: the signed PDF is an evidence record.
    """

    class State(models.TextChoices):
        DRAFT = "draft", _("草拟")
        ISSUED = "issued", _("已出具")

    complaint = models.OneToOneField(Complaint, on_delete=models.PROTECT, related_name="agreement")
    number = models.CharField(_("协议编号"), max_length=32, unique=True)
    state = models.CharField(_("状态"), max_length=8, choices=State.choices, default=State.DRAFT)
    version = models.PositiveIntegerField(default=1)
    facts = models.TextField(_("争议事实"))
    terms = models.TextField(_("协议条款"))
    amount = models.DecimalField(_("金额（元）"), max_digits=12, decimal_places=2)
    fulfilment_days = models.PositiveSmallIntegerField(_("履行期限（日）"), default=7)
    drafted_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(default=timezone.now)
    issued_at = models.DateTimeField(_("出具时间"), null=True, blank=True)
    # The signed PDF, preserved as evidence once rendered (after the issuing commit).
    pdf_record = models.ForeignKey(
        "evidence.EvidenceRecord", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("调解协议书")
        verbose_name_plural = _("调解协议书")
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gte=0), name="agreement_amount_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(state="draft") | Q(issued_at__isnull=False),
                name="agreement_issued_has_time",
            ),
        ]

    def __str__(self) -> str:
        return self.number


class AgreementConfirmation(models.Model):
    """One party's confirmation of one version of the agreement: when, from where."""

    class Party(models.TextChoices):
        CONSUMER = "consumer", _("消费者")
        PLATFORM = "platform", _("平台经营者")

    class Method(models.TextChoices):
        ONLINE = "online", _("在线确认")
        SESSION = "session", _("调解会议中确认（调解员记录）")

    agreement = models.ForeignKey(Agreement, on_delete=models.PROTECT, related_name="confirmations")
    version = models.PositiveIntegerField()
    party = models.CharField(max_length=8, choices=Party.choices)
    method = models.CharField(max_length=8, choices=Method.choices, default=Method.ONLINE)
    confirmed_by = models.CharField(max_length=150)
    user = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("协议确认")
        verbose_name_plural = _("协议确认")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["agreement", "version", "party"], name="confirmation_once_per_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.agreement_id} v{self.version} {self.party}"


class EndNotice(models.Model):
    """The notice to both parties that mediation ended without agreement or was referred
    (终止调解告知书, Order 121 art. 23): a signed PDF preserved as evidence."""

    complaint = models.OneToOneField(Complaint, on_delete=models.PROTECT, related_name="end_notice")
    number = models.CharField(_("告知书编号"), max_length=32, unique=True)
    record = models.ForeignKey(
        "evidence.EvidenceRecord", on_delete=models.PROTECT, related_name="+"
    )
    issued_at = models.DateTimeField()

    class Meta:
        verbose_name = _("调解终止告知书")
        verbose_name_plural = _("调解终止告知书")

    def __str__(self) -> str:
        return self.number


class AdvanceCompensation(models.Model):
    """Advance compensation (先行赔付) approved on a case, and why it is not paid yet.

    `blocked_reason` is set while a cap bites (the commitment cap or the deposit
    balance) and cleared once a top-up or a higher cap makes the payout possible.
    """

    class Basis(models.TextChoices):
        COMMITMENT = "commitment", _("平台先行赔付承诺")
        UNIDENTIFIED_MERCHANT = (
            "unidentified_merchant",
            _("平台不能提供经营者真实信息（消法第44条）"),
        )

    class Block(models.TextChoices):
        COMMITMENT_CAP = "commitment_cap", _("超出平台承诺的每件赔付上限")
        DEPOSIT_BALANCE = "deposit_balance", _("保证金余额不足")

    complaint = models.OneToOneField(
        Complaint, on_delete=models.PROTECT, related_name="advance_compensation"
    )
    platform = models.ForeignKey(Platform, on_delete=models.PROTECT, related_name="+")
    basis = models.CharField(_("依据"), max_length=24, choices=Basis.choices)
    amount = models.DecimalField(_("核定金额（元）"), max_digits=12, decimal_places=2)
    approved_by = models.CharField(max_length=150)
    approved_at = models.DateTimeField()
    blocked_reason = models.CharField(
        _("暂缓原因"), max_length=16, choices=Block.choices, blank=True
    )
    blocked_detail = models.CharField(max_length=300, blank=True)
    blocked_at = models.DateTimeField(null=True, blank=True)
    payout = models.OneToOneField(
        GuaranteeDepositEntry, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("先行赔付")
        verbose_name_plural = _("先行赔付")
        indexes = [
            models.Index(fields=["platform", "blocked_reason"], name="compensation_blocked"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="compensation_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.amount}"


class Recovery(models.Model):
    """Recovery (追偿) from the merchant of what the platform paid in advance."""

    class State(models.TextChoices):
        PENDING = "pending", _("追偿中")
        RECOVERED = "recovered", _("已追回")
        WRITTEN_OFF = "written_off", _("已核销")

    complaint = models.OneToOneField(Complaint, on_delete=models.PROTECT, related_name="recovery")
    platform = models.ForeignKey(Platform, on_delete=models.PROTECT, related_name="recoveries")
    merchant_name = models.CharField(_("被追偿商家"), max_length=200)
    amount = models.DecimalField(_("应追偿金额（元）"), max_digits=12, decimal_places=2)
    state = models.CharField(_("状态"), max_length=12, choices=State.choices, default=State.PENDING)
    recovered_amount = models.DecimalField(
        _("追回金额（元）"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    credit = models.OneToOneField(
        GuaranteeDepositEntry, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reason = models.CharField(_("说明"), max_length=500, blank=True)
    opened_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.CharField(max_length=150, blank=True)

    class Meta:
        verbose_name = _("追偿")
        verbose_name_plural = _("追偿")
        ordering = ["-opened_at", "-id"]
        indexes = [models.Index(fields=["platform", "state"], name="recovery_platform_state")]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="recovery_amount_positive"),
            models.CheckConstraint(
                condition=(Q(state="pending") & Q(closed_at__isnull=True))
                | (
                    Q(state="recovered")
                    & Q(recovered_amount__gt=0)
                    & Q(recovered_amount__lte=F("amount"))
                    & Q(closed_at__isnull=False)
                )
                | (Q(state="written_off") & ~Q(reason="") & Q(closed_at__isnull=False)),
                name="recovery_state_consistent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.complaint.reference} {self.merchant_name} {self.amount}"
