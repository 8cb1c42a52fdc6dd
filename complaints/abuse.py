"""Signals that a filing may not be a genuine consumer dispute (SAMR Order 121 art. 17).

Art. 17 names what staff should look at before accepting: abnormal purchase volume
or frequency, many complaints from one phone number, address or account, and
near-identical complaint texts. The system flags, a person decides: a signal is
shown beside the complaint in the acceptance queue and never refuses anything.

`abuse_signals(complaints)` works on one page of the queue with a fixed number of
queries, however long the page: one grouped count per consumer and merchant, one
per phone number, and one read of recent texts on the same platforms that are
compared in Python (character trigrams, which suit Chinese text without a
tokenizer).

Not covered: the consumer's postal address is encrypted at rest without a lookup
hash (complaints/encryption.py), so complaints cannot be grouped by address.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, Q
from django.utils import timezone

from complaints.choices import Role
from complaints.models import Complaint, User

# Look-back windows and thresholds. Weiquan rules, not numbers from the order: art. 17
# leaves "abnormal" to the centre; these are tuned to flag rather than to miss.
WINDOW_DAYS = 90
ACCOUNT_COMPLAINTS = 5  # complaints from one account in the window
MERCHANT_ORDERS = 3  # distinct orders of one consumer complained about at one merchant
PHONE_ACCOUNTS = 2  # accounts that share one phone number and filed in the window
SIMILAR_WINDOW_DAYS = 30
SIMILAR_CANDIDATES = 500  # latest texts on the same platforms compared with each
SIMILARITY = 0.8  # Jaccard similarity of character trigrams
SIMILAR_MIN_LENGTH = 15  # shorter texts ("没收到货") are alike by nature
SIMILAR_SHOWN = 3


class Signal:
    """Signal codes; their labels live with the pages that show them."""

    ACCOUNT = "account"  # many complaints from one account
    PHONE = "phone"  # one phone number behind several complaining accounts
    PURCHASES = "purchases"  # abnormal purchase frequency at one merchant
    SIMILAR_TEXT = "similar_text"  # near-identical texts from other accounts


@dataclass(frozen=True)
class AbuseSignal:
    """One signal: how many complaints it counts, and for some the accounts or references."""

    code: str
    count: int
    accounts: int = 0  # PHONE: the accounts sharing the number
    references: tuple[str, ...] = field(default=())  # SIMILAR_TEXT: some of the look-alikes


_NOISE = re.compile(r"[\W_]+", re.UNICODE)


def _trigrams(text: str) -> frozenset[str]:
    normal = _NOISE.sub("", unicodedata.normalize("NFKC", text).lower())
    if len(normal) < SIMILAR_MIN_LENGTH:
        return frozenset()
    return frozenset(normal[i : i + 3] for i in range(len(normal) - 2))


def _similar(a: frozenset[str], b: frozenset[str]) -> bool:
    if not a or not b:
        return False
    # The Jaccard index cannot reach the threshold when the sizes differ too much.
    small, large = sorted((len(a), len(b)))
    if small < SIMILARITY * large:
        return False
    return len(a & b) >= SIMILARITY * len(a | b)


def abuse_signals(
    complaints: Sequence[Complaint], *, now: datetime | None = None
) -> dict[int, list[AbuseSignal]]:
    """The art. 17 signals of each complaint (by id); complaints without any are left out.

    `complaints` should have `consumer` loaded (complaints_visible_to joins it).
    """
    if not complaints:
        return {}
    now = now or timezone.now()
    since = now - timedelta(days=WINDOW_DAYS)
    found: dict[int, list[AbuseSignal]] = defaultdict(list)
    consumer_ids = {c.consumer_id for c in complaints}

    # Per account, and per merchant of that account (purchase frequency): one query.
    per_account: dict[int, int] = defaultdict(int)
    per_merchant: dict[tuple[int, int, str], int] = {}
    rows = (
        Complaint.objects.filter(consumer_id__in=consumer_ids, filed_at__gte=since)
        .values("consumer_id", "platform_id", "merchant_name")
        .annotate(n=Count("id"), orders=Count("order_number", distinct=True))
        .order_by()
    )
    for row in rows:
        per_account[row["consumer_id"]] += row["n"]
        key = (row["consumer_id"], row["platform_id"], row["merchant_name"])
        per_merchant[key] = row["orders"]

    # Per phone number, across accounts (the keyed hash; the number itself is encrypted).
    hashes = {c.consumer.phone_hash for c in complaints if c.consumer.phone_hash}
    per_phone: dict[str, tuple[int, int]] = {}
    if hashes:
        phone_rows = (
            User.objects.filter(phone_hash__in=hashes, role=Role.CONSUMER)
            .values("phone_hash")
            .annotate(
                accounts=Count("id", distinct=True, filter=Q(complaints__filed_at__gte=since)),
                filed=Count("complaints", filter=Q(complaints__filed_at__gte=since)),
            )
            .order_by()
        )
        per_phone = {r["phone_hash"]: (r["accounts"], r["filed"]) for r in phone_rows}

    # Near-identical texts from other accounts on the same platforms, recently: one query.
    recent = list(
        Complaint.objects.filter(
            platform_id__in={c.platform_id for c in complaints},
            filed_at__gte=now - timedelta(days=SIMILAR_WINDOW_DAYS),
        )
        # Newest first by the (platform, updated_at) index: a platform's latest texts,
        # not a sort of its whole month.
        .order_by("-updated_at", "-id")
        .values_list("id", "reference", "consumer_id", "platform_id", "description")[
            :SIMILAR_CANDIDATES
        ]
    )
    grams = {pk: _trigrams(text) for pk, _ref, _consumer, _platform, text in recent}

    for c in complaints:
        if per_account.get(c.consumer_id, 0) >= ACCOUNT_COMPLAINTS:
            found[c.pk].append(AbuseSignal(Signal.ACCOUNT, per_account[c.consumer_id]))
        orders = per_merchant.get((c.consumer_id, c.platform_id, c.merchant_name), 0)
        if orders >= MERCHANT_ORDERS:
            found[c.pk].append(AbuseSignal(Signal.PURCHASES, orders))
        accounts, filed = per_phone.get(c.consumer.phone_hash, (0, 0))
        if c.consumer.phone_hash and accounts >= PHONE_ACCOUNTS:
            found[c.pk].append(AbuseSignal(Signal.PHONE, filed, accounts=accounts))
        mine = grams.get(c.pk) or _trigrams(c.description)
        alike = [
            ref
            for pk, ref, consumer_id, platform_id, _text in recent
            if pk != c.pk
            and consumer_id != c.consumer_id
            and platform_id == c.platform_id
            and _similar(mine, grams[pk])
        ]
        if alike:
            found[c.pk].append(
                AbuseSignal(
                    Signal.SIMILAR_TEXT, len(alike), references=tuple(alike[:SIMILAR_SHOWN])
                )
            )
    return dict(found)
