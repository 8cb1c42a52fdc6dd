"""The steady load: consumers file and upload, staff accept, the platform answers, consumers decide.

Each client thread walks complaints through the HTTP API as the real callers would
(docs/api.md): the consumer files (`POST /api/v1/complaints/`) and uploads a photo,
staff `accept`, the platform (API key) `respond`s and uploads a transaction record,
and the consumer accepts or declines the proposal, or withdraws.

Every write carries an `Idempotency-Key` and is retried with the same key and body
while the answer is a connection error, a 5xx, a 429 or "in progress" (409
`idempotency_in_progress`), for up to `op_seconds`: that is what a careful client
does when the server or its database is crashing under it. The outcome of each
write goes into the ledger:

- `ack`: a 2xx (a first answer or a replay): the server promised it is stored;
  chaos/check.py proves that it is, with everything that belongs to it;
- `refused`: a definitive 4xx (e.g. 409 because a first try committed but its
  answer was lost, so the state moved on);
- `unknown`: no 2xx within the time: it may or may not have happened, and either
  way it must have happened completely or not at all.
"""

from __future__ import annotations

import http.client
import json
import random
import struct
import threading
import time
import uuid
import zlib
from dataclasses import dataclass, field
from datetime import date, timedelta

RETRY_STATUSES = {429, 500, 502, 503, 504}
REQUEST_TIMEOUT = 30


def png(seed: bytes) -> bytes:
    """A small real PNG (8 x 8 RGB) whose pixels come from `seed`: every upload differs."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    pixels = (seed * 200)[: 8 * 8 * 3]
    raw = b"".join(b"\x00" + pixels[row * 24 : row * 24 + 24] for row in range(8))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 8, 8, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def multipart(fields: dict[str, str], name: str, content: bytes, media_type: str):
    """A multipart/form-data body with one file; the boundary is fixed per request."""
    boundary = f"chaos{uuid.uuid4().hex}"
    parts = []
    for key, value in fields.items():
        disposition = f'Content-Disposition: form-data; name="{key}"'
        parts.append(f"--{boundary}\r\n{disposition}\r\n\r\n{value}\r\n".encode())
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
        f"Content-Type: {media_type}\r\n\r\n".encode()
        + content
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


@dataclass
class Ledger:
    """Every write the load attempted, with its outcome; shared by the client threads."""

    entries: list[dict] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, entry: dict) -> None:
        with self.lock:
            self.entries.append(entry)

    def counts(self) -> dict[str, int]:
        with self.lock:
            out: dict[str, int] = {}
            for e in self.entries:
                key = f"{e['op']}:{e['result']}"
                out[key] = out.get(key, 0) + 1
            return out


class Client:
    """One caller's HTTP access: a consumer's or staff's session, or the platform's key."""

    def __init__(self, host: str, port: int, creds: dict) -> None:
        self.host, self.port, self.creds = host, port, creds

    def headers(self, who: str) -> dict[str, str]:
        if who == "platform":
            return {"Authorization": f"Api-Key {self.creds['api_key']}"}
        session = (
            self.creds["staff_session"]
            if who == "staff"
            else self.creds["consumer_sessions"][int(who.split(":")[1])]
        )
        csrf = self.creds["csrf"]
        return {"Cookie": f"sessionid={session}; csrftoken={csrf}", "X-CSRFToken": csrf}

    def post(self, path: str, who: str, body: bytes, content_type: str, key: str):
        """POST once: (status, parsed JSON or None, headers); raises on a broken connection."""
        conn = http.client.HTTPConnection(self.host, self.port, timeout=REQUEST_TIMEOUT)
        try:
            headers = {
                **self.headers(who),
                "Content-Type": content_type,
                "Idempotency-Key": key,
                "Accept-Language": "en",
            }
            conn.request("POST", path, body=body, headers=headers)
            response = conn.getresponse()
            raw = response.read()
            try:
                data = json.loads(raw) if raw else None
            except ValueError:
                data = None
            return response.status, data, dict(response.getheaders())
        finally:
            conn.close()

    def write(
        self, *, op: str, path: str, who: str, body: bytes, content_type: str, op_seconds: float
    ) -> dict:
        """Send one write until it is answered for good, or `op_seconds` pass."""
        key = f"chaos-{uuid.uuid4().hex}"
        started = time.monotonic()
        attempts, status, data, replayed, code = 0, None, None, False, ""
        while True:
            attempts += 1
            try:
                status, data, headers = self.post(path, who, body, content_type, key)
                code = (data or {}).get("code", "") if isinstance(data, dict) else ""
                replayed = headers.get("Idempotent-Replayed") == "true"
            except (OSError, http.client.HTTPException) as exc:
                status, data, code = None, None, type(exc).__name__
            if status is not None and 200 <= status < 300:
                result = "ack"
                break
            retry = (
                status is None
                or status in RETRY_STATUSES
                or (status == 409 and code == "idempotency_in_progress")
            )
            if not retry:
                result = "refused"
                break
            if time.monotonic() - started > op_seconds:
                result = "unknown"
                break
            time.sleep(min(0.2 * 2**attempts, 2.0) * random.uniform(0.5, 1.0))
        return {
            "op": op,
            "result": result,
            "status": status,
            "code": code,
            "replayed": replayed,
            "attempts": attempts,
            "seconds": round(time.monotonic() - started, 3),
            "data": data if result == "ack" else None,
            # Why a refusal was final: the problem's field errors, if any.
            "errors": (data or {}).get("errors") if result == "refused" else None,
        }


class LoadThread(threading.Thread):
    """One client: complaint after complaint through its life, until told to stop."""

    def __init__(
        self,
        index: int,
        client: Client,
        ledger: Ledger,
        stop: threading.Event,
        *,
        run_id: str,
        platform: str,
        op_seconds: float,
        seed: int,
    ) -> None:
        super().__init__(name=f"load-{index}", daemon=True)
        self.index, self.client, self.ledger, self.stop_event = index, client, ledger, stop
        self.run_id, self.platform, self.op_seconds = run_id, platform, op_seconds
        self.random = random.Random(seed * 1000 + index)
        self.consumer = f"consumer:{index % len(client.creds['consumer_sessions'])}"
        self.cases = 0

    def write(self, op: str, path: str, who: str, body, content_type="application/json", **info):
        if isinstance(body, dict):
            body = json.dumps(body, ensure_ascii=False).encode()
        entry = self.client.write(
            op=op, path=path, who=who, body=body, content_type=content_type,
            op_seconds=self.op_seconds,
        )  # fmt: skip
        entry.update(info)
        entry["at"] = time.time()
        data = entry.pop("data")
        if data:
            if op == "file":
                entry["reference"] = data.get("reference")
                entry["to_status"] = data.get("status")
            elif op == "upload":
                entry["record_id"] = data.get("id")
                entry["sha256"] = data.get("sha256")
            else:
                entry["to_status"] = data.get("status")
        self.ledger.add(entry)
        return entry

    def run(self) -> None:
        while not self.stop_event.is_set():
            self.cases += 1
            self.case(f"CHAOS-{self.run_id}-{self.index}-{self.cases:05d}")

    def transition(self, ref: str, name: str, who: str, body: dict) -> bool:
        path = f"/api/v1/complaints/{ref}/transitions/{name}/"
        return (
            self.write("transition", path, who, body, reference=ref, name=name)["result"] == "ack"
        )

    def upload(self, ref: str, who: str, kind: str, content: bytes, file_name: str, media: str):
        body, content_type = multipart(
            {"kind": kind, "description": f"chaos {kind}"}, file_name, content, media
        )
        path = f"/api/v1/complaints/{ref}/evidence/"
        self.write("upload", path, who, body, content_type, reference=ref, kind=kind)

    def case(self, order_number: str) -> None:
        rnd = self.random
        amount = f"{rnd.randint(20, 3000)}.{rnd.randint(0, 99):02d}"
        filed = self.write(
            "file",
            "/api/v1/complaints/",
            self.consumer,
            {
                "platform": self.platform,
                "merchant_name": f"混沌旗舰店{rnd.randint(1, 20):02d}",
                "order_number": order_number,
                "order_date": (date.today() - timedelta(days=rnd.randint(1, 30))).isoformat(),
                "category": rnd.choice(["electronics", "apparel", "food"]),
                "issue_type": "quality",
                "amount_paid": amount,
                "amount_claimed": amount,
                "demand": "refund",
                "description": "收到的商品有质量问题，商家拒绝退款，请求平台处理。",
                "region": "310115",
            },
            order_number=order_number,
        )
        if filed["result"] != "ack":
            return
        ref = filed["reference"]
        self.upload(ref, self.consumer, "photo", png(uuid.uuid4().bytes), "photo.png", "image/png")
        if not self.transition(ref, "accept", "staff", {}):
            return
        answered = self.transition(
            ref,
            "respond",
            "platform",
            {
                "resolution": "refund",
                "amount": amount,
                "message": f"核实属实，同意退款{amount}元，3个工作日内原路退回。",
                "merchant": {"name": "混沌旗舰店", "contact": "021-50801234"},
            },
        )
        record = f"order {order_number} paid {amount} at {time.time():.6f}\n订单交易记录\n"
        self.upload(
            ref, "platform", "transaction_record", record.encode(), "order.txt", "text/plain"
        )
        if not answered:
            return
        choice = rnd.random()
        if choice < 0.45:
            self.transition(ref, "accept_proposal", self.consumer, {})
        elif choice < 0.9:
            self.transition(ref, "decline_proposal", self.consumer, {"reason": "金额不足"})
        else:
            self.transition(ref, "withdraw", self.consumer, {"reason": "已与商家协商解决"})
