"""The mediation documents as PDFs: the agreement (调解协议书) and the end-of-mediation notice.

Pure rendering: the caller gathers the facts into a frozen dataclass, this module
formats them (Beijing time, amounts in figures and in capital numerals) and renders
an A4 PDF with WeasyPrint in a CJK font, as `evidence.certificate` does. No database
access, so the same inputs always give the same text. Signing is `mediation.signing`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.template.loader import render_to_string

# Shown in Beijing time whatever TIME_ZONE says: the documents are for Chinese parties.
SHANGHAI = ZoneInfo("Asia/Shanghai")
AGREEMENT_TEMPLATE = "mediation/agreement.html"
NOTICE_TEMPLATE = "mediation/notice.html"
NOTICE_KINDS = ("mediation_failed", "referred")


@dataclass(frozen=True)
class PartyConfirmation:
    """One party's online confirmation of the agreement, with where it came from."""

    party_label: str  # 消费者, 平台经营者, 商家
    name: str
    confirmed_at: datetime
    ip: str
    user_agent: str


@dataclass(frozen=True)
class AgreementDocument:
    """What a mediation agreement (调解协议书) states."""

    number: str  # 协议编号
    reference: str  # the complaint's reference
    consumer_name: str
    consumer_contact: str
    platform_name: str
    merchant_name: str
    merchant_credit_code: str  # 统一社会信用代码, may be ""
    merchant_address: str
    mediator_name: str
    centre_name: str  # 调解组织
    facts: str  # 争议事实
    terms: str  # 协议条款
    amount: Decimal  # yuan
    fulfilment_deadline: date
    confirmations: tuple[PartyConfirmation, ...]
    issued_at: datetime


@dataclass(frozen=True)
class NoticeDocument:
    """What a notice that mediation ended states: 终止调解告知书 or 引导告知书."""

    number: str
    reference: str
    consumer_name: str
    platform_name: str
    merchant_name: str
    mediator_name: str
    centre_name: str
    kind: str  # "mediation_failed" or "referred"
    reason_label: str  # the reason code's Chinese label, may be ""
    reason: str
    route_label: str  # for referrals: 仲裁, 诉讼, 行政执法, 法律援助; may be ""
    next_steps: tuple[str, ...]
    decided_at: datetime


# Amounts in capital numerals (大写金额).

_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_PLACES = ("", "拾", "佰", "仟")
_SECTIONS = ("", "万", "亿")  # each four digits; up to 9999亿
_LIMIT = Decimal(10) ** 12


def _section(value: int) -> str:
    """A number below 10,000 in capitals; zeros between digits become one 零."""
    text, zero = "", False
    for place in range(3, -1, -1):
        digit = value // 10**place % 10
        if digit == 0:
            zero = bool(text)
            continue
        if zero:
            text += "零"
            zero = False
        text += _DIGITS[digit] + _PLACES[place]
    return text


def _yuan(value: int) -> str:
    text, zero = "", False
    for index in range(len(_SECTIONS) - 1, -1, -1):
        section = value // 10 ** (4 * index) % 10**4
        if section == 0:
            zero = bool(text)
            continue
        # A gap before this section (a zero section, or fewer than four digits) reads 零.
        if text and (zero or section < 1000):
            text += "零"
        text += _section(section) + _SECTIONS[index]
        zero = False
    return text


def amount_in_chinese(amount: Decimal) -> str:
    """Yuan in capital numerals as on a bank form, e.g. 1005 -> 壹仟零伍元整.

    Follows the People's Bank rules for writing amounts (《支付结算办法》附件): 整 after an
    amount ending in 元, none after 角 or 分; 零 for zeros between digits (a run of
    zeros gives one); 元零X分 when the 角 is zero; and, of the two spellings the rules
    allow when the 元 digit is zero, the one with 零 before the 角, as in their examples
    (1680.32: 壹仟陆佰捌拾元零叁角贰分; 107000.53: 壹拾万柒仟元零伍角叁分). No "人民币"
    prefix: the document puts it in front. Raises ValueError for negative amounts,
    fractions of a fen and amounts of a trillion yuan or more.
    """
    amount = Decimal(amount)
    if not amount.is_finite() or amount < 0 or amount >= _LIMIT:
        raise ValueError(f"not an amount in yuan below 10^12: {amount}")
    fen_total = amount * 100
    if fen_total != fen_total.to_integral_value():
        raise ValueError(f"an amount in yuan has at most two decimal places: {amount}")
    yuan, fen = divmod(int(fen_total), 100)
    jiao, fen = divmod(fen, 10)
    if yuan == 0 and jiao == 0 and fen == 0:
        return "零元整"
    text = _yuan(yuan) + "元" if yuan else ""
    if yuan and (jiao or fen) and (yuan % 10 == 0 or not jiao):
        text += "零"
    if jiao:
        text += _DIGITS[jiao] + "角"
    if fen:
        text += _DIGITS[fen] + "分"
    if not jiao and not fen:
        text += "整"
    return text


def amount_in_figures(amount: Decimal) -> str:
    """Yuan with thousands separators and two places, e.g. 1,005.00."""
    return f"{Decimal(amount):,.2f}"


# Dates and times.


def beijing_time(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")


def chinese_date(day: date | datetime) -> str:
    """A date as written in documents, 2026年5月3日 (a datetime's day in Beijing)."""
    if isinstance(day, datetime):
        day = day.astimezone(SHANGHAI).date()
    return f"{day.year}年{day.month}月{day.day}日"


# Rendering.


def _pdf(html: str) -> bytes:
    # Imported here: WeasyPrint loads Pango through cffi, which only PDF work needs.
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    # The templates embed everything: no protocol allowed, so nothing reaches the network.
    return HTML(string=html, url_fetcher=URLFetcher(allowed_protocols=())).write_pdf()


def agreement_context(doc: AgreementDocument) -> dict:
    """What the agreement template shows, already formatted."""
    return {
        "doc": doc,
        "amount_figures": amount_in_figures(doc.amount),
        "amount_chinese": amount_in_chinese(doc.amount),
        "fulfilment_deadline": chinese_date(doc.fulfilment_deadline),
        "confirmations": [
            {
                "party_label": c.party_label,
                "name": c.name,
                "confirmed_at": beijing_time(c.confirmed_at),
                "ip": c.ip,
                "user_agent": c.user_agent,
            }
            for c in doc.confirmations
        ],
        "issued_on": chinese_date(doc.issued_at),
        "issued_at": beijing_time(doc.issued_at),
    }


def agreement_html(doc: AgreementDocument) -> str:
    return render_to_string(AGREEMENT_TEMPLATE, agreement_context(doc))


def agreement_pdf(doc: AgreementDocument) -> bytes:
    """Render the mediation agreement (调解协议书) as an A4 PDF."""
    return _pdf(agreement_html(doc))


def notice_context(doc: NoticeDocument) -> dict:
    """What the notice template shows, already formatted."""
    if doc.kind not in NOTICE_KINDS:
        raise ValueError(f"unknown notice kind {doc.kind!r}; expected one of {NOTICE_KINDS}")
    return {
        "doc": doc,
        "title": "终止调解告知书" if doc.kind == "mediation_failed" else "引导告知书",
        "referred": doc.kind == "referred",
        "decided_on": chinese_date(doc.decided_at),
        "decided_at": beijing_time(doc.decided_at),
    }


def notice_html(doc: NoticeDocument) -> str:
    return render_to_string(NOTICE_TEMPLATE, notice_context(doc))


def notice_pdf(doc: NoticeDocument) -> bytes:
    """Render the notice that mediation ended (failed, or referred elsewhere) as an A4 PDF."""
    return _pdf(notice_html(doc))
