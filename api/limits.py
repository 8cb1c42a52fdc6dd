"""Request size limits under /api/: 413 problem+json before a byte of the body is read.

A JSON body is small (a complaint, an answer, a message), so it gets a tight limit;
a multipart upload may carry one evidence file up to the upload limit plus its form
fields. Django's own DATA_UPLOAD_MAX_MEMORY_SIZE only guards `request.body` and form
fields, and answers 400; integrators need to tell "too big" from "malformed".
"""

from __future__ import annotations

from django.conf import settings

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
        if request.path.startswith("/api/"):
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
