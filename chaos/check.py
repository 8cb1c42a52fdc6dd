"""After the storm: prove that nothing acknowledged was lost and nothing was left half done.

    python chaos/check.py --ledger LEDGER.jsonl --deliveries DELIVERIES.json

Run by chaos/run.py under chaos.settings against the private database, once every
process is back and the outbox has drained. Prints one JSON object.

Per acknowledged write (a 2xx answer, first or replayed), what must be stored:

- a filing: the complaint (reference, order number), its `filed` event and that
  event's evidence record;
- a transition: the event of that name on that complaint, with the `to_status` the
  answer showed, its evidence record, and an outbox message per subscribed endpoint
  when the event is one platforms hear about (api/webhooks/events.py);
- an upload: the evidence record the answer named (same SHA-256, same complaint) and
  its file in the evidence storage with that hash.

(Filing and uploads send no webhook: `filed` is internal until the centre accepts,
and an upload is no timeline event. So "its outbox message" applies to transitions.)

Over the whole database, whoever wrote it (acknowledged or not, sweep, tasks), the
half-done states that must not exist: a complaint without its `filed` event or
whose status is not the `to_status` of its latest event; an event without its
evidence record or without its outbox message; a mediating complaint without a
mediator; a chain head out of step with its records; a transition that happened
twice; an order filed twice (a retried filing must be replayed, not repeated); and
statistics counters that differ from a rebuild from the events.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chaos.settings")

# Transitions that happen at most once in a complaint's life.
ONCE = {"filed", "accept", "respond", "accept_proposal", "decline_proposal", "withdraw"}
EXAMPLES = 10


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ledger", type=Path, required=True)
    parser.add_argument("--deliveries", type=Path, required=True)
    args = parser.parse_args()

    import django

    django.setup()
    ledger = [json.loads(line) for line in args.ledger.read_text().splitlines() if line]
    received = json.loads(args.deliveries.read_text())
    report = check(ledger, received)
    report.update(evidence_commands())
    print(json.dumps(report, default=str))


def evidence_commands() -> dict:
    """`make_checkpoint`, then `verify_evidence` over everything, as an operator runs them."""
    from io import StringIO

    from django.core.management import CommandError, call_command

    out = StringIO()
    call_command("make_checkpoint", stdout=out)
    verify = StringIO()
    try:
        call_command("verify_evidence", stdout=verify)
    except CommandError as exc:
        return {"verify_ok": False, "verify_evidence": str(exc)}
    return {"verify_ok": True, "verify_evidence": verify.getvalue().strip()}


def check(ledger: list[dict], received: dict) -> dict:
    from django.db import transaction
    from django.db.models import Count

    from api.models import IdempotencyRecord, WebhookEndpoint, WebhookMessage
    from api.webhooks.events import event_type_for
    from complaints.choices import Status
    from complaints.models import Complaint, ComplaintEvent
    from evidence import storage
    from evidence.models import EvidenceChain, EvidenceRecord, Store
    from reporting.rebuild import counters_snapshot, statistics_rebuild

    complaints = {c.reference: c for c in Complaint.objects.all()}
    by_id = {c.pk: c for c in complaints.values()}
    events = list(ComplaintEvent.objects.order_by("id"))
    events_of: dict[int, list] = defaultdict(list)
    for event in events:
        events_of[event.complaint_id].append(event)
    evidenced = set(
        EvidenceRecord.objects.filter(event__isnull=False).values_list("event_id", flat=True)
    )
    endpoints = list(WebhookEndpoint.objects.all())
    outbox: dict[tuple[int, int], str] = {}
    for endpoint_id, payload, msg_id in WebhookMessage.objects.values_list(
        "endpoint_id", "payload", "msg_id"
    ):
        outbox[(payload["data"]["event_id"], endpoint_id)] = msg_id

    def missing_outbox(event) -> list[str]:
        event_type = event_type_for(event)
        if event_type is None:
            return []
        return [
            f"outbox message for endpoint {endpoint.pk}"
            for endpoint in endpoints
            if endpoint.wants(event_type)
            and endpoint.created_at <= event.created_at
            and (endpoint.disabled_at is None or endpoint.disabled_at > event.created_at)
            and (event.pk, endpoint.pk) not in outbox
        ]

    def event_named(complaint, name: str):
        found = [e for e in events_of.get(complaint.pk, []) if e.name == name]
        return found[0] if found else None

    # 1. Every acknowledged write, with what belongs to it.
    lost: list[dict] = []
    acked: Counter[str] = Counter()
    replayed = 0
    upload_ids = [e["record_id"] for e in ledger if e["op"] == "upload" and e["result"] == "ack"]
    records = {r.pk: r for r in EvidenceRecord.objects.filter(pk__in=upload_ids)}
    for entry in ledger:
        if entry["result"] != "ack":
            continue
        acked[entry["op"]] += 1
        replayed += bool(entry.get("replayed"))
        missing: list[str] = []
        complaint = complaints.get(entry.get("reference"))
        if complaint is None:
            missing.append("complaint")
        elif entry["op"] in ("file", "transition"):
            name = "filed" if entry["op"] == "file" else entry["name"]
            if entry["op"] == "file" and complaint.order_number != entry["order_number"]:
                missing.append("order number")
            event = event_named(complaint, name)
            if event is None:
                missing.append(f"event {name}")
            else:
                if event.to_status != entry.get("to_status"):
                    missing.append(f"state {entry.get('to_status')} (event says {event.to_status})")
                if event.pk not in evidenced:
                    missing.append("evidence record of the event")
                missing += missing_outbox(event)
        elif entry["op"] == "upload":
            record = records.get(entry.get("record_id"))
            if record is None:
                missing.append("evidence record")
            elif record.sha256 != entry["sha256"] or record.complaint_id != complaint.pk:
                missing.append("evidence record as answered")
            elif storage.file_sha256(record.sha256) != record.sha256:
                missing.append("evidence file")
        if missing:
            lost.append(
                {**{k: entry.get(k) for k in ("op", "name", "reference")}, "missing": missing}
            )

    # 2. Half-done states anywhere in the database.
    half: dict[str, list] = defaultdict(list)
    for complaint in complaints.values():
        timeline = events_of.get(complaint.pk, [])
        if not any(e.name == "filed" for e in timeline):
            half["complaint without its filed event"].append(complaint.reference)
        if timeline and timeline[-1].to_status != complaint.status:
            half["status without its event"].append(
                f"{complaint.reference}: {complaint.status}, last event {timeline[-1].name}"
            )
        if complaint.status == Status.MEDIATING and complaint.mediator_id is None:
            half["mediating without a mediator"].append(complaint.reference)
        names = Counter(e.name for e in timeline if e.name in ONCE)
        for name, n in names.items():
            if n > 1:
                half["transition recorded twice"].append(f"{complaint.reference} {name} x{n}")
    for event in events:
        if event.pk not in evidenced:
            half["event without its evidence record"].append(
                f"{by_id[event.complaint_id].reference} {event.name} (event {event.pk})"
            )
        for what in missing_outbox(event):
            half["event without its outbox message"].append(
                f"{by_id[event.complaint_id].reference} {event.name}: {what}"
            )
    for order, n in (
        Complaint.objects.values_list("order_number")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .values_list("order_number", "n")
    ):
        half["order filed twice"].append(f"{order} x{n}")
    for chain in EvidenceChain.objects.exclude(key="evidence:log"):
        last = EvidenceRecord.objects.filter(chain=chain.key).order_by("-seq").first()
        count = EvidenceRecord.objects.filter(chain=chain.key).count()
        if count != chain.length or (last and last.record_hash != chain.head_hash):
            half["evidence chain head out of step"].append(chain.key)
    with transaction.atomic():
        kept = counters_snapshot()
        statistics_rebuild()
        rebuilt = counters_snapshot()
        transaction.set_rollback(True)  # compare only; leave the counters as they were
    differing = {k for k in kept.keys() | rebuilt.keys() if kept.get(k) != rebuilt.get(k)}
    if differing:
        half["statistics differ from a rebuild"] = [str(k) for k in sorted(differing, key=str)]

    # 3. Webhooks: every outbox message delivered at least once, counted by webhook-id.
    deliveries = received["deliveries"]
    messages = dict(WebhookMessage.objects.values_list("msg_id", "delivered_at"))
    never_received = sorted(m for m in messages if m not in deliveries)
    not_marked = sorted(m for m, at in messages.items() if at is None)
    unknown_ids = sorted(m for m in deliveries if m not in messages)

    # 4. What the unacknowledged writes left behind (either complete or absent).
    unacked_filings = [
        e["order_number"] for e in ledger if e["op"] == "file" and e["result"] != "ack"
    ]
    orders = set(Complaint.objects.values_list("order_number", flat=True))
    return {
        "acknowledged": dict(acked),
        "acknowledged_total": sum(acked.values()),
        "replayed": replayed,
        "lost": len(lost),
        "lost_examples": lost[:EXAMPLES],
        "half_done": sum(len(v) for v in half.values()),
        "half_done_examples": {k: v[:EXAMPLES] for k, v in half.items()},
        "complaints": len(complaints),
        "events": len(events),
        "evidence_records": EvidenceRecord.objects.count(),
        "evidence_files": EvidenceRecord.objects.filter(store=Store.FILE).count(),
        "statistics_cells": len(kept),
        "outbox_messages": len(messages),
        "outbox_not_received": len(never_received),
        "outbox_not_received_examples": never_received[:EXAMPLES],
        "outbox_not_marked_delivered": len(not_marked),
        "deliveries": sum(deliveries.values()),
        "redelivered_messages": sum(1 for n in deliveries.values() if n > 1),
        "deliveries_of_unknown_ids": len(unknown_ids),
        "bad_signatures": received["bad_signatures"],
        "unacknowledged_filings": len(unacked_filings),
        "unacknowledged_filings_stored": sum(1 for o in unacked_filings if o in orders),
        "idempotency_left_in_progress": IdempotencyRecord.objects.filter(in_progress=True).count(),
    }


if __name__ == "__main__":
    main()
