"""The mediation agreement (调解协议书) and the end-of-mediation notices as PDFs.

Rendering takes about a second a PDF, so each document is rendered once per module
and the tests read the same bytes; checks of the markup alone use the HTML.
"""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from pypdf import PdfReader

from mediation.documents import (
    AgreementDocument,
    NoticeDocument,
    PartyConfirmation,
    agreement_html,
    agreement_pdf,
    amount_in_chinese,
    notice_html,
    notice_pdf,
)

HOSTILE_NAME = '<b>赵六</b> & "Co"'
USER_AGENT = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
)


def _text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages)


def _flat(text: str) -> str:
    """Text without whitespace: lines wrap anywhere in Chinese."""
    return "".join(text.split())


def agreement(**changes) -> AgreementDocument:
    fields = {
        "number": "TJ-20260503-0007",
        "reference": "WQ-20260420-0001",
        "consumer_name": "张三",
        "consumer_contact": "138****5678",
        "platform_name": "好物商城",
        "merchant_name": HOSTILE_NAME,
        "merchant_credit_code": "91330106MA2H0XXXXK",
        "merchant_address": "浙江省杭州市西湖区文三路 1 号",
        "mediator_name": "李调解",
        "centre_name": "维权消费纠纷在线调解中心",
        "facts": "消费者于 2026 年 4 月 1 日购买无线耳机一副。\n收货后发现左耳无声，商家拒绝退货。",
        "terms": "一、商家退还货款。\n二、消费者退回商品，运费由商家承担。",
        "amount": Decimal("1005.00"),
        "fulfilment_deadline": date(2026, 5, 10),
        "confirmations": (
            PartyConfirmation(
                party_label="消费者",
                name="张三",
                confirmed_at=datetime(2026, 5, 3, 1, 2, 3, tzinfo=UTC),
                ip="203.0.113.7",
                user_agent=USER_AGENT,
            ),
            PartyConfirmation(
                party_label="平台经营者",
                name="好物商城",
                confirmed_at=datetime(2026, 5, 3, 2, 30, 0, tzinfo=UTC),
                ip="2001:db8::1",
                user_agent="weiquan-platform-client/1.0",
            ),
        ),
        "issued_at": datetime(2026, 5, 3, 3, 0, tzinfo=UTC),
    }
    return AgreementDocument(**(fields | changes))


def notice(**changes) -> NoticeDocument:
    fields = {
        "number": "ZZ-20260601-0003",
        "reference": "WQ-20260420-0002",
        "consumer_name": "王五",
        "platform_name": "好物商城",
        "merchant_name": "优选数码专营店",
        "mediator_name": "李调解",
        "centre_name": "维权消费纠纷在线调解中心",
        "kind": "mediation_failed",
        "reason_label": "一方当事人表示无法达成调解协议",
        "reason": "商家书面表示不同意任何退款方案。",
        "route_label": "",
        "next_steps": ("向人民法院提起诉讼。", "根据仲裁协议申请仲裁。"),
        "decided_at": datetime(2026, 6, 1, 16, 30, tzinfo=UTC),  # 2 June in Beijing
    }
    return NoticeDocument(**(fields | changes))


@pytest.fixture(scope="module")
def agreement_text() -> str:
    pdf = agreement_pdf(agreement())
    assert pdf.startswith(b"%PDF-")
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (595, 842)
    return _text(pdf)


@pytest.fixture(scope="module")
def failed_notice_text() -> str:
    return _text(notice_pdf(notice()))


@pytest.fixture(scope="module")
def referral_text() -> str:
    return _text(
        notice_pdf(
            notice(
                kind="referred",
                reason_label="",
                reason="争议涉及产品质量鉴定，宜由仲裁机构处理。",
                route_label="仲裁",
                next_steps=("向杭州仲裁委员会申请仲裁。",),
            )
        )
    )


# Amounts in capital numerals.


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        ("0", "零元整"),
        ("0.01", "壹分"),
        ("0.05", "伍分"),
        ("0.10", "壹角"),
        ("0.11", "壹角壹分"),
        ("1", "壹元整"),
        ("10", "壹拾元整"),
        ("15", "壹拾伍元整"),
        ("10.05", "壹拾元零伍分"),
        ("100.50", "壹佰元零伍角"),
        ("500", "伍佰元整"),
        ("1005", "壹仟零伍元整"),
        ("1409.50", "壹仟肆佰零玖元伍角"),  # the People's Bank's own examples
        ("6007.14", "陆仟零柒元壹角肆分"),
        ("1680.32", "壹仟陆佰捌拾元零叁角贰分"),
        ("107000.53", "壹拾万柒仟元零伍角叁分"),
        ("16409.02", "壹万陆仟肆佰零玖元零贰分"),
        ("325.04", "叁佰贰拾伍元零肆分"),
        ("10000", "壹万元整"),
        ("100010", "壹拾万零壹拾元整"),
        ("10010000", "壹仟零壹万元整"),
        ("100000001", "壹亿零壹元整"),
        ("123456789.12", "壹亿贰仟叁佰肆拾伍万陆仟柒佰捌拾玖元壹角贰分"),
        ("999999999999.99", "玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分"),
    ],
)
def test_amounts_are_written_in_capital_numerals(amount, expected):
    assert amount_in_chinese(Decimal(amount)) == expected


@pytest.mark.parametrize("amount", ["-1", "0.001", "1000000000000", "NaN", "Infinity"])
def test_amounts_that_cannot_be_written_are_refused(amount):
    with pytest.raises(ValueError):
        amount_in_chinese(Decimal(amount))


# The agreement.


def test_the_agreement_names_the_parties_terms_and_amount(agreement_text):
    flat = _flat(agreement_text)
    for expected in [
        "调解协议书",
        "TJ-20260503-0007",
        "WQ-20260420-0001",
        "张三",
        "138****5678",
        "好物商城",
        "91330106MA2H0XXXXK",
        "李调解",
        "维权消费纠纷在线调解中心",
        "收货后发现左耳无声，商家拒绝退货。",
        "二、消费者退回商品，运费由商家承担。",
        "1,005.00",
        "人民币壹仟零伍元整",
        "2026年5月10日",
        "经调解达成的协议具有民事合同性质，当事人应当按照约定履行。",
    ]:
        assert expected in flat, expected
    assert "\u25a1" not in agreement_text and "\ufffd" not in agreement_text


def test_the_agreement_keeps_the_line_breaks_of_facts_and_terms(agreement_text):
    lines = agreement_text.splitlines()
    assert "一、商家退还货款。" in lines
    assert "二、消费者退回商品，运费由商家承担。" in lines


def test_the_agreement_lists_each_confirmation_in_beijing_time(agreement_text):
    flat = _flat(agreement_text)
    assert "2026-05-0309:02:03" in flat  # 01:02:03 UTC
    assert "2026-05-0310:30:00" in flat
    assert "203.0.113.7" in flat and "2001:db8::1" in flat
    assert _flat(USER_AGENT) in flat
    assert "2026年5月3日" in flat  # issued at 03:00 UTC, the same day in Beijing


def test_html_in_a_name_is_printed_not_interpreted(agreement_text):
    # given a merchant whose name is markup, then the PDF shows the characters
    assert _flat(HOSTILE_NAME) in _flat(agreement_text)
    # and the HTML carried them escaped
    html = agreement_html(agreement())
    assert "&lt;b&gt;赵六&lt;/b&gt; &amp; &quot;Co&quot;" in html
    assert "<b>赵六</b>" not in html


def test_markup_in_the_facts_is_escaped_and_only_newlines_become_breaks():
    html = agreement_html(agreement(facts="第一行<script>alert(1)</script>\n第二行"))
    assert "第一行&lt;script&gt;alert(1)&lt;/script&gt;<br>第二行" in html


def test_optional_merchant_details_are_left_out_when_empty():
    html = agreement_html(
        agreement(merchant_credit_code="", merchant_address="", consumer_contact="")
    )
    assert "统一社会信用代码" not in html
    assert "地址：" not in html
    assert "联系方式" not in html


# The notices.


def test_the_failure_notice_states_the_decision_reason_and_next_steps(failed_notice_text):
    flat = _flat(failed_notice_text)
    for expected in [
        "终止调解告知书",
        "ZZ-20260601-0003",
        "WQ-20260420-0002",
        "王五",
        "好物商城",
        "优选数码专营店",
        "未能达成调解协议",
        "一方当事人表示无法达成调解协议",
        "商家书面表示不同意任何退款方案。",
        "向人民法院提起诉讼。",
        "根据仲裁协议申请仲裁。",
        "2026年6月2日",
    ]:
        assert expected in flat, expected
    assert "\u25a1" not in failed_notice_text and "\ufffd" not in failed_notice_text


def test_the_referral_notice_names_the_route(referral_text):
    flat = _flat(referral_text)
    for expected in [
        "引导告知书",
        "引导途径仲裁",
        "通过仲裁途径解决",
        "争议涉及产品质量鉴定，宜由仲裁机构处理。",
        "向杭州仲裁委员会申请仲裁。",
    ]:
        assert expected in flat, expected
    assert "终止调解告知书" not in flat


def test_a_notice_without_next_steps_lists_the_statutory_routes():
    html = notice_html(notice(next_steps=()))
    assert "请求消费者协会或者依法成立的其他调解组织调解" in html


def test_a_notice_escapes_what_parties_wrote():
    html = notice_html(notice(reason="<img src=x onerror=alert(1)>", consumer_name=HOSTILE_NAME))
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<img" not in html
    assert "<b>赵六</b>" not in html


def test_an_unknown_notice_kind_is_refused():
    with pytest.raises(ValueError, match="unknown notice kind"):
        notice_html(notice(kind="closed"))
