"""Demo data for `make run`: parties, deposits, an API key and complaints in every state.

Idempotent: parties are found by their natural keys and left alone when they
exist, deposits by their reference; the complaints are seeded only while the demo
consumer has none. Every complaint is reached through the services with the acting
party, dated in the past step by step, so that its deadlines are realistic and none
of them has passed unhandled: the deadline sweep finds nothing to do right after
seeding. Mediation is worked the same way: sessions, notes, a mediator's proposal,
agreements drafted and confirmed by both parties before they are signed, advance
compensation paid out of (or held up by) the platform's deposit, and recoveries.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.core.management.base import BaseCommand, CommandError
from django.db import models, transaction
from django.utils import timezone

from api.keys import api_key_create
from api.models import ApiKey
from complaints.actors import Actor
from complaints.choices import Role, Status
from complaints.exceptions import WeiquanError
from complaints.models import Complaint, Merchant, Platform, User
from complaints.services import complaint_file, fulfilment_report, mediation_pause
from complaints.sweep import RULES as SWEEP_RULES
from complaints.sweep import rule_apply
from complaints.validators import uscc_check_character
from evidence.log import checkpoint_current
from mediation.agreements import agreement_confirm, agreement_draft
from mediation.compensation import recovery_recover, recovery_write_off
from mediation.exceptions import CompensationBlocked
from mediation.models import (
    Agreement,
    GuaranteeDepositEntry,
    MediationProposal,
    MediationSession,
    Recovery,
)
from mediation.services import (
    case_note_add,
    guarantee_deposit_record,
    mediation_proposal_reply,
    mediation_propose,
    session_record,
    session_schedule,
    transition_fire,
)

DEMO_PASSWORD = "weiquan-demo-2026"  # noqa: S105 - published demo credentials
SWEEP_RULE = {rule.name: rule for rule in SWEEP_RULES}


def _uscc(first17: str) -> str:
    """A unified social credit code with its GB 32100-2015 check character."""
    return first17 + uscc_check_character(first17)


PLATFORMS = [
    {
        "code": "shop",
        "name": "好物商城",
        "response_days": 10,
        "advance_compensation_committed": True,
        "advance_compensation_cap": Decimal("5000.00"),
        "notice_email": "complaints@shop.example",
        "notice_phone": "400-820-0001",
        "domicile_region": "310115",
    },
    {
        "code": "mall",
        "name": "万家购物",
        "response_days": 10,
        "notice_email": "kefu@mall.example",
        "notice_phone": "400-571-0002",
        "domicile_region": "330106",
    },
    {
        "code": "fresh",
        "name": "鲜果到家",
        "response_days": 7,
        "notice_email": "service@fresh.example",
        "notice_phone": "400-755-0003",
        "domicile_region": "440305",
    },
]

MERCHANTS = [
    (
        "shop",
        {
            "name": "优选数码专营店",
            "credit_code": _uscc("91310115MA1K3L8Q2"),
            "address": "上海市浦东新区张江路88号3幢501室",
            "contact": "021-50801234",
            "region": "310115",
        },
    ),
    # Identity unknown to the platform: CRPL art. 44 makes advance compensation available.
    ("shop", {"name": "美妆小铺", "credit_code": "", "address": "", "contact": "", "region": ""}),
    (
        "mall",
        {
            "name": "杭州悦居家居旗舰店",
            "credit_code": _uscc("91330106MA2H4P7C5"),
            "address": "浙江省杭州市西湖区文三路398号",
            "contact": "0571-88012345",
            "region": "330106",
        },
    ),
    (
        "mall",
        {
            "name": "潮流服饰旗舰店",
            "credit_code": _uscc("91330102MA2K7D3X6"),
            "address": "浙江省杭州市上城区解放路158号",
            "contact": "0571-87065432",
            "region": "330102",
        },
    ),
    (
        "fresh",
        {
            "name": "南山鲜果合作社",
            "credit_code": _uscc("91440305MA5F8R2N3"),
            "address": "广东省深圳市南山区科技园南路12号",
            "contact": "0755-26661234",
            "region": "440305",
        },
    ),
    (
        "fresh",
        {
            "name": "天河生鲜直供",
            "credit_code": _uscc("92440106MA9W6T1E7"),
            "address": "广东省广州市天河区天河路208号",
            "contact": "020-38881234",
            "region": "440106",
        },
    ),
]

USERS = [
    {
        "username": "admin",
        "role": Role.STAFF,
        "display_name": "系统管理员",
        "email": "admin@weiquan.example",
        "is_staff": True,
        "is_superuser": True,
    },
    {
        "username": "staff",
        "role": Role.STAFF,
        "display_name": "王芳",
        "email": "staff@weiquan.example",
        "is_staff": True,
    },
    {
        "username": "mediator",
        "role": Role.MEDIATOR,
        "display_name": "赵敏",
        "email": "mediator@weiquan.example",
    },
    {
        "username": "mediator2",
        "role": Role.MEDIATOR,
        "display_name": "陈刚",
        "email": "mediator2@weiquan.example",
        "mediator_categories": ["electronics", "communication"],
    },
    {
        "username": "consumer",
        "role": Role.CONSUMER,
        "display_name": "张三",
        "email": "zhangsan@example.com",
        "phone": "13800138001",
    },
    {
        "username": "consumer2",
        "role": Role.CONSUMER,
        "display_name": "李四",
        "phone": "13900139002",
    },
    {
        "username": "regulator",
        "role": Role.REGULATOR,
        "display_name": "上海市市场监督管理局",
        "email": "regulator@weiquan.example",
        "region_prefix": "31",
    },
    {
        "username": "platform-shop",
        "role": Role.PLATFORM,
        "display_name": "好物商城客服",
        "email": "kefu@shop.example",
        "platform": "shop",
    },
]

# Guarantee deposits (保证金), found again by their reference. Recorded before any
# complaint is played, and dated before every payout: a payout is paid out of the
# balance as it stood at its time. shop's covers its payouts; mall's is too small
# for the compensation it owes, so that case stays held up until mall tops it up.
DEPOSITS = [
    ("shop", "100000.00", "DEMO-SHOP-DEP-0001", "先行赔付保证金首次缴存", (90, 10, 0)),
    ("mall", "300.00", "DEMO-MALL-DEP-0001", "先行赔付保证金首次缴存（待补足）", (60, 10, 0)),
]

# Where a party confirmed an agreement from (documentation addresses, RFC 5737) and
# with what browser: the agreement PDF lists both for each confirmation.
BROWSERS = {
    "web": (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"
    ),
    "mobile": (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
    ),
    "platform": (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0"
    ),
}
PLATFORM_IPS = {"shop": "203.0.113.201", "mall": "203.0.113.202", "fresh": "203.0.113.203"}


# A step's time: days ago (at a time of day derived from the number), (days, hour,
# minute), or a function of the complaint as it stands (e.g. just after a deadline).
When = int | tuple[int, int, int] | Callable[[Complaint], datetime]
Step = tuple[When, str, str, dict]


def after(field_name: str, delta: timedelta = timedelta(hours=1)) -> Callable:
    """Just after (or, with a negative delta, before) a deadline set on the complaint."""

    def when(complaint: Complaint) -> datetime:
        return getattr(complaint, field_name) + delta

    return when


def accept(when: When) -> Step:
    return when, "accept", "staff", {}


def respond(when: When, resolution: str, message: str, amount: str | None = None) -> Step:
    params = {"resolution": resolution, "message": message}
    if amount is not None:
        params["amount"] = amount
    return when, "respond", "platform", params


def act(when: When, name: str, role: str, **params: object) -> Step:
    return when, name, role, params


def sweep(when: When, rule: str) -> Step:
    """The deadline sweep's own rule, applied to this complaint when its deadline passed."""
    return when, f"rule:{rule}", "system", {}


def agreement(
    drafted: When,
    consumer_confirmed: When,
    platform_confirmed: When,
    signed: When,
    *,
    facts: str,
    terms: str,
    amount: str,
    fulfilment_days: int,
) -> list[Step]:
    """The mediator drafts the agreement, both parties confirm it online, the mediator signs.

    `sign_agreement` issues only a draft both parties confirmed, with the same terms,
    amount and fulfilment days: one set of values here feeds the draft and the signature.
    """
    content = {"terms": terms, "amount": amount, "fulfilment_days": fulfilment_days}
    return [
        act(drafted, "draft_agreement", "mediator", facts=facts, **content),
        act(consumer_confirmed, "confirm_agreement", "consumer"),
        act(platform_confirmed, "confirm_agreement", "platform"),
        act(signed, "sign_agreement", "mediator", **content),
    ]


@dataclass
class Scenario:
    consumer: str
    platform: str
    merchant: str
    region: str
    claim: tuple[str, str, str, str, str]  # category, issue type, demand, paid, claimed
    description: str
    filed: When
    steps: list[Step] = field(default_factory=list)
    channel: str = "web"
    order_days: int = 6  # days between the order and the complaint


# fmt: off
# A table: one complaint per entry, its steps in time order (days ago, hour, minute).
SCENARIOS: list[Scenario] = [
    # submitted (已提交)
    Scenario("consumer", "shop", "优选数码专营店", "310115",
             ("electronics", "quality", "refund", "1299.00", "1299.00"),
             "购买的蓝牙降噪耳机使用三天后左耳无声。联系店铺客服要求退货退款，客服以“人为损坏”"
             "为由拒绝，但耳机没有任何磕碰痕迹，包装盒和发票都在。",
             (1, 9, 20)),
    Scenario("consumer2", "mall", "杭州悦居家居旗舰店", "330106",
             ("home", "delivery", "refund", "2680.00", "2680.00"),
             "订购的实木餐桌页面承诺15天内发货，下单已超过30天仍未发货，多次催促商家均回复"
             "“排产中”。要求取消订单并全额退款。",
             (2, 14, 5), order_days=32),
    Scenario("consumer", "fresh", "南山鲜果合作社", "440305",
             ("food", "quality", "refund", "168.00", "168.00"),
             "购买的5斤装阳光玫瑰葡萄到货时多串腐烂发霉，收货当天拍照联系客服，客服只同意补偿"
             "10元优惠券，要求全额退款。",
             (3, 20, 40), channel="mobile", order_days=2),
    # Left unaccepted past the 7 working days: flagged for staff (Order 121 art. 15).
    Scenario("consumer2", "mall", "潮流服饰旗舰店", "110105",
             ("apparel", "seven_day_return", "return", "459.00", "459.00"),
             "签收第三天申请七日无理由退货，商家以“吊牌已拆”为由拒绝。商品页面并未注明拆吊牌"
             "不予退货，衣服未穿着、不影响二次销售。",
             (25, 11, 0),
             [sweep(after("acceptance_due", timedelta(minutes=15)), "acceptance_overdue")]),

    # rejected (不予受理)
    Scenario("consumer2", "shop", "美妆小铺", "310115",
             ("cosmetics", "counterfeit", "compensation", "399.00", "1197.00"),
             "在店铺购买的进口口红疑似假货，颜色和气味与专柜明显不同，要求退一赔三。",
             (12, 16, 30),
             [act((10, 10, 5), "reject", "staff", reason_code="handled_elsewhere",
                  reason="经核实，投诉人已就同一争议向上海市浦东新区人民法院提起诉讼，"
                         "法院已立案受理。")]),
    Scenario("consumer", "mall", "杭州悦居家居旗舰店", "330102",
             ("other", "contract", "refund", "5000.00", "5000.00"),
             "一次性订购200套餐具用于本人经营的餐馆，到货后部分破损，商家只同意补发不同意退款。",
             (9, 15, 10),
             [act((8, 9, 45), "reject", "staff", reason_code="not_consumer_dispute",
                  reason="所购商品用于经营活动，非为生活消费需要，不属于消费者权益争议。")]),

    # awaiting_response (待平台处理)
    Scenario("consumer", "shop", "优选数码专营店", "310104",
             ("communication", "after_sales", "repair", "3999.00", "3999.00"),
             "新买的手机充电时机身严重发烫并自动关机，申请保修时被告知需自费199元检测，"
             "要求免费维修或换新。",
             (4, 10, 12), [accept((3, 9, 30))], order_days=20),
    Scenario("consumer2", "mall", "杭州悦居家居旗舰店", "330110",
             ("home", "false_advertising", "compensation", "899.00", "500.00"),
             "商品页面宣称床垫为“100%天然乳胶”，到货后标签显示乳胶含量仅为20%，属于虚假宣传，"
             "要求赔偿差价。",
             (5, 21, 15), [accept((2, 10, 0))], order_days=10),
    Scenario("consumer", "fresh", "天河生鲜直供", "440106",
             ("food", "safety", "compensation", "89.90", "1000.00"),
             "购买的冷冻虾仁外包装无生产日期和检验合格标识，家人食用后出现腹泻。依据食品安全法"
             "第一百四十八条要求赔偿一千元。",
             (3, 8, 50), [accept((1, 11, 20))], order_days=3),
    Scenario("consumer2", "shop", "美妆小铺", "310106",
             ("cosmetics", "price", "refund", "268.00", "80.00"),
             "下单次日同款精华降价80元，店铺承诺“保价30天”，申请价保被拒，要求退还差价。",
             (6, 13, 0), [accept((4, 15, 40))]),

    # responded (平台已答复)
    Scenario("consumer", "shop", "优选数码专营店", "310115",
             ("electronics", "quality", "exchange", "2499.00", "2499.00"),
             "扫地机器人使用一周后无法自动回充，客服远程指导重置无效，要求换新。",
             (9, 19, 30),
             [accept((8, 10, 15)),
              respond((2, 16, 0), "exchange",
                      "经售后检测确认为充电座故障，同意为您换新机，请在订单页提交换货申请，"
                      "往返运费由商家承担。", "2499.00")]),
    Scenario("consumer2", "mall", "潮流服饰旗舰店", "330106",
             ("apparel", "quality", "refund", "329.00", "329.00"),
             "购买的羊毛大衣第一次干洗后严重缩水起球，洗涤标签标注可干洗，要求全额退款。",
             (10, 12, 0),
             [accept((9, 9, 10)),
              respond((3, 17, 25), "refund", "商家同意部分退款150元，商品无需退回。", "150.00")]),
    Scenario("consumer", "fresh", "南山鲜果合作社", "440304",
             ("food", "delivery", "refund", "236.00", "236.00"),
             "预订的生日水果拼盘晚到6个小时，已过生日宴时间，且水果已不新鲜，要求退款。",
             (6, 22, 10),
             [accept((5, 10, 30)),
              respond((1, 14, 50), "decline",
                      "配送记录显示订单已签收，延误系第三方物流造成，请向物流公司索赔。")],
             order_days=1),

    # mediating (调解中)
    Scenario("consumer", "shop", "优选数码专营店", "310115",
             ("electronics", "quality", "refund", "4599.00", "4599.00"),
             "笔记本电脑使用半个月后屏幕出现竖向亮线，商家称系挤压所致拒绝保修。电脑一直放在"
             "电脑包内，从未受压，要求退货退款。",
             (30, 10, 40),
             [accept((29, 9, 0)),
              respond((25, 15, 0), "decline", "经检测屏幕亮线为外力挤压造成，不属于保修范围。"),
              act((22, 20, 15), "decline_proposal", "consumer",
                  reason="电脑从未受压，要求第三方检测。"),
              # A session held online, with its minutes (调解笔录), then a private note.
              act((21, 10, 0), "schedule_session", "mediator", scheduled_at=(20, 14, 0),
                  channel="online", location="https://meeting.weiquan.example/r/4599-0320",
                  participants=["张三（消费者）", "好物商城客服", "优选数码专营店售后主管"]),
              act((20, 15, 30), "hold_session", "mediator",
                  minutes="调解员主持线上调解会议。消费者陈述：电脑购买后一直放在电脑包内使用，"
                          "从未受压，屏幕竖向亮线系产品质量问题，要求退货退款。商家陈述：售后检测"
                          "发现屏幕边框有轻微形变，认为系外力挤压所致。经调解员释明，双方同意委托"
                          "具备资质的第三方检测机构对屏幕进行质量鉴定，鉴定费用由商家先行垫付，"
                          "最终由责任方承担；鉴定结论作出后再行调解。"),
              act((20, 16, 10), "note", "mediator",
                  body="会后与商家售后主管电话确认：电脑由商家安排顺丰上门取件，送上海市质量"
                       "监督检验技术研究院检测。已提醒消费者保留电脑包和屏幕亮线的照片、视频。"),
              # Testing stops the mediation clock (Order 121 art. 22).
              act((18, 14, 0), "pause", "mediator",
                  reason="双方同意送第三方检测机构对屏幕进行质量鉴定，鉴定期间调解期限中止计算。")],
             order_days=20),
    Scenario("consumer2", "mall", "杭州悦居家居旗舰店", "330212",
             ("home", "after_sales", "repair", "1599.00", "1599.00"),
             "空气净化器使用两个月后风机异响，申请保修后商家一直不回复，已超过承诺的处理时限。",
             (45, 9, 40),
             [accept((44, 10, 20)),
              # The platform let its response deadline pass: the consumer escalates.
              act(after("response_due", timedelta(hours=10)), "escalate", "consumer"),
              act((3, 17, 20), "note", "mediator",
                  body="商家此前未回复保修申请。已通过平台联系到商家售后负责人，对方称工单系统"
                       "漏单，同意参加视频调解，并准备维修记录和备件库存情况。"),
              # A video session two days from now, not held yet.
              act((2, 10, 30), "schedule_session", "mediator", scheduled_at=(-2, 14, 30),
                  channel="video", location="视频会议号 836 2741 9952（入会密码 0715）",
                  participants=["李四（消费者）", "万家购物客服", "杭州悦居家居旗舰店售后负责人"])],
             order_days=70),
    Scenario("consumer", "fresh", "天河生鲜直供", "440106",
             ("food", "refund", "refund", "520.00", "520.00"),
             "办理了水果配送年卡，因搬家申请退卡，剩余12次配送未使用，商家只同意退200元。",
             (20, 18, 0),
             [accept((19, 9, 50)),
              respond((15, 11, 0), "refund", "按年卡条款扣除会员权益费后，可退还200元。",
                      "200.00"),
              act((12, 21, 30), "decline_proposal", "consumer",
                  reason="年卡条款未对扣除权益费作出提示，应按剩余次数退款520元。"),
              # The mediator's proposal: the consumer accepted, the platform has not answered.
              act((8, 10, 0), "propose", "mediator", amount="380.00",
                  terms="一、商家按未使用的12次配送折算退还年卡费用380元（扣除年卡已享受的"
                        "折扣差价140元）；二、款项于3日内原路退回消费者支付账户；"
                        "三、年卡自退款之日起注销。"),
              act((7, 21, 5), "reply_proposal", "consumer", reply="accepted",
                  comment="同意调解方案，请商家尽快退款。")],
             order_days=120),
    Scenario("consumer2", "shop", "优选数码专营店", "110108",
             ("communication", "false_advertising", "compensation", "1899.00", "600.00"),
             "平板电脑详情页标注“支持5G全网通”，到货后发现仅为WiFi版本，与宣传不符。",
             (16, 13, 20),
             [accept((15, 10, 10)),
              respond((11, 16, 45), "compensation", "同意补偿100元无门槛购物券，商品可正常使用。",
                      "100.00"),
              act((9, 19, 0), "decline_proposal", "consumer",
                  reason="购物券不能弥补损失，要求退还差价600元。"),
              act((8, 11, 0), "note", "mediator",
                  body="已调取商品详情页快照：投诉时页面确有“支持5G全网通”字样，商家于投诉"
                       "次日修改了页面。拟建议商家退还5G版与WiFi版的差价。"),
              act((6, 15, 40), "note", "staff",
                  body="该店铺近三个月另有两件同类虚假宣传投诉，已提示平台核查商品页面。")]),

    # settled (已达成协议)
    Scenario("consumer", "mall", "潮流服饰旗舰店", "330106",
             ("apparel", "quality", "return", "699.00", "699.00"),
             "羽绒服穿着一周后严重跑绒，衣服表面布满绒毛，要求退货退款。",
             (10, 9, 15),
             [accept((9, 11, 0)),
              respond((6, 15, 30), "return", "同意退货退款，请在7日内寄回商品，运费由商家承担。",
                      "699.00"),
              act((2, 20, 0), "accept_proposal", "consumer")]),
    Scenario("consumer2", "shop", "优选数码专营店", "310115",
             ("electronics", "after_sales", "repair", "3299.00", "3299.00"),
             "洗碗机安装后第二周底部漏水，泡坏了橱柜踢脚板，商家上门两次未修好。",
             (28, 10, 0),
             [accept((27, 9, 30)),
              respond((24, 14, 0), "decline", "漏水系安装时进水管未拧紧，与产品质量无关。"),
              act((21, 19, 40), "decline_proposal", "consumer", reason="安装由商家安排。"),
              *agreement((4, 10, 0), (3, 9, 40), (3, 11, 0), (2, 15, 0),
                         facts="消费者在好物商城优选数码专营店购买洗碗机一台，价款3299元，由商家"
                               "安排上门安装。安装后第二周洗碗机底部漏水，浸坏橱柜踢脚板；商家"
                               "两次上门维修未果，并称漏水系进水管未拧紧所致，拒绝赔偿。",
                         terms="一、商家于10日内上门更换洗碗机内胆密封组件并免费调试；"
                               "二、商家赔偿橱柜修复费用300元。",
                         amount="300.00", fulfilment_days=10)],
             order_days=30),
    Scenario("consumer", "fresh", "南山鲜果合作社", "440305",
             ("food", "quality", "refund", "128.00", "128.00"),
             "购买的果切礼盒收到时已变质发酸，无法食用。",
             (8, 12, 30),
             [accept((7, 10, 0)),
              respond((5, 9, 40), "refund", "同意全额退款128元。", "128.00"),
              act((4, 18, 20), "accept_proposal", "consumer"),
              act((1, 10, 30), "report", "platform", note="已原路退款128元，退款流水号 RF0001。")],
             order_days=1),

    # compensating (先行赔付中)
    Scenario("consumer", "shop", "美妆小铺", "310101",
             ("cosmetics", "counterfeit", "compensation", "599.00", "1797.00"),
             "购买的某品牌精华液经品牌官方鉴定为假冒产品，店铺已无人回复，要求按消费者权益保护法"
             "第五十五条赔偿购物款三倍。",
             (26, 11, 10),
             [accept((25, 9, 20)),
              respond((22, 17, 0), "decline", "该商家已关店，平台无法联系到商家。"),
              act((20, 9, 0), "decline_proposal", "consumer", reason="平台应承担先行赔付责任。"),
              act((3, 16, 0), "start_compensation", "mediator", amount="1797.00")]),
    # mall cannot say who the merchant is (CRPL art. 44), and the refund never came.
    Scenario("consumer2", "mall", "乐享小家电专营店", "440104",
             ("electronics", "quality", "refund", "459.00", "459.00"),
             "电热水壶使用三天后底座烧焦，平台同意退款后商家迟迟未退。",
             (30, 14, 0),
             [accept((29, 10, 40)),
              respond((26, 11, 30), "refund", "同意全额退款459元。", "459.00"),
              act((24, 19, 10), "accept_proposal", "consumer"),
              sweep(after("fulfilment_due", timedelta(minutes=5)), "fulfilment_missed"),
              act((5, 10, 0), "start_compensation", "staff", amount="459.00"),
              # mall's deposit (300 yuan) cannot pay it: refused, and held up until a top-up.
              act((4, 15, 0), "pay_compensation_refused", "platform", amount="459.00",
                  transaction_ref="WJPAY0001")]),

    # closed: resolved (已解决)
    Scenario("consumer", "shop", "优选数码专营店", "310115",
             ("electronics", "delivery", "refund", "799.00", "799.00"),
             "物流显示已签收，但本人和家人都没有收到货，快递柜也没有记录。",
             (20, 8, 30),
             [accept((19, 10, 0)),
              respond((17, 15, 10), "refund", "经核实为快递误投，同意全额退款。", "799.00"),
              act((16, 9, 30), "accept_proposal", "consumer"),
              act((14, 20, 0), "confirm_fulfilment", "consumer")]),
    Scenario("consumer2", "fresh", "天河生鲜直供", "440106",
             ("food", "quality", "exchange", "299.00", "299.00"),
             "买的泰国榴莲开箱后果肉发黑有异味，要求补发。",
             (18, 12, 0),
             [accept((17, 9, 15)),
              respond((16, 14, 0), "exchange", "同意补发一个同等规格的榴莲。", "299.00"),
              act((15, 10, 20), "accept_proposal", "consumer"),
              act((13, 16, 30), "report", "platform", note="已补发，运单号 SF1234567890。"),
              # No objection within the window: the sweep closes it as resolved.
              sweep(after("objection_due", timedelta(minutes=10)), "confirm_fulfilment")],
             order_days=2),
    Scenario("consumer", "mall", "杭州悦居家居旗舰店", "330106",
             ("home", "contract", "compensation", "3680.00", "1000.00"),
             "定制衣柜安装后发现尺寸与合同约定不符，柜门无法完全关闭，要求赔偿。",
             (50, 10, 0),
             [accept((49, 9, 10)),
              respond((45, 15, 0), "compensation", "同意补偿300元。", "300.00"),
              act((43, 20, 0), "decline_proposal", "consumer", reason="补偿不足以弥补损失。"),
              *agreement((23, 10, 0), (22, 19, 30), (21, 16, 0), (20, 14, 30),
                         facts="消费者在万家购物杭州悦居家居旗舰店定制衣柜一套，价款3680元。安装后"
                               "柜体尺寸与合同约定不符，柜门无法完全关闭。商家提出补偿300元，"
                               "消费者认为不足以弥补损失。",
                         terms="商家于7日内上门调整柜门并赔偿消费者800元。", amount="800.00",
                         fulfilment_days=7),
              act((16, 11, 0), "report", "platform", note="已上门调整并转账赔偿800元。"),
              act((15, 19, 0), "confirm_fulfilment", "consumer")],
             order_days=60),

    # closed: compensated (已先行赔付), paid out of shop's guarantee deposit; each payout
    # opens a recovery (追偿) against the merchant: written off, recovered, pending.
    Scenario("consumer2", "shop", "美妆小铺", "310115",
             ("cosmetics", "safety", "compensation", "359.00", "1000.00"),
             "使用该店面霜后面部红肿过敏，医院诊断为接触性皮炎，花费医药费，商家已关店。",
             (40, 9, 0),
             [accept((39, 10, 30)),
              respond((36, 14, 0), "decline", "该商家已关店，平台无法联系到商家。"),
              act((34, 21, 0), "decline_proposal", "consumer", reason="要求平台先行赔付。"),
              act((25, 10, 0), "start_compensation", "mediator", amount="1000.00"),
              act((22, 15, 0), "pay_compensation", "platform", amount="1000.00",
                  transaction_ref="HWPAY0001"),
              act((10, 11, 0), "write_off", "staff",
                  reason="商家已关店注销，平台不能提供其真实名称、地址和有效联系方式，"
                         "经核查无可供追偿的财产，予以核销。")]),
    Scenario("consumer", "shop", "优选数码专营店", "310104",
             ("communication", "counterfeit", "compensation", "2999.00", "2999.00"),
             "购买的“全新国行”手机经官方售后检测为翻新机，要求退款。",
             (60, 10, 0),
             [accept((59, 9, 0)),
              respond((56, 16, 0), "compensation", "同意补偿500元。", "500.00"),
              act((54, 20, 30), "decline_proposal", "consumer", reason="要求全额退款。"),
              *agreement((43, 10, 0), (42, 21, 0), (41, 15, 0), (40, 14, 0),
                         facts="消费者在好物商城优选数码专营店购买标称“全新国行”的手机一部，价款"
                               "2999元。经品牌官方售后检测，该手机为翻新机。商家提出补偿500元，"
                               "消费者要求退货退款。",
                         terms="商家于7日内向消费者退款2999元，消费者退回手机。", amount="2999.00",
                         fulfilment_days=7),
              sweep(after("fulfilment_due", timedelta(minutes=5)), "fulfilment_missed"),
              act((30, 10, 0), "start_compensation", "mediator", amount="2999.00"),
              act((28, 15, 0), "pay_compensation", "platform", amount="2999.00",
                  transaction_ref="HWPAY0002"),
              act((12, 16, 0), "recover", "platform", amount="2999.00",
                  reference="HWREC0001")],
             order_days=10),
    Scenario("consumer", "shop", "美妆小铺", "310106",
             ("cosmetics", "quality", "refund", "258.00", "258.00"),
             "购买的防晒霜开封后膏体结块、有刺鼻异味，店铺客服不再回复，店铺页面已无法打开。",
             (18, 20, 10),
             [accept((17, 9, 40)),
              respond((15, 10, 0), "decline", "该商家已关店，平台无法联系到商家。"),
              act((14, 21, 0), "decline_proposal", "consumer", reason="要求平台先行赔付。"),
              act((9, 10, 0), "start_compensation", "mediator", amount="258.00"),
              act((8, 14, 0), "pay_compensation", "platform", amount="258.00",
                  transaction_ref="HWPAY0003")],
             order_days=5),

    # closed: mediation_failed (调解不成)
    Scenario("consumer2", "mall", "潮流服饰旗舰店", "330102",
             ("apparel", "after_sales", "compensation", "1280.00", "1280.00"),
             "真皮皮鞋穿了两周鞋底开胶，商家只同意维修，不同意退货。",
             (50, 11, 30),
             [accept((49, 9, 20)),
              respond((46, 15, 0), "repair", "可为您免费维修鞋底。", "0.00"),
              act((44, 20, 10), "decline_proposal", "consumer", reason="要求退货退款。"),
              act((8, 16, 0), "fail_mediation", "mediator", reason_code="party_absent",
                  reason="商家经三次通知，无正当理由拒不参加调解。")]),
    Scenario("consumer", "fresh", "南山鲜果合作社", "440305",
             ("food", "quality", "compensation", "688.00", "688.00"),
             "购买的进口车厘子礼盒内多处压伤腐烂，商家称系运输造成，双方对是否属质量问题有争议。",
             (35, 14, 0),
             [accept((34, 9, 40)),
              respond((31, 10, 0), "decline", "商品出库时质检合格，损坏系运输造成。"),
              act((29, 19, 30), "decline_proposal", "consumer", reason="要求全额退款。"),
              act((6, 15, 0), "fail_mediation", "mediator", reason_code="testing_cost",
                  reason="双方对检测鉴定费用的承担未能达成一致。")],
             order_days=3),

    # closed: referred (已引导其他途径)
    Scenario("consumer", "shop", "优选数码专营店", "310104",
             ("electronics", "safety", "compensation", "2199.00", "30000.00"),
             "电暖器使用中起火，烧毁了沙发和地板，消防部门出具了火灾事故认定书，要求赔偿损失。",
             (45, 8, 0),
             [accept((44, 9, 0)),
              respond((40, 14, 0), "compensation", "同意退还货款2199元。", "2199.00"),
              act((38, 19, 0), "decline_proposal", "consumer", reason="货款不足以弥补财产损失。"),
              act((5, 10, 0), "refer", "mediator", route="litigation",
                  reason="涉及财产损害赔偿，金额较大且需专业鉴定，建议依法向人民法院提起诉讼。")],
             order_days=90),
    Scenario("consumer2", "mall", "潮流服饰旗舰店", "110105",
             ("apparel", "false_advertising", "refund", "899.00", "899.00"),
             "商品页面标注“100%桑蚕丝”，送检结果显示为涤纶，商家拒绝退款。",
             (38, 9, 30),
             [accept((37, 10, 0)),
              respond((35, 16, 0), "decline", "商品面料符合国家标准。"),
              act((33, 20, 0), "decline_proposal", "consumer", reason="有检测报告为证。"),
              act((4, 11, 0), "refer", "mediator", route="administrative",
                  reason="商家涉嫌虚假宣传，线索已移送市场监督管理部门依法查处。")]),

    # closed: no_reply (消费者未回复): reminded before the window ended, then silent.
    Scenario("consumer2", "fresh", "天河生鲜直供", "440106",
             ("food", "delivery", "refund", "75.00", "75.00"),
             "购买的鲜牛奶配送延误两天，到货时已过保质期。",
             (30, 7, 50),
             [accept((29, 9, 30)),
              respond((27, 14, 0), "refund", "同意全额退款75元，请确认。", "75.00"),
              sweep(after("proposal_due", timedelta(days=-1)), "proposal_reminder"),
              sweep(after("proposal_due", timedelta(minutes=1)), "close_no_reply")],
             order_days=3),

    # withdrawn (已撤回)
    Scenario("consumer", "mall", "杭州悦居家居旗舰店", "330106",
             ("home", "delivery", "refund", "459.00", "459.00"),
             "窗帘下单后一直未发货，要求退款。",
             (7, 13, 0),
             [act((6, 18, 0), "withdraw", "consumer", reason="商家已主动联系并退款。")]),
    Scenario("consumer2", "shop", "优选数码专营店", "310115",
             ("electronics", "price", "refund", "1599.00", "120.00"),
             "购买的电饭煲一周后降价120元，申请价保被拒。",
             (14, 10, 0),
             [accept((13, 9, 0)),
              respond((11, 16, 0), "refund", "同意退还差价120元。", "120.00"),
              act((10, 20, 0), "withdraw", "consumer", reason="已与商家协商解决。")]),
]
# fmt: on

ORDER_PREFIX = {"shop": "HW", "mall": "WJ", "fresh": "XG"}
IDENTIFIED = {
    (code, spec["name"]): {k: spec[k] for k in ("name", "credit_code", "address", "contact")}
    for code, spec in MERCHANTS
    if spec["credit_code"] and spec["address"] and spec["contact"]
}


class Command(BaseCommand):
    help = "Load demo data: platforms, merchants, users, a deposit, an API key, complaints."

    def handle(self, *args, **options):
        self.now = timezone.now()
        self.tz = timezone.get_default_timezone()
        with transaction.atomic():
            platforms = self._platforms()
            self._merchants(platforms)
            users = self._users(platforms)
            self._deposits(platforms)
            self._api_key(platforms["shop"])
            self._complaints(users, platforms)
        # Sign the demo's evidence at once, so the checkpoints page is not empty.
        checkpoint = checkpoint_current()
        self.stdout.write(f"Evidence checkpoint over {checkpoint.tree_size} records.")
        self.stdout.write("")
        self.stdout.write(f"Demo accounts (password {DEMO_PASSWORD}):")
        for spec in USERS:
            self.stdout.write(f"  {spec['username']:<14} {spec['role']:<10} {spec['display_name']}")

    # Parties.

    def _get_or_create(
        self,
        model: type[models.Model],
        lookup: dict,
        values: dict,
        label: str,
        password: str | None = None,
    ):
        obj = model.objects.filter(**lookup).first()
        if obj is not None:
            return obj, False
        obj = model(**lookup, **values)
        if password is not None:
            obj.set_password(password)
        obj.full_clean()
        obj.save()
        self.stdout.write(f"Created {label}.")
        return obj, True

    def _platforms(self) -> dict[str, Platform]:
        result = {}
        for spec in PLATFORMS:
            values = {k: v for k, v in spec.items() if k != "code"}
            result[spec["code"]], _ = self._get_or_create(
                Platform, {"code": spec["code"]}, values, f"platform {spec['code']}"
            )
        return result

    def _merchants(self, platforms: dict[str, Platform]) -> None:
        for code, spec in MERCHANTS:
            values = {k: v for k, v in spec.items() if k != "name"}
            self._get_or_create(
                Merchant,
                {"platform": platforms[code], "name": spec["name"]},
                values,
                f"merchant {spec['name']}",
            )

    def _users(self, platforms: dict[str, Platform]) -> dict[str, User]:
        result = {}
        for spec in USERS:
            values = {k: v for k, v in spec.items() if k != "username"}
            if "platform" in values:
                values["platform"] = platforms[values["platform"]]
            result[spec["username"]], _ = self._get_or_create(
                User,
                {"username": spec["username"]},
                values,
                f"user {spec['username']}",
                password=DEMO_PASSWORD,
            )
        return result

    def _deposits(self, platforms: dict[str, Platform]) -> None:
        for code, amount, reference, reason, when in DEPOSITS:
            platform = platforms[code]
            recorded = GuaranteeDepositEntry.objects.filter(platform=platform, reference=reference)
            if recorded.exists():
                continue
            guarantee_deposit_record(
                platform=platform,
                amount=amount,
                kind=GuaranteeDepositEntry.Kind.DEPOSIT,
                reason=reason,
                reference=reference,
                actor_user=None,
                at=self._ago(when),
            )
            self.stdout.write(f"Recorded a guarantee deposit of {amount} yuan for {code}.")

    def _api_key(self, shop: Platform) -> None:
        existing = ApiKey.objects.filter(platform=shop, revoked_at__isnull=True).first()
        if existing is not None:
            self.stdout.write(
                f"shop already has API key {existing.prefix}; "
                "`python manage.py create_api_key shop` makes another."
            )
            return
        _key, raw = api_key_create(platform=shop, name="demo")
        self.stdout.write("API key for shop (shown once, store it now):")
        self.stdout.write(f"  {raw}")

    # Complaints.

    def _ago(self, when: int | tuple[int, int, int]) -> datetime:
        if isinstance(when, int):
            when = (when, 9 + (when * 5) % 9, (when * 13) % 60)
        days, hour, minute = when
        day = timezone.localdate(self.now) - timedelta(days=days)
        return datetime.combine(day, time(hour, minute), tzinfo=self.tz)

    def _complaints(self, users: dict[str, User], platforms: dict[str, Platform]) -> None:
        if Complaint.objects.filter(consumer=users["consumer"]).exists():
            self.stdout.write("The demo consumer already has complaints: none added.")
            return
        for index, scenario in enumerate(SCENARIOS):
            self._play(index, scenario, users, platforms)
        counts = Counter(
            Complaint.objects.filter(consumer__username__in=("consumer", "consumer2")).values_list(
                "status", flat=True
            )
        )
        summary = ", ".join(f"{s.value} {counts[s.value]}" for s in Status)
        self.stdout.write(f"Created {sum(counts.values())} complaints: {summary}.")

    def _play(
        self, index: int, s: Scenario, users: dict[str, User], platforms: dict[str, Platform]
    ) -> Complaint:
        filed_at = self._ago(s.filed)
        order_date = timezone.localtime(filed_at).date() - timedelta(days=s.order_days)
        category, issue_type, demand, paid, claimed = s.claim
        complaint = complaint_file(
            consumer=users[s.consumer],
            platform=s.platform,
            merchant_name=s.merchant,
            order_number=f"{ORDER_PREFIX[s.platform]}{order_date:%Y%m%d}{7301 + index * 37:05d}",
            order_date=order_date,
            category=category,
            issue_type=issue_type,
            amount_paid=paid,
            amount_claimed=claimed,
            demand=demand,
            description=s.description,
            region=s.region,
            channel=s.channel,
            at=filed_at,
        )
        # A platform that knows the merchant names it in its answer (CRPL art. 44);
        # the others leave it unidentified, which opens advance compensation.
        identity = IDENTIFIED.get((s.platform, s.merchant))
        last = filed_at
        for when, action, role, params in s.steps:
            if action == "respond" and identity is not None:
                params = {**params, "merchant": identity}
            if action == "confirm_agreement":
                params = {**params, **self._client(index, s, role)}
            at = when(complaint) if callable(when) else self._ago(when)
            at = max(at, last + timedelta(minutes=5))
            if at >= self.now:
                raise CommandError(
                    f"Demo complaint {complaint.reference}: step {action} would be in the future."
                )
            try:
                self._step(complaint, action, self._actor(role, complaint, users), params, at)
            except WeiquanError as exc:
                # E.g. a platform that existed before without the demo's commitment.
                raise CommandError(
                    f"Demo complaint {complaint.reference}: {action} failed: {exc}"
                ) from exc
            complaint.refresh_from_db()
            last = at
        return complaint

    def _client(self, index: int, s: Scenario, role: str) -> dict[str, str]:
        """Where a party confirmed from: the consumer's own device, the platform's office."""
        if role == "consumer":
            return {"ip": f"203.0.113.{10 + index}", "user_agent": BROWSERS[s.channel]}
        return {"ip": PLATFORM_IPS[s.platform], "user_agent": BROWSERS["platform"]}

    def _actor(self, role: str, complaint: Complaint, users: dict[str, User]) -> Actor:
        if role == "staff":
            return Actor.of_user(users["staff"])
        if role == "consumer":
            return Actor.of_user(complaint.consumer)
        if role == "mediator":
            if complaint.mediator is None:
                raise CommandError(f"Demo complaint {complaint.reference} has no mediator.")
            return Actor.of_user(complaint.mediator)
        if role == "platform":
            # shop works in the web console; the other platforms answer through the API.
            if complaint.platform.code == "shop":
                return Actor.of_user(users["platform-shop"])
            return Actor.of_platform(complaint.platform, label=f"{complaint.platform.code}-api")
        return Actor.system("deadline-sweep")

    def _step(
        self, complaint: Complaint, action: str, actor: Actor, params: dict, at: datetime
    ) -> None:
        ref = {"complaint_id": complaint.pk, "actor": actor, "at": at}
        if action.startswith("rule:"):
            # The sweep's own rule, applied to this complaint at the time it fell due.
            with transaction.atomic():
                locked = Complaint.objects.select_for_update().get(pk=complaint.pk)
                rule_apply(SWEEP_RULE[action.removeprefix("rule:")], locked, at)
        elif action == "pause":
            mediation_pause(**ref, **params)
        elif action == "report":
            fulfilment_report(**ref, **params)
        elif action == "note":
            case_note_add(complaint=complaint, actor=actor, at=at, **params)
        elif action == "schedule_session":
            # (days, hour, minute) as for a step; negative days are still to come.
            scheduled_at = self._ago(params["scheduled_at"])
            session_schedule(**ref, **{**params, "scheduled_at": scheduled_at})
        elif action == "hold_session":
            session = complaint.sessions.filter(state=MediationSession.State.SCHEDULED).last()
            session_record(**ref, session_id=session.pk, **params)
        elif action == "propose":
            mediation_propose(**ref, **params)
        elif action == "reply_proposal":
            proposal = MediationProposal.objects.filter(complaint=complaint).last()
            mediation_proposal_reply(**ref, proposal_id=proposal.pk, **params)
        elif action == "draft_agreement":
            agreement_draft(**ref, **params)
        elif action == "confirm_agreement":
            version = Agreement.objects.get(complaint=complaint).version
            agreement_confirm(**ref, version=version, **params)
        elif action == "pay_compensation_refused":
            # The platform tries to pay; the deposit cannot cover it, so the payout is
            # refused and the case is recorded as held up (transition_fire does both).
            try:
                transition_fire(**ref, name="pay_compensation", params=params)
            except CompensationBlocked as exc:
                self.stdout.write(f"{complaint.reference}: advance compensation held up: {exc}")
            else:
                self.stdout.write(
                    f"{complaint.reference}: {complaint.platform.code}'s deposit paid the "
                    "compensation the demo expected to be held up."
                )
        elif action == "recover":
            recovery = Recovery.objects.get(complaint=complaint)
            recovery_recover(recovery_id=recovery.pk, actor=actor, at=at, **params)
        elif action == "write_off":
            recovery = Recovery.objects.get(complaint=complaint)
            recovery_write_off(recovery_id=recovery.pk, actor=actor, at=at, **params)
        else:
            transition_fire(**ref, name=action, params=params)
