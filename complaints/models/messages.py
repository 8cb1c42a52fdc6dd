"""The negotiation thread (自行协商) of a complaint: consumer, platform and mediator."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from complaints.choices import Role

from .complaint import Complaint
from .parties import User


class ComplaintMessage(models.Model):
    """One message in a complaint's thread; never edited (it is preserved as evidence)."""

    complaint = models.ForeignKey(Complaint, on_delete=models.PROTECT, related_name="messages")
    author = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    author_role = models.CharField(_("发送方"), max_length=16, choices=Role.choices)
    author_label = models.CharField(_("发送方标识"), max_length=150)
    body = models.TextField(_("内容"))
    # Evidence record ids of files the author uploaded to the case (the evidence app
    # checks them; the core keeps only the ids, as it may not import evidence).
    attachments = models.JSONField(_("附件（证据记录编号）"), default=list, blank=True)
    created_at = models.DateTimeField(_("发送时间"), default=timezone.now)

    class Meta:
        verbose_name = _("协商消息")
        verbose_name_plural = _("协商消息")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["complaint", "id"], name="message_complaint_id")]

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.author_label}"


class MessageReadCursor(models.Model):
    """How far one party of a complaint has read its thread (for unread counts)."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="+")
    party = models.CharField(max_length=16, choices=Role.choices)
    last_read_id = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("已读位置")
        verbose_name_plural = _("已读位置")
        constraints = [
            models.UniqueConstraint(fields=["complaint", "party"], name="read_cursor_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.party} {self.last_read_id}"
