"""Statistics kept up to date with every complaint event, ratings, reports and warnings.

`StatCounter` is the summary table the statistics endpoints read (never the complaints
table): one row per cell, incremented in the transaction of each complaint event by
`reporting.receivers.count_event`, and rebuilt from scratch by `rebuild_statistics`.
"""

from __future__ import annotations

from datetime import date

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from complaints.models import Complaint, Platform, User

# The columns that name one cell of each statistics table: their unique key, and the
# key of reporting.counters' upserts and snapshots.
COUNTER_KEY = (
    "grain", "day", "region", "platform", "category", "issue_type", "merchant", "metric",
    "bucket",
)  # fmt: skip
ROLLUP_KEY = (
    "dimension", "region", "platform_id", "category", "month", "value", "metric", "bucket",
)  # fmt: skip


class Grain(models.TextChoices):
    """Which dimensions a counter row carries."""

    # Day, region, platform, category and issue type: every figure of the summary.
    CUBE = "c", _("汇总")
    # Day, region, platform, category and merchant (no issue type): top merchants and
    # the merchants' credit scores, without multiplying the cube by every merchant.
    MERCHANT = "m", _("商家")


class StatCounter(models.Model):
    """One cell of the statistics (统计汇总): a count and an amount, only ever incremented.

    A complaint counts in the cells of the day it was filed (Asia/Shanghai), its
    region, platform, category and issue type, whatever happens to it later: a
    period's figures are those of the complaints filed in it, as they stand now.
    `metric` and `bucket` name the figure (see reporting/counters.py), e.g.
    ("status", "mediating") or ("respond_days", "3"). Amounts are whole fen (分), so
    sums are exact on every database.
    """

    grain = models.CharField(max_length=1, choices=Grain.choices)
    day = models.DateField(_("投诉日期"))
    region = models.CharField(_("地区代码"), max_length=6)
    platform = models.ForeignKey(Platform, on_delete=models.PROTECT, related_name="+")
    category = models.CharField(max_length=32)
    issue_type = models.CharField(max_length=32, blank=True)
    merchant = models.CharField(max_length=200, blank=True)
    metric = models.CharField(max_length=16)
    bucket = models.CharField(max_length=24, blank=True)
    n = models.BigIntegerField(default=0)
    fen = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("统计计数")
        verbose_name_plural = _("统计计数")
        constraints = [
            models.UniqueConstraint(
                fields=list(COUNTER_KEY),
                name="statcounter_one_row_per_cell",
            ),
        ]
        indexes = [
            models.Index(fields=["grain", "metric", "day"], name="statcounter_metric_day"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.region} {self.metric}:{self.bucket} {self.n}"


class StatRollup(models.Model):
    """A bounded rollup of the counters (统计汇总表): the rows one summary query reads.

    `StatCounter`'s cells grow with the complaints (nearly every complaint opens cells
    of its own), so a summary over them costs what a scan of the complaints would.
    A rollup row is keyed by the filing month and by the *filter* a summary request
    can carry: `region` is "" (the whole country) or a province (2-digit GB/T 2260
    code), `platform_id` 0 (every platform) or one platform, `category` "" or one
    category. Every counter increment is added to each of those 8 combinations, so
    the rows a request reads are exactly its own: (months x figures) for the figures
    (`dimension` ""), (months x values) for one breakdown (`dimension` "platform",
    "category", "issue_type", "region" one level down, "merchant" as
    "<platform code>:<name>"), whatever the number of complaints. Merchant rows are
    also kept for all time (`month` = ALL_TIME) so the top merchants of an undated
    summary are an index walk. See docs/reporting.md.
    """

    dimension = models.CharField(max_length=16, blank=True)
    region = models.CharField(_("地区代码"), max_length=6, blank=True)
    platform_id = models.IntegerField(default=0)  # not a key: 0 stands for every platform
    category = models.CharField(max_length=32, blank=True)
    month = models.DateField(_("投诉月份"))
    value = models.CharField(max_length=240, blank=True)
    metric = models.CharField(max_length=16)
    bucket = models.CharField(max_length=24, blank=True)
    n = models.BigIntegerField(default=0)
    fen = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("统计汇总")
        verbose_name_plural = _("统计汇总")
        constraints = [
            # Its index serves every summary query: the filter's columns first, then
            # the month range.
            models.UniqueConstraint(
                fields=list(ROLLUP_KEY),
                name="statrollup_one_row_per_cell",
            ),
        ]
        indexes = [
            # The top merchants of all time: the largest counts first. Partial, so that
            # no other row's increment has to move an entry in it.
            models.Index(
                fields=["dimension", "region", "platform_id", "category", "month", "-n"],
                name="statrollup_top",
                condition=Q(dimension="merchant", month=date(1, 1, 1)),
            ),
            # Every summary query from the index alone (PostgreSQL): a filter's rows are
            # written over months by different events, so they lie one per heap page;
            # reading them there cost as many pages as rows (docs/performance.md).
            models.Index(
                fields=["dimension", "region", "platform_id", "category", "month"],
                include=["value", "metric", "bucket", "n", "fen"],
                name="statrollup_covering",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.month} {self.dimension}:{self.value} {self.metric}:{self.bucket} {self.n}"


class StatJournal(models.Model):
    """Statistics increments not yet added to the counters (统计流水): append-only.

    Each complaint event inserts one row, in its own transaction, holding the counter
    increments it makes (`reporting.counters.event_deltas`); `statistics_fold` later
    deletes a batch of rows and adds their sum to `StatCounter` and `StatRollup` in one
    transaction. An event's row therefore commits or rolls back with the event, and
    is added to the counters exactly once (deleted in the transaction that adds it),
    while no two filings wait on each other for a shared counter row: the coarse
    rollup rows are written only by the fold. Readers fold what is pending before
    they read (reporting/selectors.py), so figures are never behind a committed event.
    """

    id = models.BigAutoField(primary_key=True)
    # [[grain, "YYYY-MM-DD", region, platform_id, category, issue_type, merchant,
    #   metric, bucket, n, fen], ...]
    cells = models.JSONField()

    class Meta:
        verbose_name = _("统计流水")
        verbose_name_plural = _("统计流水")

    def __str__(self) -> str:
        return f"{self.pk}: {len(self.cells)} cells"


class Rating(models.Model):
    """The consumer's rating of how a closed complaint ended (满意度评价), once."""

    complaint = models.OneToOneField(Complaint, on_delete=models.PROTECT, related_name="rating")
    score = models.PositiveSmallIntegerField(_("评分"))
    comment = models.TextField(_("评价"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("满意度评价")
        verbose_name_plural = _("满意度评价")
        constraints = [
            models.CheckConstraint(
                condition=Q(score__gte=1) & Q(score__lte=5), name="rating_score_1_to_5"
            )
        ]

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.score}"


class Report(models.Model):
    """A periodic statistics report (电子商务消费投诉统计报告) and its three files."""

    class Period(models.TextChoices):
        MONTH = "month", _("月度")
        QUARTER = "quarter", _("季度")

    class State(models.TextChoices):
        PENDING = "pending", _("待生成")
        RUNNING = "running", _("生成中")
        DONE = "done", _("已生成")
        FAILED = "failed", _("生成失败")

    period = models.CharField(_("周期"), max_length=8, choices=Period.choices)
    start = models.DateField(_("起始日期"))
    end = models.DateField(_("截止日期"))
    # "" for the whole country; otherwise a GB/T 2260 prefix (a regulator's region).
    region_prefix = models.CharField(_("地区代码前缀"), max_length=6, blank=True)
    state = models.CharField(max_length=8, choices=State.choices, default=State.PENDING)
    progress = models.PositiveSmallIntegerField(_("进度（%）"), default=0)
    error = models.CharField(max_length=500, blank=True)
    requested_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    pdf_record = models.ForeignKey(
        "evidence.EvidenceRecord", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    xlsx_record = models.ForeignKey(
        "evidence.EvidenceRecord", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    csv_record = models.ForeignKey(
        "evidence.EvidenceRecord", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("统计报告")
        verbose_name_plural = _("统计报告")
        ordering = ["-start", "-id"]
        constraints = [
            # One report per period and region: the scheduled task and a second request
            # for the same report find the first one.
            models.UniqueConstraint(
                fields=["period", "start", "region_prefix"], name="report_once_per_period"
            ),
            models.CheckConstraint(condition=Q(progress__lte=100), name="report_progress_percent"),
        ]

    def __str__(self) -> str:
        return f"{self.period} {self.start} {self.region_prefix or '全国'}"


class ConsumerWarning(models.Model):
    """A consumer warning (消费警示) published by complaint-centre staff."""

    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"))
    platform = models.ForeignKey(
        Platform, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    merchant_name = models.CharField(_("商家"), max_length=200, blank=True)
    published_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    published_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("消费警示")
        verbose_name_plural = _("消费警示")
        ordering = ["-published_at", "-id"]

    def __str__(self) -> str:
        return self.title
