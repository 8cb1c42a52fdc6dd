"""The whole story in a browser (issue 8): a consumer signs up and files with an upload,
staff accept, the platform answers through the API, the consumer declines, the mediator
drafts and issues the agreement both parties confirmed, the consumer downloads it, and
the regulator sees the figure move. Every page is saved at phone and desktop width.

One test, because each step needs the state the one before left (and pytest-xdist would
otherwise spread the steps over workers); each step is a function of its own.
"""

from __future__ import annotations

import re
from datetime import timedelta
from io import BytesIO, StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone
from pypdf import PdfReader

from tests.e2e.conftest import E2E_DB, PASSWORD
from tests.factories import UserFactory
from tests.helpers import PNG

pytestmark = [pytest.mark.e2e, E2E_DB]

CONSUMER_EMAIL = "wangfang@example.com"
DESCRIPTION = "收到的蓝牙耳机左耳无声，联系客服七天未处理。"
TERMS = "平台经营者于协议出具之日起7日内向消费者退款1000元。"


def _mint_key(code: str) -> str:
    """A platform key as an operator issues it (`create_api_key`, last line)."""
    out = StringIO()
    call_command("create_api_key", code, "--name", "e2e", stdout=out)
    return out.getvalue().rstrip("\n").splitlines()[-1]


def consumer_signs_up(consumer, mailoutbox) -> None:
    """Sign-up with an email address and the code mailed to it; lands on my complaints."""
    consumer.go("/accounts/signup/", "signup")
    page = consumer.page
    page.fill("#id_contact", CONSUMER_EMAIL)
    page.fill("#id_display_name", "王芳")
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    with page.expect_navigation():
        page.click("#signup-submit")
    assert consumer.path.startswith("/accounts/signup/verify/")
    consumer.snap("signup-verify")
    code = re.search(r"\b(\d{6})\b", mailoutbox[-1].body).group(1)
    page.fill("#id_code", code)
    with page.expect_navigation():
        page.click("#verify-submit")
    assert consumer.path == "/complaints/"
    consumer.snap("my-complaints-empty")


def consumer_files(consumer) -> str:
    """The filing wizard, step by step, then an evidence upload with its progress bar."""
    page = consumer.page
    with page.expect_navigation():
        page.click("#file-new")
    assert consumer.path == "/complaints/new/platform/"
    page.select_option("#id_platform", "shop")
    page.fill("#id_merchant_name", "优选数码专营店")
    # The region lists load one from the other (htmx).
    page.select_option("#id_province", "31")
    page.wait_for_selector("#id_city option[value='3101']", state="attached")
    page.select_option("#id_city", "3101")
    page.wait_for_selector("#id_region option[value='310115']", state="attached")
    page.select_option("#id_region", "310115")
    consumer.snap("file-platform")
    with page.expect_navigation():
        page.click("#file-next")

    assert consumer.path == "/complaints/new/order/"
    page.fill("#id_order_number", "SO-2026-0001")
    page.fill("#id_order_date", (timezone.localdate() - timedelta(days=5)).isoformat())
    page.select_option("#id_category", "electronics")
    page.fill("#id_amount_paid", "1299.00")
    consumer.snap("file-order")
    with page.expect_navigation():
        page.click("#file-next")

    assert consumer.path == "/complaints/new/problem/"
    page.select_option("#id_issue_type", "quality")
    page.fill("#id_description", DESCRIPTION)
    consumer.snap("file-problem")
    with page.expect_navigation():
        page.click("#file-next")

    assert consumer.path == "/complaints/new/demand/"
    page.select_option("#id_demand", "refund")
    page.fill("#id_amount_claimed", "1299.00")
    consumer.snap("file-demand")
    with page.expect_navigation():
        page.click("#file-next")

    assert consumer.path == "/complaints/new/review/"
    assert "优选数码专营店" in page.text_content("#review-summary")
    consumer.snap("file-review")
    with page.expect_navigation():
        page.click("#file-submit")

    match = re.fullmatch(r"/complaints/([A-Z0-9]+)/evidence/\?filed=1", consumer.path)
    assert match, consumer.path
    reference = match.group(1)
    consumer.snap("evidence-just-filed")
    page.set_input_files(
        "#id_file", files=[{"name": "receipt.png", "mimeType": "image/png", "buffer": PNG}]
    )
    page.select_option("#id_kind", index=0)
    page.fill("#id_description", "订单截图")
    page.click("#upload-submit")  # htmx posts it and swaps the list in place
    page.wait_for_selector("#evidence-files >> text=receipt.png")
    consumer.snap("evidence-uploaded")
    with page.expect_navigation():
        page.click("#evidence-done")
    assert consumer.path == f"/complaints/{reference}/"
    assert page.get_attribute("#complaint-status", "class").endswith("status-submitted")
    consumer.snap("complaint-submitted")
    return reference


def regulator_sees_total(regulator) -> int:
    """The dashboard's headline total for the regulator's region (31, Shanghai)."""
    regulator.go("/regulator/")
    return int(regulator.page.text_content("#figure-total").replace(",", "").strip())


def staff_accept(staff, reference: str) -> None:
    """The acceptance queue, nearest deadline first: accept from the queue."""
    staff.go("/staff/", "queue")
    assert staff.page.is_visible(f"#queue-{reference}")
    with staff.page.expect_navigation():
        staff.page.click(f"#accept-{reference}-submit")
    assert staff.path == "/staff/"
    assert not staff.page.is_visible(f"#queue-{reference}")
    staff.snap("queue-after-accept")


def platform_responds(platform_api, reference: str) -> None:
    """The platform's system answers with a proposal (Api-Key, docs/api.md)."""
    listed = platform_api.get("/api/v1/complaints/?status=awaiting_response")
    assert listed.ok, listed.text()
    assert reference in [c["reference"] for c in listed.json()["results"]]
    answer = platform_api.post(
        f"/api/v1/complaints/{reference}/transitions/respond/",
        data={
            "resolution": "refund",
            "amount": "300.00",
            "message": "经核实，同意退款300元，3个工作日内原路退回。",
        },
        headers={"Idempotency-Key": f"respond-{reference}"},
    )
    assert answer.ok, answer.text()
    assert answer.json()["status"] == "responded"


def consumer_declines(consumer, reference: str) -> None:
    """The proposal is on the complaint page; declining (after a confirm) asks for mediation."""
    consumer.go(f"/complaints/{reference}/", "complaint-responded")
    page = consumer.page
    assert "300.00" in page.text_content("#proposal")
    page.fill("#id_decline_proposal-reason", "只退300元不够，耳机实付1299元。")
    with page.expect_navigation():
        page.click("#action-decline_proposal-submit")
    assert consumer.questions, "declining asks before it submits (data-confirm)"
    assert page.get_attribute("#complaint-status", "class").endswith("status-mediating")
    consumer.snap("complaint-mediating")


def mediator_drafts(mediator, reference: str) -> None:
    """The mediator (assigned on entering mediation) finds the case and drafts the agreement."""
    mediator.go("/mediator/", "my-cases")
    with mediator.page.expect_navigation():
        mediator.page.click(f"#case-{reference} a")
    assert mediator.path == f"/mediator/cases/{reference}/"
    mediator.snap("case")
    page = mediator.page
    page.fill("#id_agreement-facts", "消费者购买的蓝牙耳机左耳无声，双方就退款金额发生争议。")
    page.fill("#id_agreement-terms", TERMS)
    page.fill("#id_agreement-amount", "1000.00")
    page.fill("#id_agreement-fulfilment_days", "7")
    with page.expect_navigation():
        page.click("#agreement-submit")
    assert TERMS in page.text_content("#agreement-draft")
    mediator.snap("agreement-drafted")


def parties_confirm(consumer, platform_api, reference: str) -> None:
    """Both parties confirm the version they read: the platform through its API, the
    consumer on the case's mediation page, reached from the complaint page."""
    draft = platform_api.get(f"/api/v1/complaints/{reference}/agreement/")
    assert draft.ok, draft.text()
    assert draft.json()["terms"] == TERMS
    confirmed = platform_api.post(
        f"/api/v1/complaints/{reference}/agreement/confirm/",
        data={"version": draft.json()["version"]},
    )
    assert confirmed.status == 201, confirmed.text()

    consumer.go(f"/complaints/{reference}/")
    page = consumer.page
    with page.expect_navigation():
        page.click("#mediation-link")
    assert consumer.path == f"/mediation/{reference}/"
    assert TERMS in page.text_content("#agreement-draft")
    consumer.snap("mediation-draft")
    page.check("#id_confirm-agree")
    asked = len(consumer.questions)
    with page.expect_navigation():
        page.click("#confirm-submit")
    assert len(consumer.questions) == asked + 1, "confirming asks first (data-confirm)"
    assert "已确认" in page.text_content("#confirmed-consumer")
    assert "已确认" in page.text_content("#confirmed-platform")
    consumer.snap("mediation-confirmed")


def mediator_issues(mediator, reference: str) -> None:
    """Both confirmations are shown; issuing signs the agreement (→ settled)."""
    mediator.go(f"/mediator/cases/{reference}/")
    page = mediator.page
    assert "已确认" in page.text_content("#confirmation-consumer")
    assert "已确认" in page.text_content("#confirmation-platform")
    mediator.snap("both-confirmed")
    with page.expect_navigation():
        page.click("#issue-submit")
    assert page.get_attribute("#complaint-status", "class").endswith("status-settled")
    mediator.snap("agreement-issued")


def consumer_downloads_agreement(consumer, reference: str) -> bytes:
    """The settled complaint offers the signed agreement; it downloads as a PDF."""
    consumer.go(f"/complaints/{reference}/", "complaint-settled")
    page = consumer.page
    assert page.get_attribute("#complaint-status", "class").endswith("status-settled")
    assert TERMS in page.text_content("main")
    with page.expect_download() as download:
        page.click("#agreement-download")
    return Path(download.value.path()).read_bytes()


def test_the_whole_story(visitor, api_client, platform, mailoutbox):
    # given a platform with an API key, staff, a mediator and a regulator for Shanghai (31)
    platform_api = api_client(_mint_key(platform.code))
    for role, extra in (("staff", {}), ("mediator", {}), ("regulator", {"region_prefix": "31"})):
        UserFactory(username=f"e2e-{role}", role=role, password=PASSWORD, **extra)
    consumer = visitor("consumer")
    staff = visitor("staff", desktop=True)
    mediator = visitor("mediator", desktop=True)
    regulator = visitor("regulator", desktop=True)

    # the regulator's dashboard counts no complaint in Shanghai yet
    regulator.log_in("e2e-regulator")
    assert regulator_sees_total(regulator) == 0
    regulator.snap("dashboard-before")

    # a consumer signs up and files a complaint with an upload
    consumer_signs_up(consumer, mailoutbox)
    reference = consumer_files(consumer)

    # staff accept it from the queue
    staff.log_in("e2e-staff", snap=False)
    staff_accept(staff, reference)

    # the platform answers through the API; the consumer declines on the complaint page
    platform_responds(platform_api, reference)
    consumer_declines(consumer, reference)

    # the mediator, assigned automatically, drafts; both confirm; the mediator issues it
    mediator.log_in("e2e-mediator", snap=False)
    mediator_drafts(mediator, reference)
    parties_confirm(consumer, platform_api, reference)
    mediator_issues(mediator, reference)

    # the consumer downloads the signed agreement (rendered by the eager Celery task)
    pdf = consumer_downloads_agreement(consumer, reference)
    assert pdf.startswith(b"%PDF-") and b"/ByteRange" in pdf  # a PDF, signed (PAdES)
    text = "".join(page.extract_text() for page in PdfReader(BytesIO(pdf)).pages)
    assert "王芳" in text and "1000" in text

    # and the regulator sees the figure move
    assert regulator_sees_total(regulator) == 1
    regulator.snap("dashboard-after")
