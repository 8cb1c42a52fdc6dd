"""The platform's side of the webhooks: a small receiver that counts deliveries by webhook-id.

It runs in the harness process (never killed), verifies each delivery with the
reference Standard Webhooks library, as an integrator would (docs/api.md), answers
204, and counts every verified delivery per `webhook-id`: delivered at least once
means the id is in `deliveries`; a count above 1 is a redelivery, which the
at-least-once contract allows.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks import Webhook, WebhookVerificationError

PATH = "/hooks/weiquan"


class Receiver:
    def __init__(self, port: int) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}{PATH}"
        self.deliveries: Counter[str] = Counter()
        self.event_ids: dict[str, int] = {}
        self.bad_signatures = 0
        self.lock = threading.Lock()
        self.webhook: Webhook | None = None
        self.server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def set_secret(self, secret: str) -> None:
        self.webhook = Webhook(secret)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def snapshot(self) -> dict:
        with self.lock:
            return {
                "deliveries": dict(self.deliveries),
                "bad_signatures": self.bad_signatures,
            }

    def _record(self, headers, body: bytes) -> int:
        if self.webhook is None:
            return 503  # not ready: the sender retries
        try:
            event = self.webhook.verify(body, dict(headers.items()))
        except WebhookVerificationError:
            with self.lock:
                self.bad_signatures += 1
            return 400
        msg_id = headers["webhook-id"]
        with self.lock:
            self.deliveries[msg_id] += 1
            self.event_ids[msg_id] = event.get("data", {}).get("event_id")
        return 204

    def _handler(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # http.server's name for it
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                status = receiver._record(self.headers, body) if self.path == PATH else 404
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format, *args) -> None:
                pass  # thousands of deliveries: counted, not logged

        return Handler

    def dump(self, path) -> None:
        path.write_text(json.dumps(self.snapshot()))
