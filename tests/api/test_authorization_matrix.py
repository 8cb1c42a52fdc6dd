"""Who may call what: every API route as every kind of caller, from one table.

The routes are read from the URL configuration, so a new route without a row in
MATRIX fails `test_every_api_route_has_a_row`. Each row says what each caller gets
for one complaint in mediation (the state in which the most parties are involved).
A caller outside the complaint's scope must learn nothing: its 404 is the same
problem as for a reference that does not exist, and lists leave the complaint out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from api.keys import api_key_create
from api.models import WebhookEndpoint
from api.serializers import TRANSITION_SERIALIZERS
from api.webhooks.services import webhook_endpoint_create
from complaints.actors import Actor
from complaints.models import Complaint
from complaints.services import complaint_transition
from evidence.models import EvidenceRecord
from mediation.agreements import agreement_draft
from mediation.models import MediationProposal, MediationSession, Recovery
from mediation.services import mediation_propose, session_schedule
from tests.api.clients import client_for
from tests.api.test_complaints_api import BODY
from tests.factories import PlatformFactory, UserFactory
from tests.states import agreement_confirmed, complaint_in, deposit

ROLES = [
    "consumer",
    "other_consumer",
    "platform",
    "other_platform",
    "staff",
    "mediator",
    "unassigned_mediator",
    "regulator",
    "other_regulator",
    "anonymous",
]
GHOST = "TS209901010001"  # a well-formed reference that does not exist

# What a list answer must show: the complaint among the results, or not at all.
SEES = "sees"
EMPTY = "empty"


@dataclass
class World:
    complaint: Complaint
    endpoint: WebhookEndpoint
    record: EvidenceRecord
    clients: dict = field(default_factory=dict)
    # Mediation: a session and a proposal on `complaint`; a case settled by a signed
    # agreement; one whose mediation failed, with a recovery to close.
    session: MediationSession | None = None
    proposal: MediationProposal | None = None
    agreed: Complaint | None = None
    ended: Complaint | None = None
    recovery: Recovery | None = None


@dataclass
class Row:
    path: Callable[[World], str]
    expect: dict[str, int | str]
    body: dict | Callable[[], dict] | None = None
    format: str = "json"
    # The same request for an object that does not exist: out of scope must look alike.
    ghost: Callable[[World], str] | None = None

    def __post_init__(self):
        assert set(self.expect) == set(ROLES), "every row names every role"


def by_role(default, **overrides) -> dict[str, int | str]:
    return {role: overrides.get(role, default) for role in ROLES}


def complaint_path(suffix: str = "") -> Callable[[World], str]:
    return lambda w: f"/api/v1/complaints/{w.complaint.reference}/{suffix}"


def complaint_row(suffix: str, expect: dict, **kwargs) -> Row:
    return Row(
        complaint_path(suffix),
        expect,
        ghost=lambda w: f"/api/v1/complaints/{GHOST}/{suffix}",
        **kwargs,
    )


def record_row(suffix: str, expect: dict) -> Row:
    return Row(
        lambda w: f"/api/v1/evidence/{w.record.pk}/{suffix}",
        expect,
        ghost=lambda w: f"/api/v1/evidence/{w.record.pk + 10_000}/{suffix}",
    )


def upload_body() -> dict:
    png = b"\x89PNG\r\n\x1a\n" + bytes(64)
    return {"file": SimpleUploadedFile("photo.png", png), "kind": "photo"}


def shanghai_report():
    """October's report for Shanghai (prefix 31), asked for but not generated."""
    from datetime import date

    from reporting.models import Report

    return Report.objects.get_or_create(
        period="month",
        start=date(2026, 10, 1),
        region_prefix="31",
        defaults={"end": date(2026, 10, 31)},
    )[0]


# Out of scope is 404 for complaint routes; the unauthenticated are always 401.
OUT_OF_SCOPE = {
    "other_consumer": 404,
    "other_platform": 404,
    "unassigned_mediator": 404,
    "other_regulator": 404,
    "anonymous": 401,
}
PLATFORMS_ONLY = {"platform": 200, "other_platform": 200, "anonymous": 401}

MATRIX: dict[tuple[str, str], Row] = {
    ("complaint-list", "GET"): Row(
        lambda w: "/api/v1/complaints/",
        by_role(SEES, **{**{role: EMPTY for role in OUT_OF_SCOPE}, "anonymous": 401}),
    ),
    ("complaint-list", "POST"): Row(
        lambda w: "/api/v1/complaints/",
        by_role(403, consumer=201, other_consumer=201, anonymous=401),
        body=BODY,
    ),
    ("complaint-detail", "GET"): complaint_row("", by_role(200, **OUT_OF_SCOPE)),
    ("complaint-transitions", "GET"): complaint_row("transitions/", by_role(200, **OUT_OF_SCOPE)),
    ("complaint-events", "GET"): complaint_row("events/", by_role(200, **OUT_OF_SCOPE)),
    ("complaint-messages", "GET"): complaint_row(
        "messages/", by_role(200, regulator=403, **OUT_OF_SCOPE)
    ),
    ("complaint-messages", "POST"): complaint_row(
        "messages/",
        by_role(403, consumer=201, platform=201, mediator=201, **OUT_OF_SCOPE),
        body={"body": "请问退款何时到账？"},
    ),
    ("complaint-evidence", "GET"): complaint_row(
        "evidence/", by_role(200, regulator=403, **OUT_OF_SCOPE)
    ),
    ("complaint-evidence", "POST"): complaint_row(
        "evidence/",
        by_role(201, regulator=403, **OUT_OF_SCOPE),
        body=upload_body,
        format="multipart",
    ),
    ("complaint-evidence-package", "GET"): complaint_row(
        "evidence-package/", by_role(200, regulator=403, **OUT_OF_SCOPE)
    ),
    ("evidence-download", "GET"): record_row(
        "download/", by_role(200, regulator=403, **OUT_OF_SCOPE)
    ),
    ("evidence-verify", "GET"): record_row("verify/", by_role(200, regulator=403, **OUT_OF_SCOPE)),
    # The log's checkpoints and key are public: anyone may verify.
    ("evidence-checkpoints", "GET"): Row(lambda w: "/api/v1/evidence/checkpoints/", by_role(200)),
    ("evidence-public-key", "GET"): Row(lambda w: "/api/v1/evidence/public-key/", by_role(200)),
    ("webhook-endpoint-list", "GET"): Row(
        lambda w: "/api/v1/webhook-endpoints/", by_role(403, **PLATFORMS_ONLY)
    ),
    ("webhook-endpoint-list", "POST"): Row(
        lambda w: "/api/v1/webhook-endpoints/",
        by_role(403, platform=201, other_platform=201, anonymous=401),
        body={"url": "https://hooks.example.com/weiquan", "events": []},
    ),
    ("webhook-endpoint-detail", "DELETE"): Row(
        lambda w: f"/api/v1/webhook-endpoints/{w.endpoint.pk}/",
        by_role(403, platform=204, other_platform=404, anonymous=401),
        ghost=lambda w: f"/api/v1/webhook-endpoints/{w.endpoint.pk + 10_000}/",
    ),
    # Reporting: only the consumer rates, once the case is closed (here it is mediating).
    ("complaint-rating", "POST"): complaint_row(
        "rating/", by_role(403, consumer=409, **OUT_OF_SCOPE), body={"score": 5}
    ),
    # Statistics: staff, and regulators for their own region (here each sees its own).
    ("stats-summary", "GET"): Row(
        lambda w: "/api/v1/stats/summary/",
        by_role(403, staff=200, regulator=200, other_regulator=200, anonymous=401),
    ),
    ("stats-timeseries", "GET"): Row(
        lambda w: "/api/v1/stats/timeseries/",
        by_role(403, staff=200, regulator=200, other_regulator=200, anonymous=401),
    ),
    # Reports: staff, and regulators for their region. POST asks (202; rolled back before
    # its generation would start); the report below is Shanghai's, not yet generated.
    ("report-list", "GET"): Row(
        lambda w: "/api/v1/reports/",
        by_role(403, staff=200, regulator=200, other_regulator=200, anonymous=401),
    ),
    ("report-list", "POST"): Row(
        lambda w: "/api/v1/reports/",
        by_role(403, staff=202, regulator=202, other_regulator=202, anonymous=401),
        body={"period": "month", "start": "2026-01-01"},
    ),
    ("report-detail", "GET"): Row(
        lambda w: f"/api/v1/reports/{shanghai_report().pk}/",
        by_role(403, staff=200, regulator=200, other_regulator=404, anonymous=401),
        ghost=lambda w: f"/api/v1/reports/{shanghai_report().pk + 10_000}/",
    ),
    # Disclosure is public; consumer warnings are published by staff.
    ("disclosure", "GET"): Row(lambda w: "/api/v1/disclosure/", by_role(200)),
    # A consumer's own data: consumers only. Erasure is refused (409) while a
    # complaint of the consumer's is open (both have one here).
    ("me-data-export", "GET"): Row(
        lambda w: "/api/v1/me/data-export/",
        by_role(403, consumer=200, other_consumer=200, anonymous=401),
    ),
    ("me-erasure", "POST"): Row(
        lambda w: "/api/v1/me/erasure/",
        by_role(403, consumer=409, other_consumer=409, anonymous=401),
        body={"password": "correct-horse-battery-9"},
    ),
    ("disclosure-warnings", "GET"): Row(lambda w: "/api/v1/disclosure/warnings/", by_role(200)),
    ("disclosure-warnings", "POST"): Row(
        lambda w: "/api/v1/disclosure/warnings/",
        by_role(403, staff=201, anonymous=401),
        body={"title": "消费警示", "body": "谨防虚假促销。"},
    ),
    ("report-download", "GET"): Row(
        lambda w: f"/api/v1/reports/{shanghai_report().pk}/download/?format=csv",
        by_role(403, staff=409, regulator=409, other_regulator=404, anonymous=401),
        ghost=lambda w: f"/api/v1/reports/{shanghai_report().pk + 10_000}/download/?format=csv",
    ),
    # The contract is public: integrators read it before they have a key.
    ("schema", "GET"): Row(lambda w: "/api/schema/", by_role(200)),
    ("api-docs", "GET"): Row(lambda w: "/api/docs/", by_role(200)),
}


# Mediation. Shared case files: the parties, the mediator and staff; a regulator is refused.
CASE_FILE = by_role(200, regulator=403, **OUT_OF_SCOPE)
MEDIATOR_ONLY = {role: 403 for role in ("consumer", "platform", "staff", "regulator")}
LEDGER_READERS = {"platform": 200, "other_platform": 200, "staff": 200, "anonymous": 401}


def agreed_path(suffix: str) -> Callable[[World], str]:
    return lambda w: f"/api/v1/complaints/{w.agreed.reference}/{suffix}"


def recovery_row(suffix: str, body: dict) -> Row:
    return Row(
        lambda w: f"/api/v1/recoveries/{w.recovery.pk}/{suffix}",
        by_role(403, platform=200, staff=200, other_platform=404, anonymous=401),
        body=body,
        ghost=lambda w: f"/api/v1/recoveries/{w.recovery.pk + 10_000}/{suffix}",
    )


MATRIX.update(
    {
        ("complaint-notes", "GET"): complaint_row(
            "notes/", by_role(200, consumer=403, platform=403, regulator=403, **OUT_OF_SCOPE)
        ),
        ("complaint-notes", "POST"): complaint_row(
            "notes/",
            by_role(201, consumer=403, platform=403, regulator=403, **OUT_OF_SCOPE),
            body={"body": "商家电话未接通，明日再联系。"},
        ),
        ("complaint-sessions", "GET"): complaint_row("sessions/", CASE_FILE),
        ("complaint-sessions", "POST"): complaint_row(
            "sessions/",
            by_role(201, **MEDIATOR_ONLY, **OUT_OF_SCOPE),
            body=lambda: {
                "scheduled_at": (timezone.now() + timedelta(days=3)).isoformat(),
                "channel": "video",
                "participants": ["张三", "好物商城客服"],
            },
        ),
        ("complaint-session-record", "POST"): Row(
            lambda w: f"/api/v1/complaints/{w.complaint.reference}/sessions/{w.session.pk}/record/",
            by_role(200, **MEDIATOR_ONLY, **OUT_OF_SCOPE),
            body={"minutes": "双方陈述意见，同意继续协商。"},
            ghost=lambda w: f"/api/v1/complaints/{GHOST}/sessions/{w.session.pk}/record/",
        ),
        ("complaint-mediation-proposals", "GET"): complaint_row("mediation-proposals/", CASE_FILE),
        ("complaint-mediation-proposals", "POST"): complaint_row(
            "mediation-proposals/",
            by_role(201, **MEDIATOR_ONLY, **OUT_OF_SCOPE),
            body={"terms": "平台退款400元", "amount": "400.00"},
        ),
        ("complaint-mediation-proposal-reply", "POST"): Row(
            lambda w: (
                f"/api/v1/complaints/{w.complaint.reference}/mediation-proposals/"
                f"{w.proposal.pk}/reply/"
            ),
            by_role(403, consumer=200, platform=200, **OUT_OF_SCOPE),
            body={"reply": "accepted"},
            ghost=lambda w: (
                f"/api/v1/complaints/{GHOST}/mediation-proposals/{w.proposal.pk}/reply/"
            ),
        ),
        ("complaint-agreement", "GET"): complaint_row("agreement/", CASE_FILE),
        ("complaint-agreement", "PUT"): complaint_row(
            "agreement/",
            by_role(200, **MEDIATOR_ONLY, **OUT_OF_SCOPE),
            body={"facts": "商品质量争议", "terms": "平台退款350元", "amount": "350.00"},
        ),
        # The mediator records a party's confirmation only when naming the party (422).
        ("complaint-agreement-confirm", "POST"): complaint_row(
            "agreement/confirm/",
            by_role(403, consumer=201, platform=201, mediator=422, **OUT_OF_SCOPE),
            body={"version": 1},
        ),
        ("complaint-agreement-pdf", "GET"): Row(
            agreed_path("agreement.pdf"),
            CASE_FILE,
            ghost=lambda w: f"/api/v1/complaints/{GHOST}/agreement.pdf",
        ),
        ("complaint-notice-pdf", "GET"): Row(
            lambda w: f"/api/v1/complaints/{w.ended.reference}/notice.pdf",
            CASE_FILE,
            ghost=lambda w: f"/api/v1/complaints/{GHOST}/notice.pdf",
        ),
        ("complaint-recuse", "POST"): complaint_row(
            "recuse/",
            by_role(200, **MEDIATOR_ONLY, **OUT_OF_SCOPE),
            body={"reason": "与商家负责人系亲属"},
        ),
        ("complaint-reassign", "POST"): complaint_row(
            "reassign/",
            by_role(403, staff=200, **OUT_OF_SCOPE),
            body={"mediator": "mediator2", "reason": "调解员休假"},
        ),
        ("complaint-mediation-clock", "POST"): complaint_row(
            "mediation-clock/",
            by_role(200, consumer=403, platform=403, regulator=403, **OUT_OF_SCOPE),
            body={"action": "pause", "reason": "送检鉴定"},
        ),
        ("complaint-fulfilment-report", "POST"): Row(
            agreed_path("fulfilment/report/"),
            by_role(403, platform=200, **OUT_OF_SCOPE),
            body={"note": "已退款至原支付账户"},
            ghost=lambda w: f"/api/v1/complaints/{GHOST}/fulfilment/report/",
        ),
        ("complaint-fulfilment-objection", "POST"): Row(
            agreed_path("fulfilment/objection/"),
            by_role(403, consumer=200, **OUT_OF_SCOPE),
            body={"reason": "退款未到账"},
            ghost=lambda w: f"/api/v1/complaints/{GHOST}/fulfilment/objection/",
        ),
        ("complaint-compensation", "GET"): complaint_row("compensation/", CASE_FILE),
        ("mediation-cases", "GET"): Row(
            lambda w: "/api/v1/mediation/cases/",
            by_role(403, mediator=200, unassigned_mediator=200, anonymous=401),
        ),
        # A platform naming another platform's ledger is refused, not shown its own.
        ("deposit", "GET"): Row(
            lambda w: "/api/v1/deposit/?platform=shop",
            by_role(403, **{**LEDGER_READERS, "other_platform": 403}),
        ),
        ("deposit-entries", "GET"): Row(
            lambda w: "/api/v1/deposit/entries/?platform=shop",
            by_role(403, **{**LEDGER_READERS, "other_platform": 403}),
        ),
        ("deposit-entries", "POST"): Row(
            lambda w: "/api/v1/deposit/entries/",
            by_role(403, staff=201, anonymous=401),
            body={"platform": "shop", "kind": "deposit", "amount": "5000.00"},
        ),
        ("recovery-list", "GET"): Row(
            lambda w: "/api/v1/recoveries/", by_role(403, **LEDGER_READERS)
        ),
        ("recovery-recover", "POST"): recovery_row("recover/", {"amount": "100.00"}),
        ("recovery-write-off", "POST"): recovery_row("write-off/", {"reason": "商家已注销"}),
    }
)


# Transitions, for a complaint in mediation: who may fire those its state allows, with a
# valid body each (so the answer is about access, not shape); every other one is 409.
TRANSITION_BODIES = {
    "reject": {"reason_code": "out_of_remit", "reason": "不属于本部门管辖"},
    "respond": {"resolution": "refund", "amount": "500.00", "message": "同意退款"},
    "decline_proposal": {"reason": "金额太少"},
    "sign_agreement": {"terms": "平台退款300元", "amount": "300.00", "fulfilment_days": 7},
    "start_compensation": {"amount": "300.00"},
    "pay_compensation": {"amount": "300.00", "transaction_ref": "PAY-1"},
    "fail_mediation": {"reason_code": "no_agreement_possible", "reason": "双方分歧过大"},
    "refer": {"route": "arbitration", "reason": "建议申请仲裁"},
    "withdraw": {"reason": "已自行解决"},
}
ALLOWED_IN_MEDIATION = {
    # The mediator's to fire; 422 here because the parties have not confirmed this draft
    # (tests/mediation/test_agreement_flow.py signs a confirmed one).
    "sign_agreement": {"mediator": 422},
    "start_compensation": {"mediator": 200, "staff": 200},  # the merchant is unidentified
    "fail_mediation": {"mediator": 200},
    "refer": {"mediator": 200},
    "withdraw": {"consumer": 200},
}
for _name in TRANSITION_SERIALIZERS:
    _allowed = ALLOWED_IN_MEDIATION.get(_name)
    MATRIX[(f"complaint-transition-{_name.replace('_', '-')}", "POST")] = complaint_row(
        f"transitions/{_name}/",
        by_role(403 if _allowed else 409, **(_allowed or {}), **OUT_OF_SCOPE),
        body=TRANSITION_BODIES.get(_name, {}),
    )


def _api_routes(patterns, prefix: str = "") -> set[tuple[str, str]]:
    routes = set()
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            routes |= _api_routes(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern) and route.lstrip("^").startswith("api/"):
            callback = pattern.callback
            actions = getattr(callback, "actions", None)  # a DRF viewset route
            if actions is not None:
                methods = set(actions)
            else:
                view_class = callback.view_class
                methods = {m for m in view_class.http_method_names if hasattr(view_class, m)}
            for method in methods - {"head", "options"}:
                routes.add((pattern.name, method.upper()))
    return routes


def test_every_api_route_has_a_row():
    routes = _api_routes(get_resolver().url_patterns)
    assert routes, "the walk found the API routes"
    assert routes - set(MATRIX) == set(), "add a row to MATRIX for each new route"
    assert set(MATRIX) - routes == set(), "MATRIX names a route that no longer exists"


@pytest.fixture
def world(
    db,
    consumer,
    other_consumer,
    platform,
    other_platform,
    staff,
    mediator,
    regulator,
    quick_certificate,
    quick_documents,
    django_capture_on_commit_callbacks,
):
    complaint = complaint_in("mediating", consumer=consumer, platform_code="shop")
    assert complaint.mediator == mediator
    endpoint = webhook_endpoint_create(platform=platform, url="https://hooks.shop.example/wq")
    record = EvidenceRecord.objects.filter(complaint=complaint).order_by("seq").first()
    world = World(complaint=complaint, endpoint=endpoint, record=record)
    _mediation_world(world, django_capture_on_commit_callbacks)
    # Made after the assignments, so the cases are not theirs.
    unassigned = UserFactory(username="mediator2", role="mediator")
    other_regulator = UserFactory(username="reg-gd", role="regulator", region_prefix="44")
    world.clients = {
        "consumer": client_for(consumer),
        "other_consumer": client_for(other_consumer),
        "platform": client_for(api_key=api_key_create(platform=platform)[1]),
        "other_platform": client_for(api_key=api_key_create(platform=other_platform)[1]),
        "staff": client_for(staff),
        "mediator": client_for(mediator),
        "unassigned_mediator": client_for(unassigned),
        "regulator": client_for(regulator),
        "other_regulator": client_for(other_regulator),
        "anonymous": client_for(),
    }
    # The other consumer and platform have cases of their own, so "empty" is not "nothing".
    PlatformFactory(code="third")
    complaint_in("submitted", consumer=other_consumer, platform_code="other")
    return world


def _mediation_world(world: World, on_commit) -> None:
    """Sessions, proposals and an agreement draft on the case in mediation; a second case
    settled by a signed agreement, and a third whose mediation failed (documents stubbed:
    tests/mediation render and verify them for real)."""
    complaint = world.complaint
    mediator = Actor.of_user(complaint.mediator)
    soon = timezone.now() + timedelta(days=2)
    world.session = session_schedule(
        complaint_id=complaint.pk, actor=mediator, scheduled_at=soon, channel="phone"
    )
    world.proposal = mediation_propose(
        complaint_id=complaint.pk, actor=mediator, terms="平台退款450元", amount="450.00"
    )
    agreement_draft(
        complaint_id=complaint.pk, actor=mediator, facts="质量争议", terms="退款", amount="1.00"
    )
    deposit(complaint.platform)
    with on_commit(execute=True):
        world.agreed = complaint_in("mediating", consumer=complaint.consumer, platform_code="shop")
        agreement_confirmed(world.agreed, terms="平台退款300元", amount="300.00")
        complaint_transition(
            complaint_id=world.agreed.pk,
            name="sign_agreement",
            actor=mediator,
            params={"terms": "平台退款300元", "amount": "300.00", "fulfilment_days": 7},
        )
        world.ended = complaint_in("mediating", consumer=complaint.consumer, platform_code="shop")
        complaint_transition(
            complaint_id=world.ended.pk,
            name="fail_mediation",
            actor=mediator,
            params={"reason_code": "party_absent", "reason": "商家拒绝参加调解"},
        )
    world.recovery = Recovery.objects.create(
        complaint=world.ended,
        platform=world.ended.platform,
        merchant_name="某商家",
        amount="300.00",
        opened_at=timezone.now(),
    )


def _call(client, method: str, path: str, row: Row):
    body = row.body() if callable(row.body) else row.body
    return getattr(client, method.lower())(path, body, format=row.format)


def _problem_shape(response) -> dict:
    body = response.json()
    return {k: v for k, v in body.items() if k not in {"instance", "request_id"}}


def _check(world: World, route: tuple[str, str], role: str) -> str | None:
    """Call one route as one role; say what is wrong, or None."""
    row, method = MATRIX[route], route[1]
    expected = row.expect[role]
    client = world.clients[role]
    response = _call(client, method, row.path(world), row)
    body = b"(streamed)" if response.streaming else response.content[:200]
    got = f"{role}: expected {expected}, got {response.status_code} {body!r}"
    if expected in (SEES, EMPTY):
        if response.status_code != 200:
            return got
        references = [c["reference"] for c in response.json()["results"]]
        return None if (world.complaint.reference in references) == (expected == SEES) else got
    if response.status_code != expected:
        return got
    if expected >= 400 and response["Content-Type"] != "application/problem+json":
        return f"{role}: {expected} is not problem+json"
    if expected == 404:
        # Not yours looks exactly like does not exist.
        ghost = _call(client, method, row.ghost(world), row)
        if ghost.status_code != 404 or _problem_shape(response) != _problem_shape(ghost):
            return f"{role}: the 404 differs from the one for a missing object"
    return None


@pytest.mark.django_db
@pytest.mark.parametrize("route", list(MATRIX), ids=lambda r: f"{r[1]} {r[0]}")
def test_authorization_matrix(world, route):
    """Each role calls the route on the same world; each call is rolled back after."""
    wrong = []
    for role in ROLES:
        with transaction.atomic():
            wrong.append(_check(world, route, role))
            transaction.set_rollback(True)
    assert [w for w in wrong if w] == []
