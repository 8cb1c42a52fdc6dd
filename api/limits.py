"""Request limits under /api/: 413 problem+json before a byte of the body is read.

A JSON body is small (a complaint, an answer, a message), so it gets a tight limit;
a multipart upload may carry one evidence file up to the upload limit plus its form
fields. Django's own DATA_UPLOAD_MAX_MEMORY_SIZE only guards `request.body` and form
fields, and answers 400; integrators need to tell "too big" from "malformed".

And no NUL byte in the URL (`%00`): PostgreSQL text cannot hold one, so a reference or
a platform code carrying it would fail in the query (a 500). Under /api/, in the path
it names nothing (404) and in the query string it is a malformed parameter (400); on
the web pages either is the 400 page.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import BadRequest

from api.errors import problem_response

# Form fields and multipart boundaries around one uploaded file.
MULTIPART_OVERHEAD = 64 * 1024


def body_limit(content_type: str) -> int:
    limits = settings.WEIQUAN
    if content_type.startswith("multipart/"):
        return limits["EVIDENCE_MAX_UPLOAD_BYTES"] + MULTIPART_OVERHEAD
    return limits["API_MAX_BODY_BYTES"]


class RequestSizeLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith("/api/") and (
            "\x00" in request.path or any(_has_nul(n, v) for n, v in request.GET.lists())
        ):
            # A page's filter or address with a NUL byte: the web's 400 page.
            raise BadRequest("NUL byte in the URL")
        if request.path.startswith("/api/"):
            if "\x00" in request.path:
                return problem_response(request, 404, "not_found", "Not found")
            nul = sorted({name for name, values in request.GET.lists() if _has_nul(name, values)})
            if nul:
                return problem_response(
                    request,
                    400,
                    # The problem DRF's own validation answers, so that clients need
                    # no other code: see api.errors.
                    "invalid",
                    "Invalid request body",
                    "One or more fields are invalid.",
                    errors={name: ["No NUL bytes (%00)."] for name in nul},
                )
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0  # Django reads such a body as empty
            limit = body_limit(request.META.get("CONTENT_TYPE", ""))
            if length > limit:
                return problem_response(
                    request,
                    413,
                    "payload_too_large",
                    "Request body too large",
                    f"The body is {length} bytes; this endpoint takes at most {limit}.",
                    max_bytes=limit,
                )
        return self.get_response(request)


def _has_nul(name: str, values: list[str]) -> bool:
    return "\x00" in name or any("\x00" in value for value in values)
