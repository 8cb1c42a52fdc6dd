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
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from tests.e2e.conftest import E2E_DB, PASSWORD
from tests.helpers import PNG

pytestmark = [pytest.mark.e2e, E2E_DB]

CONSUMER_EMAIL = "wangfang@example.com"
DESCRIPTION = "收到的蓝牙耳机左耳无声，联系客服七天未处理。"


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


def test_the_whole_story(visitor, api_client, platform, mediator, regulator, mailoutbox):
    # given a platform with an API key, a mediator and a regulator for Shanghai (31)
    key = _mint_key(platform.code)
    assert key
    consumer = visitor("consumer")

    # the consumer signs up and files a complaint with an upload
    consumer_signs_up(consumer, mailoutbox)
    reference = consumer_files(consumer)
    assert reference
