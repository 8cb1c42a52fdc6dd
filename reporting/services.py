"""Reporting services: the consumer's rating, warnings, and requesting reports."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from complaints.actors import Actor
from complaints.choices import Status
from complaints.exceptions import DomainValidationError, NotFound, TransitionForbidden
from complaints.models import Complaint, Platform
from complaints.privacy import mask_text
from complaints.services import complaint_record_action
from complaints.validators import ErrorCollector, clean_text
from reporting.exceptions import AlreadyRated, WarningForbidden
from reporting.models import ConsumerWarning, Rating


@transaction.atomic
def rating_record(
    *,
    complaint_id: int,
    actor: Actor,
    score: object,
    comment: str = "",
    at: datetime | None = None,
) -> Rating:
    """The consumer rates how a closed complaint ended (1 to 5), once (满意度评价).

    Recorded as a `rated` event, so the rating is preserved as evidence and counted
    in the statistics in the same transaction.
    """
    at = at or timezone.now()
    if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
        raise DomainValidationError({"score": "A whole number from 1 to 5."})
    comment = clean_text(comment, "comment", required=False, max_length=1000)
    complaint = Complaint.objects.filter(pk=complaint_id).only("consumer_id").first()
    if complaint is None:
        raise NotFound("No such complaint.")
    if not actor.is_consumer_of(complaint):  # before the state: 403 says more than 409
        raise TransitionForbidden(action="rate", role=actor.role)
    created: list[Rating] = []

    def apply(complaint: Complaint) -> dict:
        # Under the complaint's row lock: two racing ratings cannot both pass.
        if Rating.objects.filter(complaint=complaint).exists():
            raise AlreadyRated()
        created.append(
            Rating.objects.create(complaint=complaint, score=score, comment=comment, created_at=at)
        )
        return {"score": score, "comment": comment}

    complaint_record_action(
        complaint_id,
        name="rated",
        actor=actor,
        allowed_status=(Status.CLOSED,),
        permitted=lambda c: actor.is_consumer_of(c),
        apply=apply,
        at=at,
    )
    return created[0]


@transaction.atomic
def warning_publish(
    *, actor: Actor, title: str, body: str, platform: str = "", merchant_name: str = ""
) -> ConsumerWarning:
    """Staff publish a consumer warning (消费警示); personal data in it is masked first."""
    if not actor.is_staff_member:
        raise WarningForbidden(role=actor.role)
    check = ErrorCollector()
    title = check.take(clean_text, title, "title", max_length=200)
    body = check.take(clean_text, body, "body", max_length=10000)
    merchant_name = check.take(
        clean_text, merchant_name, "merchant_name", required=False, max_length=200
    )
    platform_obj = None
    if platform:
        platform_obj = Platform.objects.filter(code=platform).first()
        if platform_obj is None:
            check.add("platform", f"Unknown platform code '{platform}'.")
    check.raise_if_any()
    return ConsumerWarning.objects.create(
        title=mask_text(title),
        body=mask_text(body),
        platform=platform_obj,
        merchant_name=mask_text(merchant_name),
        published_by=actor.user,
    )
