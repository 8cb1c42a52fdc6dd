"""Liveness (/healthz) and readiness (/readyz) for load balancers and orchestrators.

Answered by OperationsEndpointsMiddleware, before the rest of the stack: probes
and the metrics scraper talk to a backend directly, by its address, over plain
HTTP, so these answers skip the Host check (ALLOWED_HOSTS), the HTTPS redirect,
sessions, CSRF and login, and DRF's throttling never sees them. /readyz answers
503 with every check's result when one fails, never an error page: each check
catches its own failure.
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from collections.abc import Callable

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import connections
from django.http import JsonResponse
from django.urls import ResolverMatch
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from kombu import Connection

# Probe files go under their own prefix, never among the hash-named evidence files.
STORAGE_PROBE_PREFIX = "health"


@never_cache
@require_safe
def healthz(request):
    """The process answers: no I/O at all."""
    return JsonResponse({"status": "ok"})


def check_database() -> None:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT 1")
        if cursor.fetchone()[0] != 1:
            raise RuntimeError("SELECT 1 did not return 1")


def check_broker() -> None:
    """Connect to the Celery broker once, without retrying (short timeout)."""
    url = settings.CELERY_BROKER_URL
    options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    if url.startswith("filesystem"):
        # kombu's filesystem transport "connects" without looking: check its folders.
        for key in ("data_folder_in", "data_folder_out"):
            folder = options.get(key)
            if folder and not os.access(folder, os.W_OK | os.X_OK):
                raise RuntimeError(f"broker folder {folder} is missing or not writable")
        return
    timeout = settings.READYZ_TIMEOUT_SECONDS
    with Connection(url, connect_timeout=timeout, transport_options=options) as connection:
        connection.ensure_connection(max_retries=0, timeout=timeout)


def check_storage() -> None:
    """Write, read back and delete a small file in the evidence storage."""
    storage = storages["evidence"]
    payload = f"readyz {socket.gethostname()} {time.time()}".encode()
    name = storage.save(f"{STORAGE_PROBE_PREFIX}/{uuid.uuid4().hex}", ContentFile(payload))
    try:
        with storage.open(name, "rb") as handle:
            if handle.read() != payload:
                raise RuntimeError("read back different bytes than written")
    finally:
        storage.delete(name)


CHECKS: dict[str, Callable[[], None]] = {
    "database": check_database,
    "broker": check_broker,
    "storage": check_storage,
}


def _run(check: Callable[[], None]) -> dict:
    started = time.perf_counter()
    try:
        check()
    except Exception as exc:  # noqa: BLE001 - any failure is "not ready", reported as such
        result = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:500]}
    else:
        result = {"ok": True}
    result["duration_ms"] = round((time.perf_counter() - started) * 1000, 1)
    return result


@never_cache
@require_safe
def readyz(request):
    """Ready when the database, the broker and the evidence storage all work: 200, else 503."""
    checks = {name: _run(check) for name, check in CHECKS.items()}
    ready = all(result["ok"] for result in checks.values())
    return JsonResponse(
        {"status": "ok" if ready else "unavailable", "checks": checks},
        status=200 if ready else 503,
    )


class OperationsEndpointsMiddleware:
    """Answer /healthz, /readyz and /metrics (config/metrics.py) whatever the Host header.

    Placed after the access log and request metrics, so these requests are logged
    and counted like any other, and before SecurityMiddleware and CommonMiddleware.
    """

    def __init__(self, get_response):
        from config.metrics import metrics

        self.get_response = get_response
        self.views = {"/healthz": healthz, "/readyz": readyz, "/metrics": metrics}

    def __call__(self, request):
        view = self.views.get(request.path_info)
        if view is None:
            return self.get_response(request)
        name = request.path_info.lstrip("/")
        # The route name for the metrics and logs, as if the URL resolver had matched.
        request.resolver_match = ResolverMatch(view, (), {}, url_name=name, route=name)
        return view(request)
