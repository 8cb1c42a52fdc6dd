"""The disclosure list (公示名单): platforms and merchants scoring below the threshold, the
figures behind each score and the formula, and the consumer warnings (消费警示). The same
page for regulators (in the dashboard) and for the public (no login); it holds no
consumer's personal data (names are masked by reporting.credit and warning_publish)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy

from reporting.credit import WEIGHTS, disclosure_list
from reporting.models import ConsumerWarning
from reporting.web.access import dashboard_required

WARNINGS_SHOWN = 50
# What each part of the score measures (reporting/credit.py FORMULA, in the reader's words).
PARTS = {
    "timeliness": (
        gettext_lazy("及时答复"),
        gettext_lazy("按期答复的投诉 ÷（按期答复 + 逾期或未答复）"),
    ),
    "resolution": (
        gettext_lazy("解决率"),
        gettext_lazy("以解决或先行赔付办结的投诉 ÷ 全部办结的投诉"),
    ),
    "recovery": (
        gettext_lazy("追偿"),
        gettext_lazy("向商家追回的金额 ÷ 先行赔付的金额"),
    ),
    "satisfaction": (
        gettext_lazy("满意度"),
        gettext_lazy("（消费者平均评分 − 1）÷ 4"),
    ),
    "volume": (
        gettext_lazy("投诉量"),
        gettext_lazy("同类主体投诉量的中位数 ÷ 自身投诉量（最高为 1）"),
    ),
}
KINDS = {"platform": gettext_lazy("平台"), "merchant": gettext_lazy("商家")}


def _context() -> dict:
    data = disclosure_list()
    entities = [
        {
            **entity,
            "kind_label": KINDS.get(entity["kind"], entity["kind"]),
            "parts": [
                (PARTS[key][0], f"{value * 100:.0f}%")
                for key, value in entity["components"].items()
            ],
        }
        for entity in data["entities"]
    ]
    return {
        "disclosure": data,
        "entities": entities,
        "parts": [(label, WEIGHTS[key], text) for key, (label, text) in PARTS.items()],
        "warnings": ConsumerWarning.objects.select_related("platform")[:WARNINGS_SHOWN],
    }


def public_disclosure(request: HttpRequest) -> HttpResponse:
    """The public page: anyone, signed in or not."""
    return render(request, "web/regulator/disclosure.html", {**_context(), "public": True})


@dashboard_required
def disclosure(request: HttpRequest) -> HttpResponse:
    """The same list inside the dashboard."""
    return render(request, "web/regulator/disclosure.html", {**_context(), "public": False})
