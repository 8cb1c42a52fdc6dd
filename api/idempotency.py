"""`Idempotency-Key` on every POST under /api/v1/.

Same caller, same key, same request: the first successful answer is replayed for
24 hours without doing anything again. Same key with another request: 422. A
duplicate arriving while the first still runs: 409 with `Retry-After`. Only
successful (2xx) answers are kept: a refused or invalid request stores nothing,
so the caller may correct it and retry with the same key.

The caller's scope is its platform for API keys (any of the platform's keys may
retry) and the user otherwise; an unauthenticated request is left to the view.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.http import parse_header_parameters

from api.errors import problem_response
from api.keys import api_key_authenticate
from api.models import IdempotencyRecord

HEADER = "Idempotency-Key"
TTL = timedelta(hours=24)
# No request runs this long (gunicorn's timeout is far shorter).
IN_PROGRESS_LEASE = timedelta(minutes=10)
MAX_KEY_LENGTH = 255


def _scope(request) -> str | None:
    auth = request.headers.get("Authorization", "")
    scheme, _, raw = auth.partition(" ")
    if scheme.lower() == "api-key":
        key = api_key_authenticate(raw.strip())
        return f"platform:{key.platform_id}" if key else None
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return None


def _request_digest(request) -> str:
    """What makes two requests "the same": method, path and body.

    A multipart body's boundary is chosen afresh by the client on every send, so it is
    taken out: the same upload retried is the same request.
    """
    body = request.body
    content_type = request.META.get("CONTENT_TYPE", "")
    if content_type.startswith("multipart/"):
        _, params = parse_header_parameters(content_type)
        boundary = params.get("boundary", "").encode()
        if boundary:
            body = body.replace(boundary, b"")
    head = b"%s %s\n" % (request.method.encode(), request.get_full_path().encode())
    return hashlib.sha256(head + body).hexdigest()


def _in_progress(request) -> JsonResponse:
    return problem_response(
        request,
        409,
        "idempotency_in_progress",
        "Request in progress",
        "A request with this key is still being processed.",
        headers={"Retry-After": "1"},
    )


def purge_expired(now=None) -> int:
    """Delete records older than the replay window; returns how many."""
    cutoff = (now or timezone.now()) - TTL
    return IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()[0]


class IdempotencyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        key = request.headers.get(HEADER)
        if key is None or request.method != "POST" or not request.path.startswith("/api/v1/"):
            return self.get_response(request)
        if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
            return problem_response(
                request,
                400,
                "invalid_idempotency_key",
                "Invalid Idempotency-Key",
                f"Send 1 to {MAX_KEY_LENGTH} printable characters.",
            )
        scope = _scope(request)
        if scope is None:
            return self.get_response(request)
        digest = _request_digest(request)

        record = self._claim(scope, key, request, digest)
        if not isinstance(record, IdempotencyRecord):
            return record  # a replay or a refusal
        try:
            response = self.get_response(request)
        except BaseException:
            record.delete()
            raise
        if 200 <= response.status_code < 300 and not response.streaming:
            record.in_progress = False
            record.status_code = response.status_code
            record.response_body = response.content
            record.content_type = response.get("Content-Type", "")
            record.save(
                update_fields=["in_progress", "status_code", "response_body", "content_type"]
            )
        else:
            record.delete()
        return response

    def _claim(self, scope: str, key: str, request, digest: str):
        """Insert the in-progress row, or answer from the one that is there."""
        for _attempt in range(2):
            try:
                with transaction.atomic():
                    return IdempotencyRecord.objects.create(
                        scope=scope,
                        key=key,
                        method=request.method,
                        path=request.path[:500],
                        request_hash=digest,
                    )
            except IntegrityError:
                existing = IdempotencyRecord.objects.filter(scope=scope, key=key).first()
            if existing is None:
                continue  # finished and deleted meanwhile: claim again
            now = timezone.now()
            # Past the window, or a claim whose request died without cleaning up (a
            # killed worker): the key is free again.
            abandoned = existing.in_progress and existing.created_at < now - IN_PROGRESS_LEASE
            if existing.created_at < now - TTL or abandoned:
                existing.delete()
                continue
            if existing.request_hash != digest:
                return problem_response(
                    request,
                    422,
                    "idempotency_key_reused",
                    "Idempotency-Key reused",
                    "This key was used with a different request.",
                )
            if existing.in_progress:
                return _in_progress(request)
            response = HttpResponse(
                bytes(existing.response_body),
                status=existing.status_code,
                content_type=existing.content_type,
            )
            response["Idempotent-Replayed"] = "true"
            return response
        return _in_progress(request)
