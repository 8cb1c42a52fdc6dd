"""Reads of the complaint core, already joined and scoped."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from complaints.choices import Role, Status
from complaints.models import Complaint, Region, User


def region_name(code: str) -> str:
    """The place name of a GB/T 2260 code: province, city and county, without 市辖区."""
    names = dict(
        Region.objects.filter(code__in=[code[:2], code[:4], code]).values_list("code", "name")
    )
    parts = [names.get(code[:2]), names.get(code[:4]), names.get(code)]
    seen: list[str] = []
    for part in parts:
        if part and part not in ("市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划") and part not in seen:
            seen.append(part)
    return "".join(seen)


def mediator_least_loaded(*, category: str) -> User | None:
    """The active mediator handling `category` with the fewest cases in mediation."""
    candidates = (
        User.objects.filter(role=Role.MEDIATOR, is_active=True)
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


def complaints_visible_to(user: User) -> QuerySet[Complaint]:
    """Complaints a logged-in user may see: the one place where scoping is decided."""
    qs = Complaint.objects.select_related("platform", "merchant", "consumer", "mediator")
    if not user.is_authenticated or not user.is_active:
        return qs.none()
    if user.role == Role.STAFF:
        return qs
    if user.role == Role.CONSUMER:
        return qs.filter(consumer=user)
    if user.role == Role.PLATFORM and user.platform_id:
        return qs.filter(platform_id=user.platform_id)
    if user.role == Role.MEDIATOR:
        return qs.filter(mediator=user)
    if user.role == Role.REGULATOR and user.region_prefix:
        return qs.filter(region__startswith=user.region_prefix)
    return qs.none()
