"""The evidence log (数据保全): append-only records, chained per case, sequenced into one tree.

- `EvidenceRecord`: one preserved item (an event, an upload, an agreement...). Its
  `record_hash` covers every field (evidence/chain.py, docs/evidence.md) and the
  previous record of the same chain, so a record cannot be changed, removed or
  moved within its chain unnoticed.
- `EvidenceChain`: the head of each chain, locked to append one record at a time.
- `LogLeaf`: the global log, records in the order the sequencer took them in, with
  no gaps; the RFC 9162 Merkle tree of checkpoints is built over it.
- `Checkpoint`: a signed tree head (C2SP tlog-checkpoint note), optionally with an
  RFC 3161 time stamp, and the consistency proof from the previous one.

Records, leaves and checkpoints are append-only in the database itself: triggers
(migration 0002) refuse UPDATE and DELETE. Contents live apart (`EvidenceBlob` in
the database for the small JSON documents the system writes, Django storage for
uploads), so that purging after retention removes the content and keeps the hash.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from complaints.choices import Role
from complaints.models import Complaint, ComplaintEvent, User


class Kind(models.TextChoices):
    """What a record preserves. The first group is written by the system."""

    COMPLAINT_FILED = "complaint_filed", _("投诉原始记录")
    EVENT = "event", _("流程事件")
    MESSAGE = "message", _("协商消息")
    PLATFORM_RESPONSE = "platform_response", _("平台答复")
    MEDIATION_RECORD = "mediation_record", _("调解记录")
    AGREEMENT = "agreement", _("调解协议")
    PAYMENT = "payment", _("支付凭证")
    LEGAL_HOLD = "legal_hold", _("保全冻结")
    PURGE = "purge", _("到期清除")
    REPORT = "report", _("统计报告")
    # Uploaded by the parties.
    PHOTO = "photo", _("照片")
    SCREENSHOT = "screenshot", _("截图")
    RECEIPT = "receipt", _("票据发票")
    CHAT_LOG = "chat_log", _("聊天记录")
    TRANSACTION_RECORD = "transaction_record", _("交易记录")
    CONTRACT = "contract", _("合同协议")
    INSPECTION_REPORT = "inspection_report", _("检测鉴定报告")
    OTHER = "other", _("其他")


UPLOAD_KINDS = (
    Kind.PHOTO,
    Kind.SCREENSHOT,
    Kind.RECEIPT,
    Kind.CHAT_LOG,
    Kind.TRANSACTION_RECORD,
    Kind.CONTRACT,
    Kind.INSPECTION_REPORT,
    Kind.OTHER,
)


class Store(models.TextChoices):
    """Where a record's content lives."""

    BLOB = "blob", _("数据库")
    FILE = "file", _("文件存储")


class EvidenceRecord(models.Model):
    """One preserved item; never updated or deleted (the database refuses both)."""

    chain = models.CharField(_("证据链"), max_length=80)
    seq = models.PositiveIntegerField(_("链内序号"))
    complaint = models.ForeignKey(
        Complaint, on_delete=models.PROTECT, null=True, blank=True, related_name="evidence"
    )
    event = models.OneToOneField(
        ComplaintEvent, on_delete=models.PROTECT, null=True, blank=True, related_name="evidence"
    )
    kind = models.CharField(_("类型"), max_length=24, choices=Kind.choices)
    description = models.TextField(_("说明"), blank=True)
    file_name = models.CharField(_("文件名"), max_length=255, blank=True)
    sha256 = models.CharField(_("内容摘要（SHA-256）"), max_length=64)
    size = models.BigIntegerField(_("大小（字节）"))
    media_type = models.CharField(_("媒体类型"), max_length=100)
    store = models.CharField(max_length=8, choices=Store.choices)
    submitted_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    submitter_role = models.CharField(_("提交方"), max_length=16, choices=Role.choices)
    submitter_label = models.CharField(_("提交人"), max_length=150)
    created_at = models.DateTimeField(_("保全时间"), default=timezone.now)
    prev_hash = models.CharField(max_length=64)
    record_hash = models.CharField(max_length=64, unique=True)

    class Meta:
        verbose_name = _("证据记录")
        verbose_name_plural = _("证据记录")
        ordering = ["id"]
        constraints = [
            # Two appends racing for the same place in a chain: one fails.
            models.UniqueConstraint(fields=["chain", "seq"], name="evidence_chain_seq_unique"),
            models.CheckConstraint(condition=models.Q(seq__gte=1), name="evidence_seq_from_one"),
            models.CheckConstraint(condition=models.Q(size__gte=0), name="evidence_size_positive"),
        ]
        indexes = [models.Index(fields=["complaint", "seq"], name="evidence_complaint_seq")]

    def __str__(self) -> str:
        return f"{self.chain}#{self.seq} {self.kind}"


class EvidenceChain(models.Model):
    """The head of one chain: appends lock this row, so a chain never forks."""

    key = models.CharField(max_length=80, primary_key=True)
    length = models.PositiveIntegerField(default=0)
    head_hash = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("证据链")
        verbose_name_plural = _("证据链")

    def __str__(self) -> str:
        return f"{self.key} ({self.length})"


class EvidenceBlob(models.Model):
    """Content of the documents the system preserves itself (JSON), by SHA-256.

    Not append-only: purging after retention deletes the blob and the record keeps
    its hash (a tombstone).
    """

    sha256 = models.CharField(max_length=64, primary_key=True)
    data = models.BinaryField()

    class Meta:
        verbose_name = _("证据内容")
        verbose_name_plural = _("证据内容")

    def __str__(self) -> str:
        return self.sha256


class LogLeaf(models.Model):
    """A record's place in the global log: dense indexes from 0, in sequencing order."""

    leaf_index = models.BigIntegerField(primary_key=True)
    record = models.OneToOneField(EvidenceRecord, on_delete=models.PROTECT, related_name="leaf")
    record_hash = models.CharField(max_length=64)
    sequenced_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("日志叶子")
        verbose_name_plural = _("日志叶子")
        ordering = ["leaf_index"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(leaf_index__gte=0), name="log_leaf_index_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.leaf_index} {self.record_hash[:12]}"


class Checkpoint(models.Model):
    """A signed tree head over the first `tree_size` leaves of the log."""

    tree_size = models.BigIntegerField(_("树大小"))
    root_hash = models.CharField(_("根哈希"), max_length=64)
    created_at = models.DateTimeField(_("签发时间"), default=timezone.now)
    note = models.TextField(_("签名检查点"))
    previous = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="next"
    )
    consistency_proof = models.JSONField(_("一致性证明"), default=list, blank=True)

    class Meta:
        verbose_name = _("检查点")
        verbose_name_plural = _("检查点")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(tree_size__gte=0), name="checkpoint_size_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tree_size} {self.root_hash[:12]}"


class CheckpointTimestamp(models.Model):
    """An RFC 3161 time stamp over a checkpoint's signed note (its UTF-8 bytes' SHA-256).

    A row of its own because checkpoints are append-only and the authority answers
    after the checkpoint is signed (or, when it is down, not at all).
    """

    checkpoint = models.OneToOneField(
        Checkpoint, on_delete=models.PROTECT, related_name="timestamp"
    )
    token = models.BinaryField(_("时间戳令牌（DER）"))
    gen_time = models.DateTimeField(_("时间戳时间"))
    authority = models.CharField(_("时间戳服务"), max_length=500)

    class Meta:
        verbose_name = _("可信时间戳")
        verbose_name_plural = _("可信时间戳")

    def __str__(self) -> str:
        return f"{self.checkpoint_id} {self.gen_time:%Y-%m-%d %H:%M:%S}"


class TreeNode(models.Model):
    """A cached hash of a perfect, aligned subtree of the log (2**level leaves at index).

    Leaves never change, so neither do these; they make roots and proofs cost
    O(log n) reads instead of reading every leaf.
    """

    level = models.PositiveSmallIntegerField()
    index = models.BigIntegerField()
    hash = models.BinaryField(max_length=32)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["level", "index"], name="tree_node_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.level}/{self.index}"


class GuardOverride(models.Model):
    """While a row exists here, the append-only triggers let rows be deleted.

    Only for wiping a test or development database: the override is inserted and
    removed inside the wiping transaction. Production never writes here; anyone
    who can is also able to drop the triggers, which is why the chain and signed
    checkpoints, not the triggers, are what proves integrity.
    """

    reason = models.CharField(max_length=200)

    def __str__(self) -> str:
        return self.reason


class EvidenceRetention(models.Model):
    """How long a complaint's evidence is kept: legal hold and purge state (保存期限).

    One row per complaint, created the first time a hold is set or the case is
    purged. Unlike the log this row is mutable state; every change of it is also
    appended to the complaint's chain (a `legal_hold` or `purge` record), which is
    what proves the history. `retain_until` is not stored: it follows from the
    complaint's `closed_at` and the configured number of years
    (evidence.retention.retain_until), so raising the setting applies at once.
    """

    complaint = models.OneToOneField(
        Complaint, on_delete=models.PROTECT, primary_key=True, related_name="retention"
    )
    legal_hold = models.BooleanField(_("保全冻结中"), default=False)
    hold_reason = models.TextField(_("冻结理由"), blank=True)
    hold_set_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    hold_set_at = models.DateTimeField(_("冻结时间"), null=True, blank=True)
    purged_at = models.DateTimeField(_("清除时间"), null=True, blank=True)
    # The tombstone list: the `purge` record naming every content removed.
    purge_record = models.OneToOneField(
        EvidenceRecord, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("证据保存期限")
        verbose_name_plural = _("证据保存期限")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(legal_hold=False)
                | (models.Q(hold_set_at__isnull=False) & ~models.Q(hold_reason="")),
                name="evidence_retention_hold_has_reason",
            ),
            # A purge never runs under a hold, and a purged case has nothing left to hold.
            models.CheckConstraint(
                condition=models.Q(legal_hold=False) | models.Q(purged_at__isnull=True),
                name="evidence_retention_not_held_and_purged",
            ),
            models.CheckConstraint(
                condition=models.Q(purged_at__isnull=True) | models.Q(purge_record__isnull=False),
                name="evidence_retention_purge_has_record",
            ),
        ]

    def __str__(self) -> str:
        return str(self.complaint)


class RetentionCase(Complaint):
    """Complaints as the retention admin lists them (a proxy: no table of its own).

    A proxy because holds must be settable on any complaint, including those that
    have no `EvidenceRetention` row yet.
    """

    class Meta:
        proxy = True
        verbose_name = _("案件证据保存")
        verbose_name_plural = _("案件证据保存")
