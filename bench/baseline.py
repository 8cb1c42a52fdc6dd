"""The same-run baselines: the least a Django view can do with one INSERT or one SELECT.

They run through the same middleware, gunicorn workers and database as the API, so
a ratio against them cancels the machine's speed (and the other tenants' load) out
of the figure and leaves what our own code adds.
"""

from __future__ import annotations

import json

from django.db import connection
from django.http import HttpResponseBadRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

BASELINE_TABLE = "bench_baseline"  # created by bench/generate.py, not a migration


@csrf_exempt
@require_POST
def insert_one(request):
    """Parse a JSON body and INSERT one row: the floor for any write endpoint."""
    try:
        body = json.loads(request.body)
    except ValueError:
        return HttpResponseBadRequest()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {BASELINE_TABLE} (payload) VALUES (%s) RETURNING id",  # noqa: S608
            [json.dumps(body, ensure_ascii=False)],
        )
        (row_id,) = cursor.fetchone()
    return JsonResponse({"id": row_id}, status=201)


@require_GET
def select_one(request):
    """Fetch one complaint by primary key (?id=, random in the wrk script): the floor
    for any read."""
    try:
        pk = int(request.GET.get("id", "1"))
    except ValueError:
        return HttpResponseBadRequest()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, reference, status, updated_at FROM complaints_complaint WHERE id = %s",
            [pk],
        )
        row = cursor.fetchone()
    return JsonResponse({"id": row and row[0], "reference": row and row[1]})
