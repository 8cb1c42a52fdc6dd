"""Every page the story visits fits a 375-pixel-wide phone: no sideways scrolling of the
page itself (document.documentElement.scrollWidth <= 375). Wide tables may scroll inside
their own `.table-wrap`; the page may not.

The states come from the services (faster than the story's clicks), the people are signed
in with a session cookie, and the PDFs are not rendered (`quick_documents`): this test is
about layout. tests/e2e/test_story.py walks the same pages through the real actions.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from complaints.actors import Actor
from complaints.services import complaint_transition
from evidence.models import UPLOAD_KINDS
from evidence.services import evidence_upload
from tests.e2e.conftest import E2E_DB, PASSWORD, PHONE
from tests.factories import UserFactory
from tests.helpers import PNG
from tests.states import agreement_confirmed, complaint_in

pytestmark = [pytest.mark.e2e, E2E_DB]

TERMS = "平台经营者于协议出具之日起7日内向消费者退款1000元。"


def _draft() -> dict:
    """A filing wizard's draft as the session keeps it (complaints/web/filing.py)."""
    return {
        "platform": "shop",
        "merchant_name": "优选数码专营店",
        "province": "31",
        "city": "3101",
        "region": "310115",
        "order_number": "SO-2026-0001",
        "order_date": (timezone.localdate() - timedelta(days=5)).isoformat(),
        "category": "electronics",
        "amount_paid": "1299.00",
        "issue_type": "quality",
        "description": "收到的蓝牙耳机左耳无声，联系客服七天未处理。" * 5,
        "demand": "refund",
        "amount_claimed": "1299.00",
    }


@pytest.fixture
def cases(platform, quick_documents):
    """A consumer's complaints in the states the story shows, with its people."""
    people = {
        role: UserFactory(username=f"e2e-{role}", role=role, password=PASSWORD, **extra)
        for role, extra in (
            ("consumer", {"display_name": "王芳"}),
            ("staff", {}),
            ("mediator", {}),
            ("regulator", {"region_prefix": "31"}),
        )
    }
    consumer = people["consumer"]
    submitted = complaint_in("submitted", consumer=consumer, platform_code=platform.code)
    evidence_upload(
        complaint_id=submitted.pk,
        actor=Actor.of_user(consumer),
        data=PNG,
        file_name="receipt-with-a-rather-long-file-name-from-a-phone-camera-20261127.png",
        kind=UPLOAD_KINDS[0].value,
        description="订单截图",
    )
    responded = complaint_in("responded", consumer=consumer, platform_code=platform.code)
    drafted = complaint_in("mediating", consumer=consumer, platform_code=platform.code)
    agreement_confirmed(drafted, terms=TERMS, amount="1000.00")
    settled = complaint_in("mediating", consumer=consumer, platform_code=platform.code)
    agreement_confirmed(settled, terms=TERMS, amount="1000.00")
    complaint_transition(
        complaint_id=settled.pk,
        name="sign_agreement",
        actor=Actor.of_user(people["mediator"]),
        params={"terms": TERMS, "amount": "1000.00", "fulfilment_days": 7},
    )
    refs = {
        "submitted": submitted.reference,
        "responded": responded.reference,
        "mediating": drafted.reference,
        "settled": settled.reference,
    }
    return people, refs


def _pages(refs: dict) -> dict[str, list[str]]:
    """Who sees which pages: the story's pages, by the person who visits them."""
    s, r, m, d = refs["submitted"], refs["responded"], refs["mediating"], refs["settled"]
    return {
        "anonymous": ["/accounts/login/", "/accounts/signup/"],
        "consumer": [
            "/complaints/",
            *(f"/complaints/new/{step}/" for step in ("platform", "order", "problem", "demand")),
            "/complaints/new/review/",
            f"/complaints/{s}/evidence/?filed=1",
            *(f"/complaints/{ref}/" for ref in (s, r, m, d)),
            f"/mediation/{m}/",
        ],
        "staff-unverified": ["/accounts/2fa/setup/"],
        "staff": ["/staff/"],
        "mediator": ["/mediator/", f"/mediator/cases/{m}/", f"/mediator/cases/{d}/"],
        "regulator": ["/regulator/"],
    }


def test_no_page_of_the_story_scrolls_sideways_on_a_phone(visitor, cases, mailoutbox):
    people, refs = cases
    too_wide: list[str] = []
    visited = 0

    def check(who, path: str) -> None:
        nonlocal visited
        who.go(path)
        visited += 1
        width = who.page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            who.snap(f"too-wide-{path}")
            too_wide.append(f"{who.name} {path}: {width}px")

    for name, paths in _pages(refs).items():
        who = visitor(name)
        if name == "consumer":
            who.session_of(people["consumer"], filing_draft=_draft())
        elif name == "staff-unverified":
            who.session_of(people["staff"], verified=False)
        elif name != "anonymous":
            who.session_of(people[name])
        for path in paths:
            check(who, path)
        if name == "anonymous":
            # the sign-up's second page, with the code the email carries
            who.page.fill("#id_contact", "wangfang@example.com")
            who.page.fill("#id_display_name", "王芳")
            who.page.fill("#id_password1", PASSWORD)
            who.page.fill("#id_password2", PASSWORD)
            with who.page.expect_navigation():
                who.page.click("#signup-submit")
            assert who.path == "/accounts/signup/verify/"
            check(who, who.path)

    assert visited == sum(len(p) for p in _pages(refs).values()) + 1
    assert not too_wide, "pages wider than a 375 px phone:\n" + "\n".join(too_wide)
