"""Deadlines in Chinese working days and calendar days (Order 121 art. 45 counting)."""

from __future__ import annotations

import logging
from datetime import date, timedelta

import pytest
from django.utils import timezone

from complaints.actors import Actor
from complaints.models import CalendarDay, CalendarYear
from complaints.services import complaint_transition, mediation_pause, mediation_resume
from complaints.workdays import add_workdays, is_announced, is_workday, next_workday
from tests.helpers import at
from tests.states import complaint_in

pytestmark = pytest.mark.django_db


def local(dt) -> date:
    return timezone.localtime(dt).date()


def test_make_up_workdays_count_and_holidays_do_not():
    # 2026: Spring Festival 15–23 Feb; Saturdays 14 Feb and 28 Feb are make-up workdays.
    assert is_workday(date(2026, 2, 14)) is True
    assert is_workday(date(2026, 2, 16)) is False
    assert is_workday(date(2026, 2, 28)) is True
    assert is_workday(date(2026, 3, 7)) is False  # an ordinary Saturday


def test_add_workdays_does_not_count_the_start_day():
    assert add_workdays(date(2026, 11, 23), 1) == date(2026, 11, 24)
    assert add_workdays(date(2026, 11, 27), 1) == date(2026, 11, 30)  # Friday → Monday
    assert add_workdays(date(2026, 11, 23), 0) == date(2026, 11, 23)
    with pytest.raises(ValueError):
        add_workdays(date(2026, 11, 23), -1)


def test_response_deadline_skips_national_day_and_counts_saturday_make_up_day(
    consumer, platform, staff
):
    # given a complaint filed and accepted the day before the 2025 National Day holiday
    complaint = complaint_in(
        "submitted",
        consumer=consumer,
        platform_code=platform.code,
        at=at(2025, 9, 30, 9),
        order_date=date(2025, 9, 1),
    )
    complaint = complaint_transition(
        complaint_id=complaint.pk, name="accept", actor=Actor.of_user(staff), at=at(2025, 9, 30, 10)
    )
    # then 1–8 Oct are skipped and Saturday 11 Oct counts: 10 working days end on 21 Oct
    assert local(complaint.response_due) == date(2025, 10, 21)
    assert complaint.deadline_basis["response_due"] == "response"


def test_acceptance_deadline_is_seven_working_days_with_basis(consumer, platform):
    complaint = complaint_in(
        "submitted",
        consumer=consumer,
        platform_code=platform.code,
        at=at(2025, 9, 30, 9),
        order_date=date(2025, 9, 1),
    )
    assert local(complaint.acceptance_due) == date(2025, 10, 16)
    [deadline] = complaint.deadlines()
    assert deadline["name"] == "acceptance"
    assert "Order 121 art. 15" in deadline["basis"]
    # due at the end of the day, in Shanghai time
    assert timezone.localtime(complaint.acceptance_due).hour == 23


def test_filing_late_at_night_counts_from_the_shanghai_date(consumer, platform):
    # 23:30 in Shanghai on Monday 30 Nov is still Monday 15:30 UTC; Tuesday counts as day 1
    complaint = complaint_in(
        "submitted", consumer=consumer, platform_code=platform.code, at=at(2026, 11, 30, 23, 30)
    )
    assert local(complaint.acceptance_due) == date(2026, 12, 9)


def test_filing_on_a_saturday(consumer, platform):
    complaint = complaint_in(
        "submitted", consumer=consumer, platform_code=platform.code, at=at(2026, 11, 21, 12)
    )
    assert local(complaint.acceptance_due) == date(2026, 12, 1)


def test_platform_response_days_are_a_per_platform_setting(consumer, platform, staff):
    platform.response_days = 3
    platform.save()
    complaint = complaint_in(
        "submitted", consumer=consumer, platform_code=platform.code, at=at(2026, 11, 23)
    )
    complaint = complaint_transition(
        complaint_id=complaint.pk,
        name="accept",
        actor=Actor.of_user(staff),
        at=at(2026, 11, 23, 11),
    )
    assert local(complaint.response_due) == date(2026, 11, 26)


def test_calendar_day_deadline_ending_on_a_holiday_moves_to_next_workday(consumer, platform, staff):
    # given a proposal on 24 Sep 2026: 7 calendar days end on 1 Oct, inside the holiday
    complaint = complaint_in(
        "awaiting_response", consumer=consumer, platform_code=platform.code, at=at(2026, 9, 22)
    )
    complaint = complaint_transition(
        complaint_id=complaint.pk,
        name="respond",
        actor=Actor.of_platform(platform),
        at=at(2026, 9, 24),
        params={"resolution": "refund", "amount": "10", "message": "退款"},
    )
    # then it ends on the first working day after the holiday (Order 121 art. 45)
    assert local(complaint.proposal_due) == date(2026, 10, 8)


def test_year_boundary_into_an_unannounced_year_falls_back_to_weekdays(consumer, platform, caplog):
    # given 2027's schedule is not announced yet
    assert not is_announced(2027)
    with caplog.at_level(logging.WARNING, logger="complaints.workdays"):
        complaint = complaint_in(
            "submitted", consumer=consumer, platform_code=platform.code, at=at(2026, 12, 28)
        )
    # then the deadline lands in 2027 counting Monday to Friday, with a warning
    assert local(complaint.acceptance_due) == date(2027, 1, 6)
    assert "2027" in caplog.text and "not in the calendar table" in caplog.text


def test_staff_extending_the_calendar_changes_deadlines_at_once(consumer, platform):
    # when staff enter the 2027 schedule with New Year's Day as a holiday
    CalendarYear.objects.create(year=2027, source="国务院办公厅通知")
    CalendarDay.objects.create(date=date(2027, 1, 1), kind=CalendarDay.Kind.HOLIDAY, name="元旦")
    # then 1 Jan 2027 no longer counts
    assert is_workday(date(2027, 1, 1)) is False
    complaint = complaint_in(
        "submitted", consumer=consumer, platform_code=platform.code, at=at(2026, 12, 28)
    )
    assert local(complaint.acceptance_due) == date(2027, 1, 7)


def test_far_future_year_never_raises():
    assert is_workday(date(2099, 6, 1)) is True
    assert next_workday(date(2099, 6, 6)) == date(2099, 6, 8)


def test_mediation_ends_sixty_days_after_acceptance(consumer, platform, mediator):
    # accepted on Sunday 2 August 2026: day 60 is 1 October, the National Day holiday
    complaint = complaint_in(
        "mediating", consumer=consumer, platform_code=platform.code, at=at(2026, 8, 2)
    )
    assert local(complaint.accepted_at) == date(2026, 8, 2)
    assert complaint.deadline_basis["mediation_due"] == "mediation"
    # so the period ends on the first working day after the holiday
    assert local(complaint.mediation_due) == date(2026, 10, 8)


def test_pause_for_testing_extends_mediation_by_the_paused_days(consumer, platform, mediator):
    # given a case in mediation
    complaint = complaint_in(
        "mediating", consumer=consumer, platform_code=platform.code, at=at(2026, 7, 21)
    )
    actor = Actor.of_user(mediator)
    original = local(complaint.mediation_due)
    # when the clock is paused for 12 days of product testing
    mediation_pause(complaint_id=complaint.pk, actor=actor, reason="送检鉴定", at=at(2026, 7, 25))
    complaint = mediation_resume(complaint_id=complaint.pk, actor=actor, at=at(2026, 8, 6))
    # then those days do not count: 21 July + 72 days is 1 October, a holiday,
    # so the period ends on the first working day after it
    assert complaint.mediation_paused_days == 12
    assert local(complaint.mediation_due) == date(2026, 10, 8)
    assert local(complaint.mediation_due) > original
    assert [e.name for e in complaint.events.all()][-2:] == [
        "mediation_paused",
        "mediation_resumed",
    ]


def test_pause_needs_a_reason_and_cannot_be_doubled(consumer, platform, mediator):
    from complaints.exceptions import DomainValidationError, TransitionForbidden

    complaint = complaint_in("mediating", consumer=consumer, platform_code=platform.code)
    actor = Actor.of_user(mediator)
    with pytest.raises(DomainValidationError):
        mediation_pause(complaint_id=complaint.pk, actor=actor, reason=" ")
    mediation_pause(complaint_id=complaint.pk, actor=actor, reason="鉴定")
    with pytest.raises(DomainValidationError):
        mediation_pause(complaint_id=complaint.pk, actor=actor, reason="鉴定")
    with pytest.raises(TransitionForbidden):
        mediation_resume(complaint_id=complaint.pk, actor=Actor.of_user(consumer))


def test_mediation_end_sets_the_seven_working_day_notice_deadline(consumer, platform, mediator):
    complaint = complaint_in(
        "mediating", consumer=consumer, platform_code=platform.code, at=at(2026, 9, 21)
    )
    complaint = complaint_transition(
        complaint_id=complaint.pk,
        name="fail_mediation",
        actor=Actor.of_user(mediator),
        at=at(2026, 9, 30),
        params={"reason_code": "party_absent", "reason": "商家未到场"},
    )
    # 1–7 Oct are holidays, Sat 10 Oct is a make-up workday
    assert local(complaint.notice_due) == date(2026, 10, 15)
    assert complaint.deadline_basis["notice_due"] == "mediation_notice"


def test_accepted_proposal_sets_the_default_fulfilment_window(consumer, platform):
    complaint = complaint_in(
        "settled", consumer=consumer, platform_code=platform.code, at=at(2026, 11, 2)
    )
    assert local(complaint.fulfilment_due) == local(complaint.settled_at) + timedelta(days=7)
