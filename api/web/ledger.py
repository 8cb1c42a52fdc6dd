"""The console's guarantee deposit (保证金): the balance and the ledger, as the API's
GET /api/v1/deposit/ and /deposit/entries/ show them, and the recoveries (追偿)."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from api.web.access import console_required
from mediation.models import GuaranteeDepositEntry, Recovery
from mediation.selectors import (
    deposit_platform_for,
    deposit_summary,
    recoveries_visible_to,
    recovery_totals,
)

PAGE_SIZE = 50


@console_required
def deposit(request: HttpRequest) -> HttpResponse:
    """The balance (the sum of the entries), totals per kind, and the entries, newest first."""
    platform = deposit_platform_for(request.actor, None)
    entries = (
        GuaranteeDepositEntry.objects.filter(platform=platform)
        .select_related("complaint")
        .order_by("-created_at", "-id")
    )
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    summary = deposit_summary(platform)
    kinds = dict(GuaranteeDepositEntry.Kind.choices)
    recoveries = recoveries_visible_to(request.actor)
    return render(
        request,
        "web/platform/deposit.html",
        {
            "summary": summary,
            "totals": [(kinds[k], v) for k, v in summary["totals"].items()],
            "page": page,
            "recoveries": [
                (Recovery.State(state).label, row)
                for state, row in recovery_totals(recoveries).items()
            ],
        },
    )
