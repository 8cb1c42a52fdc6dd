"""The OpenAPI schema: valid, with every code list labelled in Chinese and copyable examples."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from drf_spectacular.drainage import reset_generator_stats
from jsonschema import Draft4Validator

from api.serializers import TRANSITION_SERIALIZERS
from complaints.choices import (
    Category,
    Demand,
    FailReason,
    IssueType,
    Outcome,
    RejectReason,
    Resolution,
    Status,
)
from tests.api.clients import client_for
from tests.helpers import PROBLEM

# Views that do not use api.schema.WeiquanAutoSchema yet (see test_schemathesis.py).
NOT_CHECKED = re.compile(r"^/api/schema/$")


@pytest.fixture(scope="module")
def openapi(django_db_blocker) -> dict:
    """The schema as the app serves it."""
    with django_db_blocker.unblock():
        response = client_for().get("/api/schema/?format=json")
    assert response.status_code == 200
    return response.json()


def operations(openapi: dict):
    for path, item in openapi["paths"].items():
        if NOT_CHECKED.search(path):
            continue
        for method, operation in item.items():
            yield path, method, operation


def matches(openapi: dict, schema: dict, value) -> list[str]:
    """Why `value` does not match `schema` (refs resolved in `openapi`); empty if it does."""
    validator = Draft4Validator({**schema, "components": openapi["components"]})
    return [error.message for error in validator.iter_errors(value)]


def test_schema_validates_without_warnings(tmp_path):
    reset_generator_stats()
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml")
    )
    assert (tmp_path / "schema.yaml").read_text(encoding="utf-8").startswith("openapi: 3.")


@pytest.mark.parametrize(
    ("component", "choices"),
    [
        ("CategoryEnum", Category),
        ("IssueTypeEnum", IssueType),
        ("DemandEnum", Demand),
        ("ResolutionEnum", Resolution),
        ("RejectReasonEnum", RejectReason),
        ("FailReasonEnum", FailReason),
        ("StatusEnum", Status),
        ("OutcomeEnum", Outcome),
    ],
)
def test_each_code_list_names_every_code_with_its_chinese_label(openapi, component, choices):
    enum = openapi["components"]["schemas"][component]
    assert enum["enum"] == list(choices.values)
    for member in choices:
        assert f"`{member.value}` - {member.label}" in enum["description"]
    assert enum["x-enum-varnames"] == list(choices.names)
    assert enum["x-enum-descriptions"] == [str(label) for label in choices.labels]


def test_the_category_list_is_in_chinese(openapi):
    description = openapi["components"]["schemas"]["CategoryEnum"]["description"]
    assert "* `electronics` - 家用电子电器" in description
    assert "* `livestream` - 直播带货" in description


def test_filing_a_complaint_has_a_chinese_example_that_matches_the_body(openapi):
    body = openapi["paths"]["/api/v1/complaints/"]["post"]["requestBody"]["content"]
    examples = body["application/json"]["examples"]
    assert examples
    for example in examples.values():
        value = example["value"]
        assert value["description"] == "收到的蓝牙耳机左耳无声，联系客服七天未处理。"
        assert matches(openapi, body["application/json"]["schema"], value) == []


def test_every_example_matches_the_schema_it_illustrates(openapi):
    checked = 0
    for path, method, operation in operations(openapi):
        contents = [operation.get("requestBody", {}).get("content", {})]
        contents += [r.get("content", {}) for r in operation["responses"].values()]
        for content in contents:
            for media_type, body in content.items():
                for name, example in body.get("examples", {}).items():
                    errors = matches(openapi, body["schema"], example["value"])
                    assert errors == [], (method, path, media_type, name)
                    checked += 1
    assert checked > 100


def test_each_transition_is_its_own_operation_with_its_body(openapi):
    for name, serializer in TRANSITION_SERIALIZERS.items():
        operation = openapi["paths"][f"/api/v1/complaints/{{reference}}/transitions/{name}/"]
        post = operation["post"]
        assert post["operationId"] == f"complaints_transition_{name}"
        assert set(post["responses"]) >= {"200", "400", "403", "404", "409", "422"}
        if serializer().fields:
            assert "requestBody" in post, name
    reject = openapi["paths"]["/api/v1/complaints/{reference}/transitions/reject/"]["post"]
    json_body = reject["requestBody"]["content"]["application/json"]
    assert json_body["schema"] == {"$ref": "#/components/schemas/RejectRequest"}
    (example,) = json_body["examples"].values()
    assert example["value"]["reason_code"] == "out_of_remit"
    reason_code = openapi["components"]["schemas"]["RejectRequest"]["properties"]["reason_code"]
    assert reason_code == {"$ref": "#/components/schemas/RejectReasonEnum"}
    respond = openapi["paths"]["/api/v1/complaints/{reference}/transitions/respond/"]["post"]
    assert len(respond["requestBody"]["content"]["application/json"]["examples"]) == 2


def test_messages_and_webhook_endpoints_have_chinese_examples(openapi):
    messages = openapi["paths"]["/api/v1/complaints/{reference}/messages/"]["post"]
    (example,) = messages["requestBody"]["content"]["application/json"]["examples"].values()
    assert example["value"] == {"body": "您好，请问退款什么时候到账？"}
    webhooks = openapi["paths"]["/api/v1/webhook-endpoints/"]["post"]
    assert webhooks["requestBody"]["content"]["application/json"]["examples"]


def test_every_error_answer_is_documented_as_problem_json(openapi):
    for path, method, operation in operations(openapi):
        responses = operation["responses"]
        assert {"401", "429"} <= set(responses), (method, path)
        if "{" in path:
            assert "404" in responses, (method, path)
        if method == "post":
            assert {"400", "409", "413", "415", "422"} <= set(responses), (method, path)
        for status, response in responses.items():
            if status.startswith("4"):
                assert list(response["content"]) == [PROBLEM], (method, path, status)
                schema = response["content"][PROBLEM]["schema"]
                assert schema == {"$ref": "#/components/schemas/Problem"}


def test_posts_document_the_idempotency_key(openapi):
    for path, method, operation in operations(openapi):
        headers = {p["name"] for p in operation.get("parameters", []) if p["in"] == "header"}
        assert ("Idempotency-Key" in headers) == (method == "post"), (method, path)
