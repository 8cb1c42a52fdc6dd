"""Request ids: every request carries one, in logs and in the `X-Request-ID` answer header."""

from __future__ import annotations

import re
import uuid

_VALID = re.compile(r"[A-Za-z0-9._-]{8,64}")


class RequestIdMiddleware:
    """Take a sane incoming `X-Request-ID` (from the proxy) or make one."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request.request_id = incoming if _VALID.fullmatch(incoming) else uuid.uuid4().hex
        response = self.get_response(request)
        response["X-Request-ID"] = request.request_id
        return response
