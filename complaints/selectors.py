"""Reads of the complaint core, already joined and scoped."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import datetime

from django.db.models import Count, Q, QuerySet

from complaints.actors import Actor
from complaints.choices import OPEN_STATUSES, Role, Status
from complaints.models import Complaint, Region, User
from complaints.models.complaint import DEADLINE_SUSPENDED_BY


@functools.lru_cache(maxsize=1)
def _region_names() -> dict[str, str]:
    # ~3,400 rows that change once a year: one query per process, cleared on edit.
    return dict(Region.objects.values_list("code", "name"))


def clear_region_cache() -> None:
    _region_names.cache_clear()


SKIPPED_REGION_NAMES = ("市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划")


def region_name(code: str) -> str:
    """The place name of a GB/T 2260 code: province, city and county, without 市辖区."""
    names = _region_names()
    parts: list[str] = []
    for prefix in (code[:2], code[:4], code):
        name = names.get(prefix)
        if name and name not in SKIPPED_REGION_NAMES and name not in parts:
            parts.append(name)
    return "".join(parts)


def mediator_least_loaded(*, category: str, exclude: Iterable[int] = ()) -> User | None:
    """The active mediator handling `category` with the fewest cases in mediation.

    `exclude`: mediators who may not take this case (those who recused themselves).
    """
    candidates = (
        User.objects.filter(role=Role.MEDIATOR, is_active=True)
        .exclude(pk__in=list(exclude))
        .annotate(
            load=Count(
                "mediated_complaints",
                filter=Q(mediated_complaints__status=Status.MEDIATING),
            )
        )
        .order_by("load", "pk")
    )
    for mediator in candidates:
        if mediator.handles_category(category):
            return mediator
    return None


class MediatorPool:
    """`mediator_least_loaded` for many assignments in a row, from one query.

    The deadline sweep escalates thousands of complaints at once; asking the database
    for every mediator's load each time cost a scan of the cases per complaint. The
    pool reads the loads once and counts its own assignments; cases assigned
    meanwhile by others are not seen, which only makes the balance approximate.
    """

    def __init__(self) -> None:
        self._mediators: list[User] | None = None

    def __call__(self, *, category: str) -> User | None:
        if self._mediators is None:
            self._mediators = list(
                User.objects.filter(role=Role.MEDIATOR, is_active=True).annotate(
                    load=Count(
                        "mediated_complaints",
                        filter=Q(mediated_complaints__status=Status.MEDIATING),
                    )
                )
            )
        candidates = [m for m in self._mediators if m.handles_category(category)]
        if not candidates:
            return None
        chosen = min(candidates, key=lambda m: (m.load, m.pk))
        chosen.load += 1
        return chosen


def complaints_visible_to(actor: Actor) -> QuerySet[Complaint]:
    """Complaints `actor` may see: the one place where scoping is decided.

    Consumer: own; platform: against it; staff: all; mediator: assigned;
    regulator: its region prefix. Anyone else, or an inactive user: none.
    """
    qs = Complaint.objects.select_related("platform", "merchant", "consumer", "mediator")
    user = actor.user
    if actor.role == Role.PLATFORM:
        # Forwarded complaints only (Order 121: the platform gets a case once accepted):
        # not what is still waiting for acceptance, was rejected or withdrawn before.
        if actor.platform is None:
            return qs.none()
        return qs.filter(platform=actor.platform, accepted_at__isnull=False)
    if user is None or not user.is_active:
        return qs.none()
    if actor.role == Role.STAFF:
        return qs
    if actor.role == Role.CONSUMER:
        return qs.filter(consumer=user)
    if actor.role == Role.MEDIATOR:
        return qs.filter(mediator=user)
    if actor.role == Role.REGULATOR and user.region_prefix:
        return qs.filter(region__startswith=user.region_prefix)
    return qs.none()


DEADLINE_FIELDS: tuple[str, ...] = tuple(
    f.name for f in Complaint._meta.concrete_fields if f.name.endswith("_due")
)


def deadline_binding_q(field: str) -> Q:
    """Complaints whose deadline `field` is set and still binds (see Complaint.deadlines)."""
    q = Q(**{f"{field}__isnull": False})
    if field in DEADLINE_SUSPENDED_BY:
        q &= Q(**{f"{DEADLINE_SUSPENDED_BY[field]}__isnull": True})
    # The notice of art. 23 falls due after the case closed; every other one only
    # while the case is open.
    if field != "notice_due":
        q &= Q(status__in=OPEN_STATUSES)
    return q


def binding_deadlines_q(*, due_before: datetime, due_after: datetime | None = None) -> Q:
    """Complaints with a binding deadline in [due_after, due_before): the query-side
    twin of Complaint.deadlines(), for lists of what is overdue or due soon."""
    q = Q()
    for field in DEADLINE_FIELDS:
        window = Q(**{f"{field}__lt": due_before})
        if due_after is not None:
            window &= Q(**{f"{field}__gte": due_after})
        q |= deadline_binding_q(field) & window
    return q
