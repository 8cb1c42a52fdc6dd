"""How the API appears in OpenAPI: auth scheme, problem+json errors, examples, code lists.

Everything here describes the API; nothing here changes how it behaves. The error
responses are added to every operation by `WeiquanAutoSchema`, from what the
operation is (a POST, a detail route, a list), so a new endpoint cannot forget them.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.module_loading import import_string
from drf_spectacular.authentication import SessionScheme
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse
from rest_framework import serializers

from api.errors import PROBLEM, TYPE_BASE
from api.idempotency import HEADER as IDEMPOTENCY_HEADER
from api.idempotency import MAX_KEY_LENGTH
from complaints.choices import Status


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.ApiKeyAuthentication"
    name = "ApiKeyAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "Platforms send `Authorization: Api-Key <key>`; "
            "the key is shown once by `create_api_key`.",
        }


class VerifiedSessionScheme(SessionScheme):
    """The web login's session cookie; staff, mediators and regulators also need the second
    factor (403 `second_factor_required` without it)."""

    target_class = "api.authentication.VerifiedSessionAuthentication"


class ProblemSerializer(serializers.Serializer):
    """An RFC 9457 problem: `code` is stable and what clients should branch on."""

    type = serializers.URLField(help_text="A URI naming the problem type.")
    title = serializers.CharField(help_text="A short summary of the problem type.")
    status = serializers.IntegerField(help_text="The HTTP status code.")
    detail = serializers.CharField(help_text="What went wrong in this case.")
    code = serializers.CharField(
        help_text="Stable machine-readable code, e.g. `invalid`, `validation_error`, "
        "`transition_conflict`, `transition_forbidden`, `not_found`, `not_authenticated`, "
        "`authentication_failed`, `unknown_transition`, `payload_too_large`, `throttled`, "
        "`idempotency_key_reused`."
    )
    instance = serializers.CharField(required=False, help_text="The request path.")
    request_id = serializers.CharField(
        required=False, help_text="Quote it when asking for support."
    )
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="400 and 422: field name to its messages (`non_field_errors` for the body).",
    )
    action = serializers.CharField(required=False, help_text="409 and 403: the refused action.")
    role = serializers.CharField(required=False, help_text="403: the caller's role.")
    current_status = serializers.ChoiceField(
        choices=Status.choices,
        required=False,
        help_text="409: the complaint's state when the action was refused.",
    )
    max_bytes = serializers.IntegerField(required=False, help_text="413: the size limit.")
    allowed_transitions = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="409: the transitions that are allowed in the current state.",
    )


def _problem_example(
    status: int, code: str, title: str, detail: str, instance: str, **extra
) -> OpenApiExample:
    value = {
        "type": TYPE_BASE + code,
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        "instance": instance,
        "request_id": "3f9c1e0a7b2d4c5e8f6a1b2c3d4e5f60",
        **extra,
    }
    return OpenApiExample(code, value=value, response_only=True, status_codes=[str(status)])


PROBLEM_EXAMPLES: dict[int, list[OpenApiExample]] = {
    400: [
        _problem_example(
            400,
            "invalid",
            "Invalid request body",
            "One or more fields are invalid.",
            "/api/v1/complaints/",
            errors={
                "amount_paid": ["请填写合法的数字。"],
                "category": ["“spaceships” 不是合法选项。"],
            },
        )
    ],
    401: [
        _problem_example(
            401,
            "not_authenticated",
            "身份认证信息未提供。",
            "身份认证信息未提供。",
            "/api/v1/complaints/",
        )
    ],
    403: [
        _problem_example(
            403,
            "transition_forbidden",
            "Not yours to do",
            "A consumer may not 'respond' this complaint.",
            "/api/v1/complaints/TS202611220001/transitions/respond/",
            action="respond",
            role="consumer",
        )
    ],
    404: [
        _problem_example(
            404, "not_found", "Not found", "Not found", "/api/v1/complaints/TS202611229999/"
        )
    ],
    409: [
        _problem_example(
            409,
            "transition_conflict",
            "Not allowed in the current state",
            "'accept_proposal' is not allowed while the complaint is awaiting_response.",
            "/api/v1/complaints/TS202611220001/transitions/accept_proposal/",
            action="accept_proposal",
            current_status="awaiting_response",
            allowed_transitions=["withdraw"],
        )
    ],
    413: [
        _problem_example(
            413,
            "payload_too_large",
            "Request body too large",
            "The body is 2097152 bytes; this endpoint takes at most 1048576.",
            "/api/v1/complaints/",
            max_bytes=1048576,
        )
    ],
    415: [
        _problem_example(
            415,
            "unsupported_media_type",
            "Unsupported Media Type",
            "不支持请求中的媒体类型 “text/plain”。",
            "/api/v1/complaints/",
        )
    ],
    422: [
        _problem_example(
            422,
            "validation_error",
            "The request breaks a rule",
            "Invalid input.",
            "/api/v1/complaints/TS202611220001/transitions/start_compensation/",
            errors={"amount": ["Must not exceed the agreed or claimed amount (1299.00)."]},
        )
    ],
    429: [
        _problem_example(
            429,
            "throttled",
            "请求已被限流。",
            "请求已被限流。 预计 12 秒后可用。",
            "/api/v1/complaints/",
        )
    ],
}

PROBLEM_DESCRIPTIONS: dict[int, str] = {
    400: "The body, a query parameter or the `Idempotency-Key` header is malformed; "
    "`errors` names the fields.",
    401: "No credentials, or an invalid or revoked API key.",
    403: "The caller may not do this (its role, or not its complaint to act on).",
    404: "No such object, or not visible to the caller; also an invalid list cursor.",
    409: "Not allowed in the complaint's current state (`allowed_transitions` says what is), "
    "changed concurrently, or a request with the same `Idempotency-Key` is still running.",
    413: "The body is larger than the limit (`max_bytes`): 1 MiB for JSON by default.",
    415: "The body is not JSON, multipart or form-encoded.",
    422: "Well-formed but breaks a domain rule, or the `Idempotency-Key` was used "
    "with a different request.",
    429: "Too many requests; `Retry-After` says when to try again.",
}


def documented_problem(status: int) -> OpenApiResponse:
    """The documented problem+json answer for `status`."""
    return OpenApiResponse(
        ProblemSerializer,
        description=PROBLEM_DESCRIPTIONS[status],
        examples=PROBLEM_EXAMPLES.get(status, []),
    )


def problems(*statuses: int) -> dict[tuple[int, str], OpenApiResponse]:
    """Problem+json answers for `extend_schema(responses=...)`, beyond the automatic ones."""
    return {(status, PROBLEM): documented_problem(status) for status in statuses}


IDEMPOTENCY_KEY = OpenApiParameter(
    IDEMPOTENCY_HEADER,
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="Any unique string (1 to 255 printable characters, a UUID is a good choice). "
    "Retrying with the same key and the same request replays the first successful answer "
    "for 24 hours instead of acting twice.",
    # Printable ASCII: the part of what the middleware accepts that headers carry safely.
    pattern=rf"^[\x20-\x7e]{{1,{MAX_KEY_LENGTH}}}$",
)


RESPONSE_HEADERS = [
    OpenApiParameter(
        "WWW-Authenticate",
        str,
        OpenApiParameter.HEADER,
        response=[401],
        description="`Api-Key`: the scheme platforms authenticate with.",
    ),
    OpenApiParameter(
        "Retry-After",
        int,
        OpenApiParameter.HEADER,
        response=[409, 429],
        description="Seconds to wait before retrying (throttled, or the same "
        "`Idempotency-Key` still in progress).",
    ),
]


class WeiquanAutoSchema(AutoSchema):
    """Adds the problem+json errors each operation can answer, and `Idempotency-Key`."""

    def _is_idempotent_post(self) -> bool:
        return self.method == "POST" and self.path.startswith("/api/v1/")

    def get_override_parameters(self):
        parameters = [*super().get_override_parameters(), *RESPONSE_HEADERS]
        if self._is_idempotent_post():
            parameters.append(IDEMPOTENCY_KEY)
        return parameters

    def _get_filter_parameters(self):
        parameters = super()._get_filter_parameters()
        for parameter in parameters:
            # django-filter reads `?updated_after=` as no filter, as an HTML form would
            # (a list, `?status=`, is checked value by value and refused).
            if parameter["in"] == "query" and parameter["schema"].get("type") != "array":
                parameter["allowEmptyValue"] = True
        return parameters

    def _problem_statuses(self) -> set[int]:
        statuses = {429}
        if self.get_auth():
            statuses |= {401, 403}
        if self.method in ("POST", "PUT", "PATCH"):
            statuses |= {400, 413, 415}
        if self.method in ("POST", "PUT", "PATCH", "DELETE") and self.path.startswith("/api/v1/"):
            statuses |= {400, 409, 422}  # every write depends on state and domain rules
        if "{" in self.path:
            statuses.add(404)
        if self.method == "GET" and self._is_list_view():
            statuses |= {400, 404}  # a bad filter value; a bad cursor
        return statuses

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for status in sorted(self._problem_statuses()):
            if str(status) not in responses:
                responses[str(status)] = self._get_response_for_code(
                    documented_problem(status), str(status), [PROBLEM], direction
                )
        return responses


# Examples an integrator can copy: request bodies in the domain's own words.

FILING_EXAMPLE = OpenApiExample(
    "蓝牙耳机质量问题，要求退款",
    summary="File a complaint: faulty earphones, refund demanded",
    value={
        "platform": "shop",
        "merchant_name": "优选数码专营店",
        "order_number": "SO-2026-0001",
        "order_date": "2026-11-01",
        "category": "electronics",
        "issue_type": "quality",
        "amount_paid": "1299.00",
        "amount_claimed": "1299.00",
        "demand": "refund",
        "description": "收到的蓝牙耳机左耳无声，联系客服七天未处理。",
        "region": "310115",
    },
    request_only=True,
)

TRANSITION_EXAMPLES: dict[str, list[OpenApiExample]] = {
    "reject": [
        OpenApiExample(
            "不属于本部门管辖",
            summary="Not ours to handle (Order 121 art. 16)",
            value={
                "reason_code": "out_of_remit",
                "reason": "经营者住所地不在本辖区，请向有管辖权的市场监管部门投诉。",
            },
            request_only=True,
        )
    ],
    "respond": [
        OpenApiExample(
            "同意退款",
            summary="Refund part of the price",
            value={
                "resolution": "refund",
                "amount": "500.00",
                "message": "经核实耳机存在质量问题，同意退款500元，三个工作日内原路退回。",
                "merchant": {
                    "name": "深圳市优选数码科技有限公司",
                    "credit_code": "91440300MA5F000000",
                    "address": "广东省深圳市南山区科技园路1号",
                    "contact": "0755-12345678",
                },
            },
            request_only=True,
        ),
        OpenApiExample(
            "不予支持",
            summary="Decline",
            value={"resolution": "decline", "message": "商品已超过保修期，不支持退款。"},
            request_only=True,
        ),
    ],
    "decline_proposal": [
        OpenApiExample(
            "退款金额不足",
            value={"reason": "退款金额不足以弥补损失，申请调解。"},
            request_only=True,
        )
    ],
    "sign_agreement": [
        OpenApiExample(
            "调解协议",
            value={
                "terms": "平台于七日内向消费者退款800元，消费者退回商品。",
                "amount": "800.00",
                "fulfilment_days": 7,
            },
            request_only=True,
        )
    ],
    "start_compensation": [
        OpenApiExample("先行赔付300元", value={"amount": "300.00"}, request_only=True)
    ],
    "pay_compensation": [
        OpenApiExample(
            "已赔付",
            value={"amount": "300.00", "transaction_ref": "PAY-20261201-0001"},
            request_only=True,
        )
    ],
    "fail_mediation": [
        OpenApiExample(
            "经营者拒绝调解",
            value={
                "reason_code": "party_absent",
                "reason": "经营者经两次通知无正当理由未参加调解。",
            },
            request_only=True,
        )
    ],
    "refer": [
        OpenApiExample(
            "建议仲裁",
            value={"route": "arbitration", "reason": "双方对赔偿金额分歧较大，建议申请仲裁。"},
            request_only=True,
        )
    ],
    "withdraw": [
        OpenApiExample(
            "已自行和解", value={"reason": "商家已主动退款，撤回投诉。"}, request_only=True
        )
    ],
}

MESSAGE_EXAMPLE = OpenApiExample(
    "询问退款进度",
    value={"body": "您好，请问退款什么时候到账？"},
    request_only=True,
)

WEBHOOK_ENDPOINT_EXAMPLE = OpenApiExample(
    "订阅转办与结案",
    summary="Receive forwarded and closed complaints",
    value={
        "url": "https://hooks.shop.example/weiquan",
        "events": ["complaint.forwarded", "complaint.closed"],
    },
    request_only=True,
)


# Code lists: each enum component names its Python member and Chinese label, for
# generators (`x-enum-varnames`, `x-enum-descriptions`) as well as for people.


def enum_labels_hook(result, generator, request, public):
    """Add `x-enum-varnames` and `x-enum-descriptions` to the enums named in the settings."""
    schemas = result.get("components", {}).get("schemas", {})
    for name, path in settings.SPECTACULAR_SETTINGS.get("ENUM_NAME_OVERRIDES", {}).items():
        component = schemas.get(name)
        if component is None or "enum" not in component:
            continue
        choices = import_string(path)
        by_value = {member.value: member for member in choices}
        members = [by_value[value] for value in component["enum"] if value in by_value]
        if len(members) != len(component["enum"]):
            continue
        component["x-enum-varnames"] = [member.name for member in members]
        component["x-enum-descriptions"] = [str(member.label) for member in members]
    return result
