"""The one mapping from errors to HTTP: RFC 9457 `application/problem+json` bodies.

Domain errors carry a stable `code` and fields; this module alone decides their
status and title. Views never build error bodies.
"""

from __future__ import annotations

import logging
import re
from http import HTTPStatus

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, JsonResponse
from django_fsm import ConcurrentTransition, TransitionNotAllowed
from rest_framework import exceptions as drf
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import set_rollback

from api.data_rights import ErasureRefused
from complaints import exceptions as domain
from evidence import exceptions as evidence
from mediation import exceptions as mediation

logger = logging.getLogger("api.errors")
PROBLEM = "application/problem+json"
TYPE_BASE = "https://weiquan.example/problems/"

# code -> (status, title)
DOMAIN_STATUS: dict[type[domain.WeiquanError], tuple[int, str]] = {
    domain.DomainValidationError: (422, "The request breaks a rule"),
    domain.TransitionConflict: (409, "Not allowed in the current state"),
    domain.ConcurrentUpdate: (409, "Changed by someone else"),
    domain.TransitionForbidden: (403, "Not yours to do"),
    domain.UnknownTransition: (404, "No such transition"),
    domain.NotFound: (404, "Not found"),
    evidence.UploadTooLarge: (413, "File too large"),
    evidence.QuotaExceeded: (413, "Evidence quota exceeded"),
    evidence.UnsupportedEvidenceType: (415, "File type not accepted"),
    evidence.EvidenceUnavailable: (410, "Content purged after its retention period"),
    evidence.EvidenceMissing: (500, "Evidence content missing"),
    mediation.CompensationBlocked: (409, "Advance compensation blocked by a cap"),
    mediation.DocumentPending: (409, "Document not ready yet"),
    mediation.RecoveryClosed: (409, "Recovery already closed"),
    ErasureRefused: (409, "Cannot be erased now"),
}


def problem(status: int, code: str, title: str, detail: str = "", request=None, **extra) -> dict:
    body = {
        "type": TYPE_BASE + code,
        "title": title,
        "status": status,
        "detail": detail or title,
        "code": code,
    }
    if request is not None:
        body["instance"] = request.path
        request_id = getattr(request, "request_id", None)
        if request_id:
            body["request_id"] = request_id
    body.update({k: v for k, v in extra.items() if v is not None})
    return body


def _field_errors(detail, path: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail as flat `field` / `field.sub` / `field.0` keys to messages."""
    if isinstance(detail, dict):
        errors: dict[str, list[str]] = {}
        for key, value in detail.items():
            errors.update(_field_errors(value, f"{path}.{key}" if path else str(key)))
        return errors
    items = detail if isinstance(detail, list) else [detail]
    if all(not isinstance(item, dict | list) for item in items):
        return {path or "non_field_errors": [str(item) for item in items]}
    errors = {}
    for index, item in enumerate(items):  # a list field: errors per element ({} when fine)
        errors.update(_field_errors(item, f"{path}.{index}" if path else str(index)))
    return errors


def _domain_problem(exc: domain.WeiquanError, request) -> tuple[int, dict]:
    for cls in type(exc).__mro__:
        if cls in DOMAIN_STATUS:
            status, title = DOMAIN_STATUS[cls]
            break
    else:
        status, title = 400, "Bad request"
    extra = dict(exc.fields)  # a DomainValidationError's are {"errors": ...}
    if "status" in extra:  # the complaint's state, not the HTTP status
        extra["current_status"] = extra.pop("status")
    return status, problem(status, exc.code, title, exc.message, request, **extra)


def _title(exc: drf.APIException) -> str:
    """The same for every occurrence: DRF's default detail, unless it is a template."""
    title = str(exc.default_detail)
    if "{" in title:  # e.g. 'Unsupported media type "{media_type}" in request.'
        return HTTPStatus(exc.status_code).phrase
    return title


def problem_exception_handler(exc, context):
    """DRF's exception handler: everything becomes problem+json; the transaction rolls back."""
    request = context.get("request")
    headers = {}
    if isinstance(exc, domain.WeiquanError):
        status, body = _domain_problem(exc, request)
        if getattr(exc, "retry_after", None):
            headers["Retry-After"] = str(exc.retry_after)
    elif isinstance(exc, ConcurrentTransition):
        status, body = (
            409,
            problem(409, "concurrent_update", "Changed by someone else", str(exc), request),
        )
    elif isinstance(exc, TransitionNotAllowed):
        status, body = (
            409,
            problem(
                409, "transition_conflict", "Not allowed in the current state", str(exc), request
            ),
        )
    elif isinstance(exc, Http404):
        status, body = 404, problem(404, "not_found", "Not found", "", request)
    elif isinstance(exc, DjangoPermissionDenied):
        status, body = 403, problem(403, "permission_denied", "Forbidden", "", request)
    elif isinstance(exc, drf.APIException):
        status = exc.status_code
        code = exc.default_code if not isinstance(exc.get_codes(), str) else exc.get_codes()
        if isinstance(exc, drf.ValidationError):
            body = problem(
                400,
                "invalid",
                "Invalid request body",
                "One or more fields are invalid.",
                request,
                errors=_field_errors(exc.detail),
            )
        else:
            body = problem(status, str(code), _title(exc), str(exc.detail), request)
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header
        if getattr(exc, "wait", None) is not None:
            headers["Retry-After"] = str(int(exc.wait) + 1)
    else:
        return None  # an unexpected error: Django's 500 handler (below) answers
    set_rollback()
    if request is not None:
        # Problems are JSON whatever the endpoint renders (the schema view renders YAML).
        request.accepted_renderer = JSONRenderer()
        request.accepted_media_type = PROBLEM
    return Response(body, status=status, headers=headers, content_type=PROBLEM)


def problem_response(
    request,
    status: int,
    code: str,
    title: str,
    detail: str = "",
    *,
    headers: dict[str, str] | None = None,
    **extra,
) -> JsonResponse:
    """A problem+json answer from outside DRF (middleware, Django's error handlers)."""
    return JsonResponse(
        problem(status, code, title, detail, request, **extra),
        status=status,
        content_type=PROBLEM,
        headers=headers,
        json_dumps_params={"ensure_ascii": False},
    )


# Each transition has its own route (api/views/complaints.py), so a mistyped name is
# answered here, with the problem the service raises for an unknown name.
_TRANSITION_PATH = re.compile(r"^/api/v1/complaints/[^/]+/transitions/(?P<name>[a-z_]+)/$")


def api_404(request, exception=None):
    match = _TRANSITION_PATH.match(request.path)
    if match is not None and request.method == "POST":
        status, body = _domain_problem(domain.UnknownTransition(action=match["name"]), request)
        return JsonResponse(
            body, status=status, content_type=PROBLEM, json_dumps_params={"ensure_ascii": False}
        )
    return problem_response(request, 404, "not_found", "Not found")


def api_400(request, exception=None):
    """Requests Django refuses before any view (too many fields, a bad Host header)."""
    return problem_response(request, 400, "bad_request", "Bad request")


def api_500(request):
    logger.error(
        "unhandled error on %s request_id=%s", request.path, getattr(request, "request_id", "-")
    )
    return problem_response(request, 500, "server_error", "Internal server error")
