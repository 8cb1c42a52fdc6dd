"""The API keeps its own OpenAPI promise: Schemathesis generates requests from /api/schema/.

Every operation is called through config.wsgi, the WSGI application gunicorn serves
(middleware, authentication, throttles, problem+json errors), by each kind of caller: a
platform with its API key; consumer, staff, mediator and regulator users with a session
cookie and the CSRF pair (DRF's SessionAuthentication enforces CSRF on unsafe methods);
and no one. Complaints exist in every state and outcome, so detail routes mostly hit
real objects and every transition succeeds at least once.

Every check schemathesis has runs on every answer, except the two in EXCLUDED (which
says why): no 5xx; a documented status, content type and headers, and a body valid
against the schema; valid requests accepted and invalid ones refused (ACCEPTED,
REJECTED); credentials enforced (`ignored_auth` replays each operation without them and
with invalid ones).
Three tests, as the checks need different requests:

- `test_api_answers_as_its_schema_says`: the schema's examples, then fuzzing, for
  every operation and every caller.
- `test_api_answers_edge_cases_as_its_schema_says`: the coverage phase for the
  platform: boundary values, missing parts, undeclared media types, and every method a
  path does not declare, where `unsupported_method` wants a 405 with `Allow` and
  `allow_header_conformance` an OPTIONS listing exactly the declared methods.
  (`missing_required_header` runs there too; the API requires no header.)
- `test_what_is_created_can_be_used_at_once`: stateful scenarios, which
  `ensure_resource_availability` needs: a consumer files complaints and reads them.

Bounded and derandomized, so CI sends the same requests every run.
"""

from __future__ import annotations

import functools
import re
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
import schemathesis
from django.core import signals
from django.core.cache import cache
from django.db import close_old_connections, transaction
from django.middleware.csrf import _get_new_csrf_string
from django.test import override_settings
from django.utils import timezone
from hypothesis import HealthCheck, settings
from schemathesis import auths, checks
from schemathesis.config import SchemathesisConfig
from schemathesis.core.jsonschema import make_validator
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation.stateful import run_state_machine_as_test
from schemathesis.specs.openapi import checks as openapi_checks

from api.keys import api_key_create
from api.webhooks.services import webhook_endpoint_create
from complaints.actors import Actor
from complaints.models import Complaint, Platform, User
from complaints.selectors import complaints_visible_to
from complaints.services import complaint_transition
from config.wsgi import application
from tests.api.clients import client_for
from tests.factories import PlatformFactory, UserFactory
from tests.states import PATHS, actor_for, complaint_in

pytestmark = pytest.mark.django_db

# Every check schemathesis has, except those that cannot apply to this API (why, beside
# each): a check a newer schemathesis brings runs here without a change.
EXCLUDED = {
    # Needs a WFC multi-identity auth document and the CLI engine's pool of earlier
    # responses to tell which identity owns an object; here each caller brings its own
    # credentials. tests/api/test_authorization_matrix.py asserts the same property: every
    # route as every kind of caller against one complaint, someone else's a 404.
    "object_level_authorization",
    # Looks for a read that still succeeds after a DELETE of the same resource. The only
    # DELETE (/webhook-endpoints/{id}/) disables an endpoint, which has no read of its own,
    # and nothing else is ever deleted (records are append-only).
    "use_after_free",
}
checks.load_all_checks()
# Operations shown to refuse a request without credentials and with invalid ones.
_AUTH_ENFORCED: set[str] = set()


@functools.wraps(openapi_checks.ignored_auth)
def ignored_auth(ctx, response, case):
    """schemathesis' check, replaying each operation without credentials once per run as
    its CLI does (under pytest it would replay every successful request)."""
    ctx.auth_enforced_operations = _AUTH_ENFORCED
    return openapi_checks.ignored_auth(ctx, response, case)


CHECKS = [
    ignored_auth if check is openapi_checks.ignored_auth else check
    for check in checks.CHECKS.get_all()
    if check.__name__ not in EXCLUDED
]
ROLES = ["platform", "consumer", "staff", "mediator", "regulator", "anonymous"]
# Hypothesis examples per operation and caller (valid and invalid input), after the
# schema's own examples, which are sent as documented.
MAX_EXAMPLES = 10
# What a schema-valid request may get besides a success: the caller may not (401, 403,
# 404 for a complaint not theirs), not in this state (409), a domain rule (422; the
# schema documents where), or too many requests (429). Never a 5xx, and not a 400: that
# would be the schema and the server disagreeing about what is well-formed.
ACCEPTED = ["2xx", "401", "403", "404", "409", "422", "429"]
# And what a request the schema calls malformed may get: any refusal, not a 5xx.
REJECTED = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429"]
CONFIG = {
    "seed": 12315,
    # The coverage phase (boundary values of every parameter, unexpected methods) is not
    # bounded by max_examples: it runs for one caller, in its own test below.
    "phases": {"coverage": {"enabled": False}},
    # NUL is refused in every string, as PostgreSQL text cannot hold it: in a body by DRF
    # (400 naming the field), in the URL by api.limits. A schema could only say so with a
    # pattern on every string; tests/api/test_fuzz.py sends NUL bytes instead.
    "generation": {"allow-x00": False},
    "checks": {
        "positive_data_acceptance": {"expected-statuses": ACCEPTED},
        "negative_data_rejection": {"expected-statuses": REJECTED},
    },
    "operations": [
        {
            # A platform named by its code: an unknown code is a 400 naming `platform`,
            # as is none from staff (a platform sees its own). And a webhook URL must be
            # http(s) with a host, which `format: uri` does not say ("mailto:x" is one).
            "include-path-regex": "^/api/v1/(deposit/|deposit/entries/|webhook-endpoints/)$",
            "checks": {"positive_data_acceptance": {"expected-statuses": [*ACCEPTED, "400"]}},
        },
    ],
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
# The schema view describes the API rather than being part of it.
NOT_CHECKED = r"^/api/schema/$"


def _schema(config: dict):
    """The app's own schema, loaded through the WSGI application gunicorn serves.

    Loaded at collection. The test settings allow no host yet at that point;
    pytest-django adds "testserver" per test, and the fixture below adds schemathesis'
    "localhost".
    """
    with override_settings(ALLOWED_HOSTS=["localhost"]):
        loaded = schemathesis.openapi.from_wsgi(
            "/api/schema/?format=json", application, config=SchemathesisConfig.from_dict(config)
        ).exclude(path_regex=NOT_CHECKED)
    # Each test's own caller: nothing cached across tests.
    loaded.auth(refresh_interval=None)(CallerAuth)
    return loaded


@dataclass
class Caller:
    """How one caller authenticates, and the objects it may ask for."""

    actor: Actor | None  # None: no credentials
    credentials: dict[str, dict[str, str]] = field(default_factory=dict)  # see CallerAuth
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


_CALLER: ContextVar[Caller | None] = ContextVar("caller", default=None)


class CallerAuth:
    """Sends the current test's caller's credentials as schemathesis' own auth.

    So schemathesis knows them for what they are: `ignored_auth` replays a successful
    request without them and with invalid ones, and the random credentials it would
    otherwise generate for the schema's security schemes are left out. The anonymous
    caller has none, and sends what schemathesis generates.
    """

    def get(self, case, context):
        caller = _CALLER.get()
        return caller.credentials if caller is not None and caller.credentials else None

    def set(self, case, data, context):
        case.headers = {**(case.headers or {}), **data.get("headers", {})}
        case.cookies = {**(case.cookies or {}), **data.get("cookies", {})}


schema = _schema(CONFIG)
# The coverage phase alone: each parameter at its boundaries and just past them, each
# required part left out, a body of a media type not declared, and every method a path
# does not declare (405 with `Allow`; OPTIONS must list exactly the declared ones).
edges = _schema(
    {
        **CONFIG,
        "phases": {
            "examples": {"enabled": False},
            "fuzzing": {"enabled": False},
            "coverage": {"enabled": True},
        },
    }
)


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


def _caller(role: str, world: World) -> Caller:
    if role == "platform":
        found = Caller(actor=Actor.of_platform(world.platform), references=world.references)
        key = api_key_create(platform=world.platform)[1]
        found.credentials = {"headers": {"Authorization": f"Api-Key {key}"}}
    elif role == "anonymous":
        found = Caller(actor=None, references=world.references)
    else:
        # A session as the web apps have it; unsafe methods also need the CSRF pair.
        user = world.users[role]
        found = Caller(actor=Actor.of_user(user), references=world.references)
        csrf = _get_new_csrf_string()
        found.credentials = {
            "cookies": {"sessionid": client_for(user).cookies["sessionid"].value},
        }
        found.cookies = {"csrftoken": csrf}
        found.headers["X-CSRFToken"] = csrf
    found.endpoint_ids = [world.endpoint_id]
    return found


@pytest.fixture
def caller(role, world, _in_process_requests):
    found = _caller(role, world)
    token = _CALLER.set(found)
    yield found
    _CALLER.reset(token)


@pytest.fixture
def platform_caller(world, _in_process_requests):
    found = _caller("platform", world)
    token = _CALLER.set(found)
    yield found
    _CALLER.reset(token)


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
    _call_and_validate(case, caller)


@edges.parametrize()
@settings(deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_api_answers_edge_cases_as_its_schema_says(case, platform_caller):
    """The coverage phase, for one caller: it is not bounded by max_examples, and what it
    sends about methods and media types is answered alike for every caller."""
    _call_and_validate(case, platform_caller)


def _call_and_validate(case, caller: Caller) -> None:
    if not case._has_explicit_auth:
        # Cases made at collection (the schema's examples, the coverage phase) were made
        # before any caller: credentials as generation would have set them, now.
        context = auths.AuthContext(operation=case.operation, app=case.operation.app)
        auths.set_on_generated_case(case, context, case.operation.schema.auth)
    path = case.path_parameters or {}
    if case.meta is not None and case.meta.is_negative_at(ParameterLocation.PATH):
        path = {}  # a malformed reference or id must stay malformed
    if "reference" in path:
        path["reference"] = caller.pick(_references_for(case, caller), path["reference"])
    if "id" in path:
        path["id"] = caller.pick([str(pk) for pk in caller.endpoint_ids], path["id"])
    case.call_and_validate(
        headers=caller.headers,
        cookies=caller.cookies,
        checks=CHECKS,
        excluded_checks=_misjudged_by_json_schema(case),
    )


def _misjudged_by_json_schema(case) -> list:
    """The data checks that would misjudge this body, as DRF reads it otherwise.

    DRF strips the whitespace around a string before it checks it (a lone no-break
    space meets `minLength: 1` but is blank; 5000 characters and a newline meet
    `maxLength: 5000`) and reads a number where a string is declared as its text
    (`"contact": 0`), neither of which JSON Schema can say. So the body is judged again
    as DRF reads it: a valid one that DRF refuses, or an invalid one (invalid only
    there) that DRF takes, is left to the other checks, which still apply.
    """
    meta = case.meta
    if meta is None or not isinstance(case.body, dict | list):
        return []
    try:
        body = case.operation.get_body_for_media_type(case.media_type)
        validator = make_validator(
            body.optimized_schema, case.operation.schema.adapter.jsonschema_validator_cls
        )
        as_read = _stripped(case.body)
        valid_as_read = not [
            error for error in validator.iter_errors(as_read) if not _number_for_string(error)
        ]
    except Exception:  # a body the validator cannot read (multipart files): judged as is
        return []
    if meta.generation.mode.is_positive and not valid_as_read:
        return [openapi_checks.positive_data_acceptance]
    only_in_body = not any(
        meta.is_negative_at(location)
        for location in ParameterLocation
        if location is not ParameterLocation.BODY
    )
    if meta.generation.mode.is_negative and valid_as_read and only_in_body:
        return [openapi_checks.negative_data_rejection]
    return []


def _stripped(value):
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, dict):
        return {key: _stripped(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_stripped(item) for item in value]
    return value


def _number_for_string(error) -> bool:
    instance = error.instance
    return (
        type(error.kind).__name__ == "Type"
        and "string" in error.kind.types
        and isinstance(instance, int | float)
        and not isinstance(instance, bool)
    )


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


# Create, then use at once what was created: the chains schemathesis infers from the
# schema run as stateful scenarios, which `ensure_resource_availability` needs. A
# consumer files complaints and reads them, their timeline, their transitions and their
# messages by the `reference` the filing answered (the only creation whose answer
# schemathesis links to later requests: a webhook endpoint's `id` is linked only from
# the list). A valid filing gets a platform that exists, a real region and an order
# date in the past, which no schema can promise; everything else is generated.
WORKFLOW = r"^/api/v1/complaints/(\{reference\}/((events|transitions|messages)/)?)?$"


def _workflow_schema():
    raw = schema.raw_schema
    paths = {path: item for path, item in raw["paths"].items() if re.match(WORKFLOW, path)}
    # The state machine takes every operation of the schema it is built from, whatever
    # `include()` says: so a schema of these paths only. Without the credentials
    # schemathesis would generate as parameters (CallerAuth sends the consumer's): the
    # check trusts a 404 only for requests made wholly of values earlier steps gave.
    config = {**CONFIG, "generation": {**CONFIG["generation"], "with-security-parameters": False}}
    loaded = schemathesis.openapi.from_dict(
        {**raw, "paths": paths}, config=SchemathesisConfig.from_dict(config)
    )
    loaded.app = application
    loaded.auth(refresh_interval=None)(CallerAuth)
    return loaded


workflow = _workflow_schema()


def _filing_that_can_succeed(case) -> None:
    body = case.body
    if case.path != "/api/v1/complaints/" or case.method != "POST":
        return
    if case.meta is None or case.meta.generation.mode.is_negative or not isinstance(body, dict):
        return
    order_date = timezone.localdate() - timedelta(days=5)
    body.update(platform="shop", region="310115", order_date=order_date.isoformat())


@pytest.mark.parametrize("role", ["consumer"])
def test_what_is_created_can_be_used_at_once(role, caller):
    class Workflow(workflow.as_state_machine()):
        def before_call(self, case):
            _filing_that_can_succeed(case)

        def get_call_kwargs(self, case):
            return {"headers": caller.headers, "cookies": caller.cookies}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(
                response,
                checks=CHECKS,
                excluded_checks=_misjudged_by_json_schema(case),
                transport_kwargs=kwargs,
                recorder=self.recorder,
            )

    run_state_machine_as_test(
        Workflow,
        settings=settings(
            max_examples=10,
            stateful_step_count=6,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        ),
    )


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
