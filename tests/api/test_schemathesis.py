"""The API keeps its own OpenAPI promise: Schemathesis generates requests from /api/schema/.

Every operation is called through the real WSGI stack (middleware, authentication,
throttles, problem+json errors) by each kind of caller: a platform with its API key;
consumer, staff, mediator and regulator users with a session cookie and the CSRF pair
(DRF's SessionAuthentication enforces CSRF on unsafe methods); and no one. Complaints
exist in every state and outcome, so detail routes mostly hit real objects and every
transition succeeds at least once. No answer may be a 5xx, and each must match the
schema: a documented status code, content type and headers, and a body valid against
the documented schema.

Bounded and derandomized, so CI sends the same requests every run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pytest
import schemathesis
from django.core import signals
from django.core.cache import cache
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from django.middleware.csrf import _get_new_csrf_string
from django.test import override_settings
from hypothesis import HealthCheck, settings
from schemathesis import checks
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi import checks as openapi_checks

from api.keys import api_key_create
from api.webhooks.services import webhook_endpoint_create
from complaints.actors import Actor
from complaints.models import Complaint, Platform, User
from complaints.selectors import complaints_visible_to
from complaints.services import complaint_transition
from tests.api.clients import client_for
from tests.factories import PlatformFactory, UserFactory
from tests.states import PATHS, actor_for, complaint_in

pytestmark = pytest.mark.django_db

CHECKS = [
    checks.not_a_server_error,
    openapi_checks.status_code_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.response_schema_conformance,
    openapi_checks.response_headers_conformance,
]
ROLES = ["platform", "consumer", "staff", "mediator", "regulator", "anonymous"]
# Hypothesis examples per operation and caller (valid and invalid input), after the
# schema's own examples, which are sent as documented.
MAX_EXAMPLES = 10
CONFIG = {
    "seed": 12315,
    # The coverage phase (boundary values of every parameter) is not bounded by
    # max_examples and tripled the run time for no finding; fuzzing covers the same ground.
    "phases": {"coverage": {"enabled": False}},
}
# A generated `reference` or `id` is replaced by a real one, in turn, except in one
# call out of this many, which keeps the generated value to exercise 404s.
GENERATED_EVERY = 5
TRANSITION_PATH = re.compile(r"/transitions/(?P<name>[a-z_]+)/$")
# Closed cases with each outcome, so their answers are checked too.
CLOSINGS = [
    ("fail_mediation", {"reason_code": "party_absent", "reason": "经营者未参加调解"}),
    ("refer", {"route": "arbitration", "reason": "建议申请仲裁"}),
]

# The schema view itself; and the evidence views, which do not yet use
# api.schema.WeiquanAutoSchema, so their problem+json errors are undocumented. Making it
# REST_FRAMEWORK's DEFAULT_SCHEMA_CLASS documents them; then drop them from here.
NOT_CHECKED = r"^/api/schema/$"

# Loaded once at collection from the app's own schema view. The test settings allow no
# host yet at that point; pytest-django adds "testserver" per test, and the fixture
# below adds schemathesis' "localhost".
with override_settings(ALLOWED_HOSTS=["localhost"]):
    schema = schemathesis.openapi.from_wsgi(
        "/api/schema/?format=json",
        get_wsgi_application(),
        config=SchemathesisConfig.from_dict(CONFIG),
    ).exclude(path_regex=NOT_CHECKED)


@dataclass
class Caller:
    """How one caller authenticates, and the objects it may ask for."""

    actor: Actor | None  # None: no credentials
    headers: dict[str, str] = field(default_factory=dict)
    cookies: dict[str, str] = field(default_factory=dict)
    references: list[str] = field(default_factory=list)
    endpoint_ids: list[int] = field(default_factory=list)
    calls: int = 0

    def pick(self, real: list, generated):
        """Real objects in turn, so runs repeat; every few calls the generated value."""
        self.calls += 1
        if not real or self.calls % GENERATED_EVERY == 0:
            return generated
        return real[self.calls % len(real)]


@pytest.fixture(params=ROLES)
def role(request) -> str:
    return request.param


@pytest.fixture
def _in_process_requests(settings, quick_certificate):
    """Let schemathesis' WSGI client reach Django as Django's test client does.

    The app runs in this thread, on the test's connection and inside its transaction;
    `close_old_connections` would close that connection after each request (the test
    client disconnects it for the same reason). Throttle counts live in the cache.
    """
    settings.ALLOWED_HOSTS = ["localhost"]
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    cache.clear()
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@dataclass
class World:
    """The parties and their cases, built once for the module."""

    users: dict[str, User]
    platform: Platform
    references: list[str]
    endpoint_id: int


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Parties, complaints in every state and outcome, a webhook endpoint.

    Built once inside a transaction that is rolled back after the module, as Django's
    `setUpTestData` does: each test runs in a savepoint within it, so every operation
    starts from this same world whatever the previous one changed.
    """
    with django_db_blocker.unblock(), transaction.atomic():
        platform = PlatformFactory(code="shop", name="好物商城")
        PlatformFactory(code="other", name="另一平台")
        users = {
            role: UserFactory(username=f"st-{role}", role=role, display_name=f"{role}测试")
            for role in ("consumer", "staff", "mediator")
        }
        # Shanghai's regulator: the cases are filed in Pudong (310115).
        users["regulator"] = UserFactory(
            username="st-regulator", role="regulator", region_prefix="31"
        )
        someone_else = UserFactory(username="st-other", role="consumer")
        complaints = [
            complaint_in(state, consumer=users["consumer"], platform_code="shop") for state in PATHS
        ]
        for name, params in CLOSINGS:
            mediating = complaint_in("mediating", consumer=users["consumer"], platform_code="shop")
            complaints.append(
                complaint_transition(
                    complaint_id=mediating.pk,
                    name=name,
                    actor=actor_for("mediator", mediating),
                    params=params,
                )
            )
        # Someone else's case against another platform: hidden from all but staff.
        complaints.append(
            complaint_in("awaiting_response", consumer=someone_else, platform_code="other")
        )
        endpoint = webhook_endpoint_create(platform=platform, url="https://hooks.shop.example/wq")
        yield World(
            users=users,
            platform=platform,
            references=[c.reference for c in complaints],
            endpoint_id=endpoint.pk,
        )
        transaction.set_rollback(True)


@pytest.fixture
def caller(role, world, _in_process_requests) -> Caller:
    if role == "platform":
        found = Caller(actor=Actor.of_platform(world.platform), references=world.references)
        found.headers["Authorization"] = f"Api-Key {api_key_create(platform=world.platform)[1]}"
    elif role == "anonymous":
        found = Caller(actor=None, references=world.references)
    else:
        # A session as the web apps have it; unsafe methods also need the CSRF pair.
        user = world.users[role]
        found = Caller(actor=Actor.of_user(user), references=world.references)
        csrf = _get_new_csrf_string()
        found.cookies = {
            "sessionid": client_for(user).cookies["sessionid"].value,
            "csrftoken": csrf,
        }
        found.headers["X-CSRFToken"] = csrf
    found.endpoint_ids = [world.endpoint_id]
    return found


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    # Function-scoped fixtures are intended (state carries over between examples), and
    # requests through the whole stack are slow by Hypothesis' standards.
    suppress_health_check=list(HealthCheck),
)
def test_api_answers_as_its_schema_says(case, caller):
    path = case.path_parameters or {}
    if "reference" in path:
        path["reference"] = caller.pick(_references_for(case, caller), path["reference"])
    if "id" in path:
        path["id"] = caller.pick(caller.endpoint_ids, path["id"])
    case.call_and_validate(headers=caller.headers, cookies=caller.cookies, checks=CHECKS)


def _references_for(case, caller: Caller) -> list[str]:
    """The caller's cases; for a transition, those whose state allows it while any do."""
    if caller.actor is None:
        return caller.references
    visible = complaints_visible_to(caller.actor).filter(reference__in=caller.references)
    match = TRANSITION_PATH.search(case.operation.path)
    if match is not None:
        sources = {
            t.source
            for t in Complaint._meta.get_field("status").get_all_transitions(Complaint)
            if t.name == match["name"]
        }
        if visible.filter(status__in=sources).exists():
            visible = visible.filter(status__in=sources)
    return sorted(visible.values_list("reference", flat=True)) or caller.references


# What the checks found, pinned.


@pytest.mark.parametrize("page_size", ["ten", "", "0", "-5", "2.5", "1_0", "٣"])
def test_a_page_size_that_is_not_a_whole_number_is_a_400(consumer, page_size):
    # DRF's cursor pagination quietly used its default page for these
    response = client_for(consumer).get("/api/v1/complaints/", {"page_size": page_size})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert list(response.json()["errors"]) == ["page_size"]


def test_a_page_size_above_the_most_gets_the_most(consumer, platform):
    for _ in range(3):
        complaint_in("submitted", consumer=consumer, platform_code="shop")
    response = client_for(consumer).get("/api/v1/complaints/", {"page_size": 10**30})
    assert response.status_code == 200
    assert len(response.json()["results"]) == 3


def test_an_empty_filter_is_documented_as_no_filter(consumer, platform):
    complaint_in("submitted", consumer=consumer, platform_code="shop")
    response = client_for(consumer).get("/api/v1/complaints/", {"updated_after": ""})
    assert len(response.json()["results"]) == 1
    (parameter,) = [
        p
        for p in schema.raw_schema["paths"]["/api/v1/complaints/"]["get"]["parameters"]
        if p["name"] == "updated_after"
    ]
    assert parameter["allowEmptyValue"] is True
