"""Fixed code lists of the complaint domain, with their Chinese labels.

The codes are part of the public API: integrators send and receive them, so a code
never changes meaning once published; new codes are added, old ones retired.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    CONSUMER = "consumer", _("消费者")
    PLATFORM = "platform", _("平台经营者")
    STAFF = "staff", _("受理人员")
    MEDIATOR = "mediator", _("调解员")
    REGULATOR = "regulator", _("市场监管部门")
    SYSTEM = "system", _("系统")


class Status(models.TextChoices):
    SUBMITTED = "submitted", _("已提交")
    REJECTED = "rejected", _("不予受理")
    AWAITING_RESPONSE = "awaiting_response", _("待平台处理")
    RESPONDED = "responded", _("平台已答复")
    MEDIATING = "mediating", _("调解中")
    SETTLED = "settled", _("已达成协议")
    COMPENSATING = "compensating", _("先行赔付中")
    CLOSED = "closed", _("已结案")
    WITHDRAWN = "withdrawn", _("已撤回")


TERMINAL_STATUSES = (Status.REJECTED, Status.CLOSED, Status.WITHDRAWN)
OPEN_STATUSES = tuple(s for s in Status if s not in TERMINAL_STATUSES)


class Outcome(models.TextChoices):
    RESOLVED = "resolved", _("已解决")
    COMPENSATED = "compensated", _("已先行赔付")
    MEDIATION_FAILED = "mediation_failed", _("调解不成")
    REFERRED = "referred", _("已引导其他途径")
    NO_REPLY = "no_reply", _("消费者未回复")


class Channel(models.TextChoices):
    WEB = "web", _("网站")
    MOBILE = "mobile", _("移动端")
    API = "api", _("接口")
    PHONE = "phone", _("电话")
    LETTER = "letter", _("信函")
    VISIT = "visit", _("来访")


class Category(models.TextChoices):
    """Product and service categories, after the 12315 complaint classification."""

    APPAREL = "apparel", _("服装鞋帽")
    FOOD = "food", _("食品")
    ELECTRONICS = "electronics", _("家用电子电器")
    COMMUNICATION = "communication", _("通讯器材")
    COSMETICS = "cosmetics", _("化妆品")
    HOME = "home", _("家居用品")
    MEDICAL = "medical", _("医药及医疗用品")
    VEHICLES = "vehicles", _("交通工具及配件")
    CULTURE = "culture", _("文化娱乐用品")
    TRAVEL = "travel", _("旅游服务")
    EDUCATION = "education", _("教育培训服务")
    LIFE_SERVICE = "life_service", _("生活社会服务")
    INTERNET_SERVICE = "internet_service", _("互联网服务")
    LIVESTREAM = "livestream", _("直播带货")
    OTHER = "other", _("其他商品和服务")


class IssueType(models.TextChoices):
    """What went wrong, after the 12315 classification of complaint issues."""

    QUALITY = "quality", _("质量问题")
    SAFETY = "safety", _("安全问题")
    AFTER_SALES = "after_sales", _("售后服务")
    CONTRACT = "contract", _("合同问题")
    FALSE_ADVERTISING = "false_advertising", _("虚假宣传")
    COUNTERFEIT = "counterfeit", _("假冒伪劣")
    PRICE = "price", _("价格问题")
    DELIVERY = "delivery", _("发货及物流")
    REFUND = "refund", _("退款问题")
    SEVEN_DAY_RETURN = "seven_day_return", _("七日无理由退货")
    PERSONAL_INFO = "personal_info", _("个人信息保护")
    UNFAIR_TERMS = "unfair_terms", _("格式条款")
    OTHER = "other", _("其他")


class Demand(models.TextChoices):
    REFUND = "refund", _("退款")
    RETURN = "return", _("退货")
    EXCHANGE = "exchange", _("换货")
    REPAIR = "repair", _("维修")
    COMPENSATION = "compensation", _("赔偿")
    OTHER = "other", _("其他")


class Resolution(models.TextChoices):
    """What the platform proposes in its response."""

    REFUND = "refund", _("退款")
    RETURN = "return", _("退货退款")
    EXCHANGE = "exchange", _("换货")
    REPAIR = "repair", _("维修")
    COMPENSATION = "compensation", _("赔偿")
    DECLINE = "decline", _("不予支持")


class RejectReason(models.TextChoices):
    """Grounds for not accepting a complaint: SAMR Order 121 art. 16."""

    OUT_OF_REMIT = "out_of_remit", _("不属于本部门职责范围或管辖")
    HANDLED_ELSEWHERE = "handled_elsewhere", _("已由法院、仲裁机构、其他部门或消费者协会受理或处理")
    NOT_CONSUMER_DISPUTE = "not_consumer_dispute", _("非为生活消费需要或无消费者权益争议")
    TIME_BARRED = "time_barred", _("知道或应当知道权益受损超过三年")
    MATERIALS_MISSING = "materials_missing", _("材料不全或不真实")
    IDENTITY = "identity", _("冒用他人身份或拒绝核实身份")
    OTHER_LEGAL = "other_legal", _("其他法定事由")


class FailReason(models.TextChoices):
    """Grounds for ending a mediation without agreement: SAMR Order 121 art. 23."""

    WITHDRAWN_OR_SETTLED = "withdrawn_or_settled", _("投诉人撤回投诉或双方自行和解")
    PARTY_ABSENT = "party_absent", _("一方当事人无正当理由不参加或拒绝调解")
    NO_AGREEMENT_POSSIBLE = "no_agreement_possible", _("一方当事人表示无法达成调解协议")
    TESTING_COST = "testing_cost", _("对检测鉴定费用分担未达成一致")
    TIME_LIMIT = "time_limit", _("调解期限届满")
    INADMISSIBLE_FOUND = "inadmissible_found", _("发现不予受理情形或涉嫌欺诈")
    PARTY_CEASED = "party_ceased", _("一方当事人死亡或终止")
    OTHER = "other", _("其他情形")


class ReferralRoute(models.TextChoices):
    ARBITRATION = "arbitration", _("仲裁")
    LITIGATION = "litigation", _("诉讼")
    ADMINISTRATIVE = "administrative", _("行政执法")
    LEGAL_AID = "legal_aid", _("法律援助")


# Art. 15: when not accepting, tell the consumer which other routes remain open.
REMAINING_ROUTES = {
    RejectReason.OUT_OF_REMIT: _("可向有管辖权的市场监督管理部门或其他主管部门投诉。"),
    RejectReason.HANDLED_ELSEWHERE: _("请通过已受理的机构继续处理。"),
    RejectReason.NOT_CONSUMER_DISPUTE: _("可依法向人民法院起诉或申请仲裁。"),
    RejectReason.TIME_BARRED: _("可咨询律师或法律援助机构，依法向人民法院起诉。"),
    RejectReason.MATERIALS_MISSING: _("补齐真实材料后可重新投诉。"),
    RejectReason.IDENTITY: _("完成身份核实后可重新投诉。"),
    RejectReason.OTHER_LEGAL: _("可与经营者协商、请求消费者协会调解、申请仲裁或向人民法院起诉。"),
}
