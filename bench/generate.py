"""Load N complaints with their timelines into a fresh PostgreSQL database, fast.

    .venv/bin/python bench/generate.py --complaints 1000000 [--open] [--due 100000]
        [--database weiquan_bench] [--check]

Drops and recreates the database, migrates it, then writes users, complaints, their
events and ratings with COPY, and fills the statistics tables (reporting) with one
SQL aggregation over the events and their rollups with one over the counters.

Why not the services: `complaint_file` and `complaint_transition` take 10-20 ms per
event (locks, the evidence chain, counters, outbox), so 5 million complaints with
~20 million events would take days; COPY writes them in minutes. The price is that
the rows must be consistent by construction: each complaint follows one of the
lifecycle's real paths (filed, accepted, answered, mediated, settled, closed...) with
increasing times, the deadline columns a state implies and `outcome` only when closed.
Secondary indexes are dropped during the load and rebuilt afterwards, and foreign-key
triggers are off for it (`session_replication_role = replica`).

Not generated: evidence records (the evidence bench has its own), messages, webhook
outbox rows, mediation case files. Deadlines are in calendar days approximating the
working-day rules (7 working days ~ 9 days, 10 ~ 14), which is all a benchmark needs.

Proportions: platforms and provinces weighted by size; categories and issue types
after 12315's published shares; claims log-normal around 300 yuan; filing dates
uniform over two years. Old complaints have run their course (93 % closed),
recent ones are still open. `--open` instead makes every complaint open (the deadline
sweep's data set), with exactly `--due` of them past their response deadline now.

`--check` also runs the project's own `rebuild_statistics` afterwards and fails unless
it produces exactly the cells the SQL aggregation wrote (use it on a small N).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from bisect import bisect
from collections import Counter
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DAY = timedelta(days=1)
HOUR = timedelta(hours=1)

PLATFORMS = [  # code, name, weight, response working days
    ("taobao", "淘宝（天猫）", 30, 10),
    ("jd", "京东", 18, 10),
    ("pdd", "拼多多", 20, 7),
    ("douyin", "抖音电商", 15, 10),
    ("kuaishou", "快手电商", 7, 10),
    ("meituan", "美团", 5, 7),
    ("vip", "唯品会", 3, 10),
    ("xianyu", "闲鱼", 2, 10),
]
# Shares of online-shopping complaints by province (rough, larger where people shop).
PROVINCE_WEIGHTS = {
    "44": 12, "33": 8, "32": 8, "31": 6, "11": 5, "37": 6, "41": 5, "51": 5, "42": 4,
    "35": 4, "43": 3, "34": 3, "13": 3, "50": 3, "61": 2, "21": 2, "36": 2, "45": 2,
}  # fmt: skip
CATEGORIES = [
    ("apparel", 14), ("electronics", 13), ("communication", 7), ("food", 9),
    ("cosmetics", 7), ("home", 9), ("medical", 3), ("vehicles", 2), ("culture", 4),
    ("travel", 4), ("education", 3), ("life_service", 8), ("internet_service", 8),
    ("livestream", 6), ("other", 3),
]  # fmt: skip
ISSUE_TYPES = [
    ("quality", 22), ("after_sales", 18), ("refund", 12), ("delivery", 9),
    ("false_advertising", 8), ("contract", 6), ("seven_day_return", 7), ("price", 5),
    ("counterfeit", 4), ("safety", 2), ("personal_info", 2), ("unfair_terms", 2),
    ("other", 3),
]  # fmt: skip
DEMANDS = [("refund", 45), ("return", 20), ("exchange", 8), ("repair", 7),
           ("compensation", 15), ("other", 5)]  # fmt: skip
CHANNELS = [("mobile", 60), ("web", 30), ("api", 5), ("phone", 5)]
SHOP_WORDS = ["优品", "家居", "数码", "美妆", "潮牌", "生鲜", "母婴", "运动", "图书", "百货"]
SHOP_KINDS = ["旗舰店", "专营店", "官方店", "小店", "专卖店"]


def chooser(pairs):
    """A fast weighted choice over (value, weight) pairs, using random.random()."""
    values = [v for v, _ in pairs]
    cum = list(accumulate(w for _, w in pairs))
    total = cum[-1]
    rnd = random.random

    def pick():
        return values[bisect(cum, rnd() * total)]

    return pick


def setup_django(database: str) -> None:
    os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{database}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    os.environ.setdefault("SECRET_KEY", "bench-only")
    os.environ.setdefault("CELERY_BROKER_URL", "memory://")
    import django

    django.setup()


def recreate_database(database: str) -> None:
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        c.execute(f'CREATE DATABASE "{database}"')


class Plan:
    """One complaint being written: its column values and its events."""

    __slots__ = ("fields", "events", "status", "at", "response_days", "rating")

    def __init__(self, fields: dict, at: datetime, response_days: int) -> None:
        self.fields = fields
        self.events: list[tuple] = []
        self.status = ""
        self.at = at
        self.response_days = response_days
        self.rating: tuple[int, datetime] | None = None

    def event(self, name, to, at, role, label, payload=None, actor_id=None):
        self.events.append((name, self.status, to, actor_id, role, label, payload or {}, at))
        self.status = to
        self.at = at


class Generator:
    def __init__(self, now: datetime, regions: list[str], platforms: dict, mediators: list):
        self.now = now
        self.platforms = platforms  # code -> (id, response_days)
        self.mediators = mediators
        self.pick_platform = chooser([(p[0], p[2]) for p in PLATFORMS])
        by_province: dict[str, list[str]] = {}
        for code in regions:
            by_province.setdefault(code[:2], []).append(code)
        provinces = [(p, PROVINCE_WEIGHTS.get(p, 1)) for p in sorted(by_province)]
        pick_province = chooser(provinces)
        self.pick_region = lambda: random.choice(by_province[pick_province()])
        self.pick_category = chooser(CATEGORIES)
        self.pick_issue = chooser(ISSUE_TYPES)
        self.pick_demand = chooser(DEMANDS)
        self.pick_channel = chooser(CHANNELS)
        self.day_counts: Counter = Counter()

    def merchant(self, platform: str) -> str:
        # Zipf-like: a few shops draw many complaints, most shops draw one or two.
        rank = int(random.paretovariate(1.1)) % 20000
        return f"{SHOP_WORDS[rank % 10]}{SHOP_KINDS[rank % 5]}{rank:05d}"

    def base(self, pk: int, consumer_id: int, filed: datetime) -> Plan:
        code = self.pick_platform()
        platform_id, response_days = self.platforms[code]
        day = (filed + 8 * HOUR).date()  # Beijing day, for the reference
        self.day_counts[day] += 1
        paid = round(min(random.lognormvariate(5.7, 1.1), 500000), 2)
        claimed = paid if random.random() < 0.8 else round(paid * random.uniform(1, 3), 2)
        fields = {
            "id": pk,
            "reference": f"TS{day:%Y%m%d}{self.day_counts[day]:04d}",
            "consumer_id": consumer_id,
            "platform_id": platform_id,
            "merchant_name": self.merchant(code),
            "order_number": f"{code.upper()}{pk:012d}",
            "order_date": (filed - random.randint(0, 30) * DAY + 8 * HOUR).date(),
            "category": self.pick_category(),
            "issue_type": self.pick_issue(),
            "demand": self.pick_demand(),
            "amount_paid": f"{paid:.2f}",
            "amount_claimed": f"{claimed:.2f}",
            "description": "收到的商品与描述不符，联系商家多次未果，请求处理。",
            "region": self.pick_region(),
            "channel": self.pick_channel(),
            "filed_at": filed,
            "deadline_basis": {},
        }
        plan = Plan(fields, filed, response_days)
        plan.event("filed", "submitted", filed, "consumer", f"c{consumer_id}",
                   {"platform": code}, consumer_id)  # fmt: skip
        return plan

    # --- a full life (old complaints have finished it; recent ones are part-way) ---

    def lifecycle(self, plan: Plan) -> None:
        """Walk `plan` down one realistic path, stopping at `now`."""
        f, now, r = plan.fields, self.now, random.random()
        step = lambda lo, hi: plan.at + timedelta(hours=random.uniform(lo, hi))  # noqa: E731
        accept_at = step(2, 72)
        if r < 0.03 or accept_at > now:  # not accepted (yet)
            if accept_at <= now:
                plan.event("reject", "rejected", accept_at, "staff", "staff",
                           {"reason_code": "materials_missing"})  # fmt: skip
                f.update(reason_code="materials_missing", reason="材料不全", closed_at=accept_at)
            else:
                self.due(plan, "acceptance_due", "acceptance", plan.at + 9 * DAY)
            return
        if r < 0.07:  # withdrawn soon after acceptance
            self.accept(plan, accept_at)
            at = step(24, 24 * 10)
            if at <= now:
                plan.event("withdraw", "withdrawn", at, "consumer", "consumer")
                f.update(closed_at=at, response_due=None)
                f["deadline_basis"] = {}
            return
        self.accept(plan, accept_at)
        if random.random() < 0.8:  # the platform answers
            late = random.random() < 0.12
            at = step(24 * 15, 24 * 25) if late else step(4, 24 * 12)
            if at > now:
                return
            amount = f["amount_claimed"]
            plan.event("respond", "responded", at, "platform", "platform",
                       {"resolution": "refund", "amount": amount, "late": late})  # fmt: skip
            f.update(responded_at=at, platform_late=late, response_due=None,
                     proposal_resolution="refund", proposal_amount=amount,
                     proposal_message="同意退款")  # fmt: skip
            f["deadline_basis"] = {}
            self.due(plan, "proposal_due", "proposal_decision", at + 7 * DAY)
            r = random.random()
            if r < 0.7:
                at = step(2, 24 * 5)
                if at > now:
                    return
                plan.event("accept_proposal", "settled", at, "consumer", "consumer",
                           {"agreed_amount": amount})  # fmt: skip
                f.update(agreed_amount=amount, settled_at=at, proposal_due=None)
                f["deadline_basis"] = {}
                self.settle(plan, at)
                return
            if r < 0.9:
                at = step(2, 24 * 5)
                if at > now:
                    return
                plan.event("decline_proposal", "mediating", at, "consumer", "consumer")
                f.update(proposal_due=None)
                f["deadline_basis"] = {}
            else:
                remind = plan.at + 5 * DAY
                at = plan.at + 7 * DAY + timedelta(minutes=random.randint(5, 600))
                if remind > now:
                    return
                plan.event("proposal_reminder", "responded", remind, "system", "deadline-sweep")
                f["proposal_reminded_at"] = remind
                if at > now:
                    return
                plan.event("close_no_reply", "closed", at, "system", "deadline-sweep",
                           {"outcome": "no_reply"})  # fmt: skip
                f.update(outcome="no_reply", closed_at=at, proposal_due=None)
                f["deadline_basis"] = {}
                return
        else:  # no answer: escalated by the sweep
            at = f["response_due"] + timedelta(minutes=random.randint(1, 300))
            if at > now:
                return
            plan.event("escalate", "mediating", at, "system", "deadline-sweep",
                       {"platform_late": True})  # fmt: skip
            f.update(platform_late=True, response_due=None)
            f["deadline_basis"] = {}
        self.mediate(plan)

    def accept(self, plan: Plan, at: datetime) -> None:
        plan.event("accept", "awaiting_response", at, "staff", "staff")
        plan.fields["accepted_at"] = at
        days = plan.response_days * 7 // 5  # working days to calendar days
        self.due(plan, "response_due", "response", at + days * DAY)

    def due(self, plan: Plan, field: str, rule: str, at: datetime) -> None:
        plan.fields[field] = at
        plan.fields["deadline_basis"] = {**plan.fields["deadline_basis"], field: rule}

    def mediate(self, plan: Plan) -> None:
        f, now = plan.fields, self.now
        f["mediation_started_at"] = plan.at
        f["mediator_id"] = random.choice(self.mediators)
        self.due(plan, "mediation_due", "mediation", f["accepted_at"] + 60 * DAY)
        r = random.random()
        at = plan.at + timedelta(hours=random.uniform(24 * 3, 24 * 40))
        if at > now:
            return
        f["deadline_basis"] = {}
        f["mediation_due"] = None
        mediator = f["mediator_id"]
        if r < 0.55:
            amount = f["amount_claimed"]
            plan.event("sign_agreement", "settled", at, "mediator", "mediator",
                       {"amount": amount, "fulfilment_days": 7}, mediator)  # fmt: skip
            f.update(agreed_amount=amount, agreement_terms="退款", settled_at=at)
            self.settle(plan, at)
        elif r < 0.6:
            amount = f["amount_claimed"]
            plan.event("start_compensation", "compensating", at, "mediator", "mediator",
                       {"amount": amount}, mediator)  # fmt: skip
            f["compensation_amount"] = amount
            at = at + timedelta(hours=random.uniform(24, 24 * 10))
            if at > now:
                return
            plan.event("pay_compensation", "closed", at, "platform", "platform",
                       {"amount": amount, "transaction_ref": f"P{f['id']}"})  # fmt: skip
            f.update(compensated_amount=amount, compensation_ref=f"P{f['id']}",
                     outcome="compensated", closed_at=at)  # fmt: skip
            self.rate(plan)
        else:
            refer = r >= 0.9
            name, outcome = ("refer", "referred") if refer else ("fail_mediation",
                                                                 "mediation_failed")  # fmt: skip
            plan.event(name, "closed", at, "mediator", "mediator",
                       {"outcome": outcome}, mediator)  # fmt: skip
            f.update(outcome=outcome, closed_at=at, reason="调解不成",
                     parties_notified_at=at + 2 * HOUR)  # fmt: skip
            if refer:
                f["referral_route"] = "litigation"
            else:
                f["reason_code"] = "no_agreement_possible"
            self.due(plan, "notice_due", "mediation_notice", at + 9 * DAY)

    def settle(self, plan: Plan, at: datetime) -> None:
        f = plan.fields
        self.due(plan, "fulfilment_due", "fulfilment", at + 7 * DAY)
        done = at + timedelta(hours=random.uniform(24 * 2, 24 * 12))
        if done > self.now:
            return
        plan.event("confirm_fulfilment", "closed", done, "consumer", "consumer",
                   {"outcome": "resolved"})  # fmt: skip
        f.update(outcome="resolved", closed_at=done, fulfilment_due=None)
        f["deadline_basis"] = {}
        self.rate(plan)

    def rate(self, plan: Plan) -> None:
        if random.random() < 0.3:
            at = plan.at + timedelta(hours=random.uniform(1, 48))
            if at <= self.now:
                score = random.choice((5, 5, 5, 4, 4, 3, 2, 1))
                plan.event("rated", "closed", at, "consumer", "consumer", {"score": score})
                plan.rating = (score, at)

    # --- every complaint open, some of them due (the sweep's data set) ---

    def open_state(self, plan: Plan, due: bool) -> None:
        f, now = plan.fields, self.now
        if due:  # response deadline passed in the last five days
            response_due = now - timedelta(minutes=random.randint(1, 5 * 24 * 60))
            days = plan.response_days * 7 // 5
            self.restart(plan, response_due - days * DAY - random.uniform(2, 48) * HOUR)
            self.accept(plan, response_due - days * DAY)
            return
        r = random.random()
        if r < 0.12:  # waiting for acceptance, filed in the last three days
            self.restart(plan, now - random.uniform(1, 72) * HOUR)
            self.due(plan, "acceptance_due", "acceptance", plan.at + 9 * DAY)
            return
        if r < 0.5:  # with the platform, accepted in the last week
            self.restart(plan, now - random.uniform(30, 24 * 9) * HOUR)
            self.accept(plan, plan.at + random.uniform(2, 24) * HOUR)
            return
        if r < 0.67:  # answered in the last four days
            self.restart(plan, now - random.uniform(24 * 6, 24 * 16) * HOUR)
            self.accept(plan, plan.at + random.uniform(2, 24) * HOUR)
            at = now - random.uniform(1, 24 * 4) * HOUR
            amount = f["amount_claimed"]
            plan.event("respond", "responded", at, "platform", "platform",
                       {"resolution": "refund", "amount": amount, "late": False})  # fmt: skip
            f.update(responded_at=at, response_due=None, proposal_resolution="refund",
                     proposal_amount=amount)  # fmt: skip
            f["deadline_basis"] = {}
            self.due(plan, "proposal_due", "proposal_decision", at + 7 * DAY)
            return
        # in mediation (accepted 16-50 days ago, so 10+ days are left), or settled
        self.restart(plan, now - random.uniform(24 * 17, 24 * 50) * HOUR)
        self.accept(plan, plan.at + random.uniform(2, 24) * HOUR)
        at = f["response_due"] + timedelta(minutes=random.randint(1, 300))
        plan.event("escalate", "mediating", at, "system", "deadline-sweep",
                   {"platform_late": True})  # fmt: skip
        f.update(platform_late=True, response_due=None)
        f["deadline_basis"] = {}
        f["mediation_started_at"] = at
        f["mediator_id"] = random.choice(self.mediators)
        self.due(plan, "mediation_due", "mediation", f["accepted_at"] + 60 * DAY)
        if r < 0.9:
            return
        at = now - random.uniform(1, 24 * 6) * HOUR
        amount = f["amount_claimed"]
        plan.event("sign_agreement", "settled", at, "mediator", "mediator",
                   {"amount": amount, "fulfilment_days": 7}, f["mediator_id"])  # fmt: skip
        f.update(agreed_amount=amount, agreement_terms="退款", settled_at=at,
                 mediation_due=None)  # fmt: skip
        f["deadline_basis"] = {}
        self.due(plan, "fulfilment_due", "fulfilment", at + 7 * DAY)

    def restart(self, plan: Plan, filed: datetime) -> None:
        """Move the filing (and its one event) to `filed`."""
        plan.fields["filed_at"] = filed
        name, _from, to, actor, role, label, payload, _at = plan.events[0]
        plan.events[0] = (name, _from, to, actor, role, label, payload, filed)
        plan.at = filed


def column_defaults(model) -> tuple[list[str], list[str], list]:
    """(attnames, columns, defaults) of every concrete field but the generated ones."""
    from django.db import models

    names, columns, defaults = [], [], []
    for field in model._meta.concrete_fields:
        names.append(field.attname)
        columns.append(field.column)
        if field.null:
            value = None
        elif isinstance(field, models.BooleanField):
            value = False
        elif field.has_default():  # JSONField's dict or list too
            value = field.get_default()
        elif isinstance(field, models.CharField | models.TextField):
            value = ""
        else:
            value = None
        defaults.append(value)
    return names, columns, defaults


def row_of(values: dict, names: list[str], defaults: list) -> tuple:
    out = []
    for name, default in zip(names, defaults, strict=True):
        value = values.get(name, default)
        if isinstance(value, dict | list):
            value = json.dumps(value, ensure_ascii=False, default=str)
        out.append(value)
    return tuple(out)


def drop_secondary_indexes(cursor, tables: list[str]) -> list[str]:
    """Drop the plain (non-constraint) indexes of `tables`; return their definitions."""
    cursor.execute(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = ANY(%s) "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
        [tables],
    )
    found = cursor.fetchall()
    for name, _definition in found:
        cursor.execute(f'DROP INDEX "{name}"')
    return [definition for _name, definition in found]


COUNTERS_SQL = """
WITH f AS (
  SELECT e.complaint_id, 'filed' AS metric, '' AS bucket, 1 AS n,
         round(c.amount_claimed * 100)::bigint AS fen
    FROM complaints_complaintevent e JOIN complaints_complaint c ON c.id = e.complaint_id
   WHERE e.name = 'filed'
  UNION ALL
  SELECT complaint_id, 'status', from_status, -1, 0 FROM complaints_complaintevent
   WHERE from_status <> to_status AND from_status <> ''
  UNION ALL
  SELECT complaint_id, 'status', to_status, 1, 0 FROM complaints_complaintevent
   WHERE from_status <> to_status AND to_status <> ''
  UNION ALL
  SELECT e.complaint_id, 'outcome', c.outcome, 1, 0
    FROM complaints_complaintevent e JOIN complaints_complaint c ON c.id = e.complaint_id
   WHERE e.from_status <> e.to_status AND e.to_status = 'closed' AND c.outcome <> ''
  UNION ALL
  SELECT e.complaint_id, 'close_days',
         greatest((e.created_at AT TIME ZONE 'Asia/Shanghai')::date
                  - (c.filed_at AT TIME ZONE 'Asia/Shanghai')::date, 0)::text, 1, 0
    FROM complaints_complaintevent e JOIN complaints_complaint c ON c.id = e.complaint_id
   WHERE e.from_status <> e.to_status AND e.to_status = 'closed'
  UNION ALL
  SELECT complaint_id, 'respond',
         CASE WHEN coalesce((payload->>'late')::boolean, false) THEN 'late' ELSE 'in_time' END,
         1, 0
    FROM complaints_complaintevent WHERE name = 'respond'
  UNION ALL
  SELECT e.complaint_id, 'respond_days',
         greatest((e.created_at AT TIME ZONE 'Asia/Shanghai')::date
                  - (c.accepted_at AT TIME ZONE 'Asia/Shanghai')::date, 0)::text, 1, 0
    FROM complaints_complaintevent e JOIN complaints_complaint c ON c.id = e.complaint_id
   WHERE e.name = 'respond' AND c.accepted_at IS NOT NULL
  UNION ALL
  SELECT complaint_id, 'respond', 'late', 1, 0 FROM complaints_complaintevent
   WHERE name = 'escalate'
  UNION ALL
  SELECT complaint_id, 'mediation', 'success', 1, 0 FROM complaints_complaintevent
   WHERE name = 'sign_agreement' OR (name = 'start_compensation' AND from_status = 'mediating')
  UNION ALL
  SELECT complaint_id, 'mediation', 'failure', 1, 0 FROM complaints_complaintevent
   WHERE name IN ('fail_mediation', 'refer')
  UNION ALL
  SELECT complaint_id, 'compensated', '', 1, round((payload->>'amount')::numeric * 100)::bigint
    FROM complaints_complaintevent WHERE name = 'pay_compensation'
  UNION ALL
  SELECT complaint_id, 'rating', payload->>'score', 1, 0 FROM complaints_complaintevent
   WHERE name = 'rated'
), g AS (
  SELECT grain, f.metric, f.bucket, f.n, f.fen, c.filed_at, c.region, c.platform_id,
         c.category, c.issue_type, c.merchant_name
    FROM f JOIN complaints_complaint c ON c.id = f.complaint_id
    CROSS JOIN (VALUES ('c'), ('m')) AS grains (grain)
   WHERE grain = 'c' OR f.metric IN ('filed', 'outcome', 'respond', 'compensated',
                                     'recovered', 'rating')
)
INSERT INTO reporting_statcounter
  (grain, day, region, platform_id, category, issue_type, merchant, metric, bucket, n, fen)
SELECT grain, (filed_at AT TIME ZONE 'Asia/Shanghai')::date, region, platform_id, category,
       CASE WHEN grain = 'c' THEN issue_type ELSE '' END,
       CASE WHEN grain = 'm' THEN left(merchant_name, 200) ELSE '' END,
       metric, bucket, sum(n), sum(fen)
  FROM g
 GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9
HAVING sum(n) <> 0 OR sum(fen) <> 0
"""


# The summary's rollups (reporting.counters.rollup_deltas) from the counters, in SQL:
# the cells first summed by month and city (what the rollups keep of them), then each
# added under the 8 filters it matches (the whole country or its province; every
# platform or its own; every category or its own), as figures (dimension "") and, for
# `filed`, by platform, category, issue type, region one level down and merchant.
ROLLUPS_SQL = """
WITH s AS (
  SELECT grain, date_trunc('month', day)::date AS month, left(region, 4) AS city,
         platform_id, category, CASE WHEN metric = 'filed' THEN issue_type ELSE '' END
         AS issue_type, merchant, metric, bucket, sum(n) AS n, sum(fen) AS fen
    FROM reporting_statcounter
   WHERE grain = 'c' OR metric = 'filed'
   GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9
)
INSERT INTO reporting_statrollup
  (dimension, region, platform_id, category, month, value, metric, bucket, n, fen)
SELECT d.dimension, rg.r, pp.p, cc.c, d.month, d.value, d.metric, d.bucket, sum(s.n), sum(s.fen)
  FROM s
  JOIN complaints_platform pl ON pl.id = s.platform_id
  CROSS JOIN LATERAL (VALUES (''), (left(s.city, 2))) rg (r)
  CROSS JOIN LATERAL (VALUES (0), (s.platform_id)) pp (p)
  CROSS JOIN LATERAL (VALUES (''), (s.category)) cc (c)
  CROSS JOIN LATERAL (
    SELECT '', '', s.metric, s.bucket, s.month WHERE s.grain = 'c'
    UNION ALL
    SELECT x.dimension, x.value, 'filed', '', s.month
      FROM (VALUES ('platform', pl.code), ('category', s.category),
                   ('issue_type', s.issue_type),
                   ('region', left(s.city, length(rg.r) + 2))) x (dimension, value)
     WHERE s.grain = 'c' AND s.metric = 'filed'
    UNION ALL
    SELECT 'merchant', pl.code || ':' || s.merchant, 'filed', '', m.month
      FROM (VALUES (s.month), (DATE '0001-01-01')) m (month)
     WHERE s.grain = 'm'
  ) d (dimension, value, metric, bucket, month)
 GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
HAVING sum(s.n) <> 0 OR sum(s.fen) <> 0
"""


def generate(args) -> dict:
    t0 = time.monotonic()
    recreate_database(args.database)
    setup_django(args.database)
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    t_migrate = time.monotonic() - t0
    import psycopg

    from complaints.models import Complaint, Platform, Region, User

    random.seed(args.seed)
    platforms = {}
    for code, name, _weight, days in PLATFORMS:
        committed = code in ("jd", "taobao")
        p = Platform.objects.create(
            code=code, name=name, response_days=days, advance_compensation_committed=committed
        )
        platforms[code] = (p.pk, days)
    mediators = [
        User.objects.create(username=f"mediator{i}", role="mediator").pk for i in range(100)
    ]
    regions = list(
        Region.objects.filter(level="county", is_active=True).values_list("code", flat=True)
    )
    now = datetime.now(UTC).replace(microsecond=0)
    gen = Generator(now, regions, platforms, mediators)
    n = args.complaints
    consumers = max(n // 5, 1)

    with connection.cursor() as cur:
        cur.execute("SET session_replication_role = replica")
        # The aggregations below sort and hash tens of millions of rows: in memory (this
        # machine has 24 GiB) rather than spilled to disk; the index builds likewise.
        cur.execute("SET work_mem = '1GB'")
        cur.execute("SET maintenance_work_mem = '2GB'")
        cur.execute("CREATE TABLE IF NOT EXISTS bench_baseline "
                    "(id bigserial PRIMARY KEY, payload jsonb NOT NULL, "
                    "created_at timestamptz NOT NULL DEFAULT now())")  # fmt: skip
        tables = ["complaints_complaint", "complaints_complaintevent", "complaints_user"]
        indexes = drop_secondary_indexes(cur, tables)
        raw = cur.cursor  # psycopg's own cursor, for COPY

        u_names, u_cols, u_defaults = column_defaults(User)
        first_consumer = User.objects.order_by("-pk").values_list("pk", flat=True)[0] + 1
        with raw.copy(f"COPY complaints_user ({', '.join(u_cols)}) FROM STDIN") as copy:
            for i in range(consumers):
                copy.write_row(row_of({
                    "id": first_consumer + i, "username": f"c{first_consumer + i}",
                    "password": "!bench", "role": "consumer", "is_active": True,
                    "date_joined": now - timedelta(days=800),
                }, u_names, u_defaults))  # fmt: skip
        t_users = time.monotonic()

        c_names, c_cols, c_defaults = column_defaults(Complaint)
        c_defaults[c_names.index("created_at")] = now
        c_defaults[c_names.index("updated_at")] = now
        span = 730 * 24 * 3600
        due_ids = set(random.sample(range(1, n + 1), min(args.due, n))) if args.open else set()
        ratings = []
        events_total = 0
        c_sql = f"COPY complaints_complaint ({', '.join(c_cols)}) FROM STDIN"
        order = ["complaint_id", "name", "from_status", "to_status", "actor_id",
                 "actor_role", "actor_label", "payload", "created_at"]  # fmt: skip
        e_sql = f"COPY complaints_complaintevent ({', '.join(order)}) FROM STDIN"
        # A second connection streams the events alongside (one COPY per connection),
        # so PostgreSQL parses both tables on the second core.
        events_conn = psycopg.connect(f"postgresql://postgres@127.0.0.1:5432/{args.database}")
        events_conn.execute("SET session_replication_role = replica")
        with raw.copy(c_sql) as copy, events_conn.cursor().copy(e_sql) as ecopy:
            for pk in range(1, n + 1):
                consumer = first_consumer + random.randrange(consumers)
                filed = now - timedelta(seconds=random.randrange(span))
                plan = gen.base(pk, consumer, filed)
                if args.open:
                    gen.open_state(plan, pk in due_ids)
                else:
                    gen.lifecycle(plan)
                f = plan.fields
                f["status"] = plan.status
                f["created_at"] = f["filed_at"]
                f["updated_at"] = plan.at
                copy.write_row(row_of(f, c_names, c_defaults))
                for name, frm, to, actor, role, label, payload, at in plan.events:
                    ecopy.write_row((pk, name, frm, to, actor, role, label,
                                     json.dumps(payload, ensure_ascii=False), at))  # fmt: skip
                events_total += len(plan.events)
                if plan.rating:
                    ratings.append((pk, plan.rating[0], "", plan.rating[1]))
                if args.verbose and pk % 500000 == 0:
                    print(f"  {pk} complaints, {time.monotonic() - t0:.0f} s", flush=True)
        events_conn.commit()
        events_conn.close()
        t_complaints = time.monotonic()
        with raw.copy("COPY reporting_rating (complaint_id, score, comment, created_at) "
                      "FROM STDIN") as copy:  # fmt: skip
            for row in ratings:
                copy.write_row(row)
        t_events = time.monotonic()
        cur.execute(
            "INSERT INTO complaints_referencecounter (day, last) VALUES "  # noqa: S608
            + ", ".join(["(%s, %s)"] * len(gen.day_counts))
            + " ON CONFLICT (day) DO UPDATE SET last = excluded.last",
            [v for item in gen.day_counts.items() for v in item],
        )
        for table in ("complaints_user", "complaints_complaint", "complaints_complaintevent",
                      "reporting_rating"):  # fmt: skip
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                f"(SELECT max(id) FROM {table}))"
            )
        for definition in indexes:
            cur.execute(definition)
        t_indexes = time.monotonic()
        cur.execute("SET session_replication_role = origin")
        cur.execute("DELETE FROM reporting_statcounter")
        # Its indexes (the 9-column unique one too) are built once after the insert.
        cur.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = 'reporting_statcounter'::regclass AND contype = 'u'"
        )
        uniques = cur.fetchall()
        for name, _definition in uniques:
            cur.execute(f'ALTER TABLE reporting_statcounter DROP CONSTRAINT "{name}"')
        counter_indexes = drop_secondary_indexes(cur, ["reporting_statcounter"])
        cur.execute(COUNTERS_SQL)
        cells = cur.rowcount
        for name, definition in uniques:
            cur.execute(f'ALTER TABLE reporting_statcounter ADD CONSTRAINT "{name}" {definition}')
        for definition in counter_indexes:
            cur.execute(definition)
        t_counters = time.monotonic()
        cur.execute("DELETE FROM reporting_statrollup")
        cur.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = 'reporting_statrollup'::regclass AND contype = 'u'"
        )
        rollup_uniques = cur.fetchall()
        for name, _definition in rollup_uniques:
            cur.execute(f'ALTER TABLE reporting_statrollup DROP CONSTRAINT "{name}"')
        rollup_indexes = drop_secondary_indexes(cur, ["reporting_statrollup"])
        cur.execute(ROLLUPS_SQL)
        rollups = cur.rowcount
        for name, definition in rollup_uniques:
            cur.execute(f'ALTER TABLE reporting_statrollup ADD CONSTRAINT "{name}" {definition}')
        for definition in rollup_indexes:
            cur.execute(definition)
        t_rollups = time.monotonic()
    connection.close()
    with connection.cursor() as cur:  # VACUUM cannot run in a transaction block
        cur.execute("VACUUM (ANALYZE)")
    t_end = time.monotonic()
    return {
        "complaints": n,
        "events": events_total,
        "consumers": consumers,
        "ratings": len(ratings),
        "cells": cells,
        "rollups": rollups,
        "now": now,
        "seconds": {
            "create+migrate": t_migrate,
            "users": t_users - t0 - t_migrate,
            "complaints+events": t_complaints - t_users,
            "ratings": t_events - t_complaints,
            "indexes": t_indexes - t_events,
            "counters": t_counters - t_indexes,
            "rollups": t_rollups - t_counters,
            "vacuum analyze": t_end - t_rollups,
            "total": t_end - t0,
        },
    }


def check_counters() -> None:
    """Fail unless `rebuild_statistics` gives exactly the cells the SQL wrote."""
    from reporting.rebuild import counters_snapshot, rollups_snapshot, statistics_rebuild

    ours, our_rollups = counters_snapshot(), rollups_snapshot()
    statistics_rebuild()
    for what, mine, theirs in (
        ("counters", ours, counters_snapshot()),
        ("rollups", our_rollups, rollups_snapshot()),
    ):
        if mine != theirs:
            diff = set(mine.items()) ^ set(theirs.items())
            raise SystemExit(f"{what} differ from rebuild_statistics in {len(diff)} rows, "
                             f"e.g. {sorted(diff, key=str)[:4]}")  # fmt: skip
    print(f"check: the SQL equals rebuild_statistics ({len(ours)} cells, "
          f"{len(our_rollups)} rollup rows)")  # fmt: skip


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--complaints", type=int, default=100000)
    parser.add_argument("--database", default="weiquan_bench")
    parser.add_argument("--open", action="store_true", help="every complaint open (sweep)")
    parser.add_argument("--due", type=int, default=0, help="with --open: this many due now")
    parser.add_argument("--seed", type=int, default=20261201)
    parser.add_argument("--check", action="store_true", help="compare with rebuild_statistics")
    parser.add_argument("-v", "--verbose", action="store_true")
    parser.add_argument("--result", help="write the figures here as JSON")
    args = parser.parse_args(argv)
    result = generate(args)
    if args.verbose:
        print(
            f"{result['complaints']} complaints, {result['events']} events, "
            f"{result['cells']} statistics cells in {result['seconds']['total']:.0f} s"
        )
        for step, seconds in result["seconds"].items():
            print(f"  {step}: {seconds:.1f} s")
    if args.check:
        check_counters()
    if args.result:
        Path(args.result).write_text(json.dumps(result, default=str))
    return result


if __name__ == "__main__":
    main()
