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

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from api.keys import api_key_create
from api.models import WebhookEndpoint
from api.webhooks.services import webhook_endpoint_create
from complaints.models import Complaint
from tests.api.clients import client_for
from tests.api.test_complaints_api import BODY
from tests.factories import PlatformFactory, UserFactory
from tests.states import complaint_in

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
    clients: dict = field(default_factory=dict)


@dataclass
class Row:
    path: Callable[[World], str]
    expect: dict[str, int | str]
    body: dict | None = None

    def __post_init__(self):
        assert set(self.expect) == set(ROLES), "every row names every role"


def by_role(default, **overrides) -> dict[str, int | str]:
    return {role: overrides.get(role, default) for role in ROLES}


def complaint_path(suffix: str = "") -> Callable[[World], str]:
    return lambda w: f"/api/v1/complaints/{w.complaint.reference}/{suffix}"


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
    ("complaint-detail", "GET"): Row(complaint_path(), by_role(200, **OUT_OF_SCOPE)),
    ("complaint-transitions", "GET"): Row(
        complaint_path("transitions/"), by_role(200, **OUT_OF_SCOPE)
    ),
    ("complaint-fire", "POST"): Row(
        complaint_path("transitions/fail_mediation/"),
        by_role(403, mediator=200, **OUT_OF_SCOPE),
        body={"reason_code": "no_agreement_possible", "reason": "双方对退款金额分歧过大"},
    ),
    ("complaint-events", "GET"): Row(complaint_path("events/"), by_role(200, **OUT_OF_SCOPE)),
    ("complaint-messages", "GET"): Row(
        complaint_path("messages/"), by_role(200, regulator=403, **OUT_OF_SCOPE)
    ),
    ("complaint-messages", "POST"): Row(
        complaint_path("messages/"),
        by_role(403, consumer=201, platform=201, mediator=201, **OUT_OF_SCOPE),
        body={"body": "请问退款何时到账？"},
    ),
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
    ),
    # The contract is public: integrators read it before they have a key.
    ("schema", "GET"): Row(lambda w: "/api/schema/", by_role(200)),
    ("api-docs", "GET"): Row(lambda w: "/api/docs/", by_role(200)),
}


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
def world(db, consumer, other_consumer, platform, other_platform, staff, mediator, regulator):
    complaint = complaint_in("mediating", consumer=consumer, platform_code="shop")
    assert complaint.mediator == mediator
    # Made after the assignment, so the case is not theirs.
    unassigned = UserFactory(username="mediator2", role="mediator")
    other_regulator = UserFactory(username="reg-gd", role="regulator", region_prefix="44")
    endpoint = webhook_endpoint_create(platform=platform, url="https://hooks.shop.example/wq")
    clients = {
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
    return World(complaint=complaint, endpoint=endpoint, clients=clients)


def _call(client, method: str, path: str, body: dict | None):
    return getattr(client, method.lower())(path, body, format="json")


def _problem_shape(response) -> dict:
    body = response.json()
    return {k: v for k, v in body.items() if k not in {"instance", "request_id"}}


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", list(MATRIX), ids=lambda r: f"{r[1]} {r[0]}")
def test_authorization_matrix(world, route, role):
    row = MATRIX[route]
    method = route[1]
    expected = row.expect[role]
    client = world.clients[role]
    path = row.path(world)

    response = _call(client, method, path, row.body)

    if expected in (SEES, EMPTY):
        assert response.status_code == 200, response.content
        references = [c["reference"] for c in response.json()["results"]]
        assert (world.complaint.reference in references) == (expected == SEES)
        return
    assert response.status_code == expected, response.content
    if expected >= 400:
        assert response["Content-Type"] == "application/problem+json"
    if expected == 404 and world.complaint.reference in path:
        # Not yours looks exactly like does not exist.
        ghost = _call(client, method, path.replace(world.complaint.reference, GHOST), row.body)
        assert ghost.status_code == 404
        assert _problem_shape(response) == _problem_shape(ghost)
