#!/usr/bin/env python3
"""Answer a Weiquan (维权) complaint as a platform: the whole round trip in one script.

What it does, step by step:

1. lists your complaints waiting for your answer (status `awaiting_response`, 待平台处理),
2. picks one (the one whose response deadline comes first, or `--reference`),
3. shows which transitions you may fire on it now,
4. answers it with `respond` (your proposal: refund, return, exchange, repair,
   compensation or decline), sending an `Idempotency-Key` so a retry is safe,
5. prints the complaint as it is now,
6. reads the negotiation thread (协商记录) and posts a message to the consumer.

Errors come back as RFC 9457 problem+json; the script prints their title and detail
and exits with status 1.

Only the Python standard library is used, so you can copy this file anywhere:

    export WEIQUAN_API_KEY=wq_...            # from `manage.py create_api_key <code>`
    python answer_complaint.py --base-url https://weiquan.example
    python answer_complaint.py --base-url http://127.0.0.1:8000 \\
        --reference TS202611220001 --resolution refund --amount 199.00 \\
        --message "同意退款199元，3个工作日内原路退回。"
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

# The state a complaint is in while the platform owes an answer (complaints/choices.py).
AWAITING_RESPONSE = "awaiting_response"
RESOLUTIONS = ("refund", "return", "exchange", "repair", "compensation", "decline")

# Statuses that mean "try again later" (see `ApiClient.call`).
RETRYABLE_STATUSES = {409, 429, 500, 502, 503, 504}


class ApiError(Exception):
    """An answer outside 2xx, with the problem+json body the server sent (RFC 9457)."""

    def __init__(self, status: int, problem: dict, headers=None) -> None:
        self.status = status
        self.problem = problem
        self.headers = headers or {}
        super().__init__(f"{status} {problem.get('title', '')}")

    @property
    def code(self) -> str:
        return self.problem.get("code", "")

    def describe(self) -> str:
        """A few lines a person can act on: status, title, detail, field errors, request id."""
        p = self.problem
        lines = [f"HTTP {self.status}: {p.get('title', 'error')}"]
        if p.get("detail") and p.get("detail") != p.get("title"):
            lines.append(f"  detail: {p['detail']}")
        if p.get("code"):
            lines.append(f"  code: {p['code']}")
        # 400/422: which fields are wrong and why.
        for field, messages in (p.get("errors") or {}).items():
            text = "; ".join(messages) if isinstance(messages, list) else str(messages)
            lines.append(f"  {field}: {text}")
        # 409 on a transition: the state it is in and what you may do instead.
        if "current_status" in p:
            lines.append(f"  complaint status: {p['current_status']}")
        if "allowed_transitions" in p:
            lines.append(f"  allowed now: {', '.join(p['allowed_transitions']) or '(none)'}")
        # Quote the request id when you ask the complaint centre about an error.
        request_id = p.get("request_id") or self.headers.get("X-Request-ID")
        if request_id:
            lines.append(f"  request id: {request_id}")
        return "\n".join(lines)


class ApiClient:
    """A minimal client for the Weiquan API v1: JSON in, JSON out, problems as ApiError."""

    def __init__(
        self, base_url: str, api_key: str, *, retries: int = 3, timeout: float = 30.0
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.attempts = 1 + max(retries, 0)
        self.timeout = timeout

    def url(self, path: str) -> str:
        """An API path, or an absolute link the server gave us (the `next` page)."""
        url = path if path.startswith(("http://", "https://")) else self.base_url + path
        # urllib would also open file: and ftp: URLs; an API client has no business there.
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"not an http(s) URL: {url}")
        return url

    def call(
        self,
        method: str,
        path: str,
        body: dict | None = None,
        *,
        idempotency_key: str | None = None,
    ):
        """Send one request; retry with the same Idempotency-Key when the server says so.

        A POST without an Idempotency-Key is never retried: if the first try reached
        the server, a second one could do the work twice.
        """
        headers = {
            "Authorization": f"Api-Key {self.api_key}",
            "Accept": "application/json, application/problem+json",
            # Error titles of the framework are translated; ask for English ones.
            "Accept-Language": "en",
            "User-Agent": "weiquan-example/1.0",
        }
        data = None
        if body is not None:
            data = json.dumps(body, ensure_ascii=False).encode("utf-8")
            headers["Content-Type"] = "application/json"
        if idempotency_key is not None:
            headers["Idempotency-Key"] = idempotency_key
        retryable = method == "GET" or idempotency_key is not None
        url = self.url(path)

        for attempt in range(1, self.attempts + 1):
            # The body was serialised once above: a retry must send the very same bytes,
            # or the server takes it for another request (422 idempotency_key_reused).
            request = urllib.request.Request(url, data=data, headers=headers, method=method)  # noqa: S310
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                    if response.headers.get("Idempotent-Replayed") == "true":
                        print("  (the server replayed the answer to an earlier try)")
                    raw = response.read()
                    return json.loads(raw) if raw else None
            except urllib.error.HTTPError as exc:
                error = ApiError(exc.code, _problem_of(exc), dict(exc.headers))
                # 409 idempotency_in_progress: our earlier try is still running.
                # 429: throttled. 5xx: the server had trouble. All say "wait, then retry".
                # (Other 409s, such as transition_conflict, will not change by waiting.)
                again = exc.code in RETRYABLE_STATUSES and (
                    exc.code != 409 or error.code == "idempotency_in_progress"
                )
                if not (retryable and again and attempt < self.attempts):
                    raise error from None
                delay = _retry_after(exc.headers.get("Retry-After"), attempt)
            except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
                # No answer at all: the request may or may not have arrived.
                if not (retryable and attempt < self.attempts):
                    raise
                delay = _retry_after(None, attempt)
                print(f"  network error ({exc}); retrying in {delay:.0f} s", file=sys.stderr)
            time.sleep(delay)
        raise AssertionError("unreachable")


def _problem_of(exc: urllib.error.HTTPError) -> dict:
    """The problem+json body of an error answer, or a stand-in when it is not JSON."""
    raw = exc.read()
    try:
        body = json.loads(raw)
        if isinstance(body, dict):
            return body
    except ValueError:
        pass
    return {
        "title": exc.reason or "error",
        "status": exc.code,
        "detail": raw[:200].decode(errors="replace"),
    }


def _retry_after(header: str | None, attempt: int) -> float:
    """Honour Retry-After (seconds); otherwise back off 1, 2, 4... seconds."""
    if header and header.isdigit():
        return min(float(header), 60.0)
    return float(2 ** (attempt - 1))


# The steps of the round trip.


def awaiting_complaints(client: ApiClient, *, max_pages: int = 20) -> list[dict]:
    """Every complaint waiting for our answer, following the cursor pages."""
    query = urllib.parse.urlencode({"status": AWAITING_RESPONSE, "page_size": 100})
    page = client.call("GET", f"/api/v1/complaints/?{query}")
    complaints = list(page["results"])
    for _ in range(max_pages - 1):
        if not page.get("next"):
            break
        # `next` is an absolute URL with an opaque cursor: follow it as it is.
        page = client.call("GET", page["next"])
        complaints.extend(page["results"])
    return complaints


def response_due(complaint: dict) -> str:
    """When our answer is due (end of the last working day, Asia/Shanghai), or ''."""
    for deadline in complaint.get("deadlines", []):
        if deadline["name"] == "response":
            return deadline["due_at"]
    return ""


def pick(complaints: list[dict], reference: str | None) -> dict | None:
    if reference:
        return {"reference": reference}
    # The most urgent first: the earliest response deadline. ISO 8601 timestamps in
    # one time zone sort as strings; the ones without a deadline go last.
    dated = sorted(complaints, key=lambda c: response_due(c) or "9999")
    return dated[0] if dated else None


def respond_body(complaint: dict, args: argparse.Namespace) -> dict:
    """The body of the `respond` transition: resolution, amount, message, merchant."""
    amount = args.amount
    if amount is None and args.resolution != "decline":
        amount = complaint["amount_claimed"]  # e.g. refund what the consumer asks for
    # The message is required; `parse_args` insists on one for a decline.
    message = args.message or (
        f"您好，我们同意{_RESOLUTION_ZH[args.resolution]}"
        + (f" {amount} 元" if amount else "")
        + "，将在 3 个工作日内处理完毕。"
    )
    body: dict = {"resolution": args.resolution, "message": message}
    if amount is not None:
        body["amount"] = str(amount)  # money is a decimal string in yuan, never a float
    if args.merchant_name:
        # The merchant's real identity (CRPL art. 44): without it the merchant counts
        # as unidentified, and advance compensation (先行赔付) becomes available.
        body["merchant"] = {
            "name": args.merchant_name,
            "credit_code": args.merchant_credit_code or "",
            "address": args.merchant_address or "",
            "contact": args.merchant_contact or "",
        }
    return body


_RESOLUTION_ZH = {
    "refund": "退款",
    "return": "退货退款",
    "exchange": "换货",
    "repair": "维修",
    "compensation": "赔偿",
}


def show_complaint(c: dict) -> None:
    print(f"  {c['reference']}  {c['status']} ({c.get('status_display', '')})")
    print(f"    merchant {c['merchant_name']}, order {c['order_number']} of {c['order_date']}")
    print(f"    demand {c['demand']}, claimed {c['amount_claimed']} yuan ({c['issue_type']})")
    if c.get("proposal"):
        p = c["proposal"]
        print(f"    proposal: {p['resolution']} {p['amount'] or ''} — {p['message']}")
    for d in c.get("deadlines", []):
        print(f"    deadline {d['name']}: {d['due_at']} ({d['basis']})")


def run(args: argparse.Namespace) -> int:
    client = ApiClient(args.base_url, args.api_key, retries=args.retries)

    print(f"Complaints waiting for your answer ({AWAITING_RESPONSE}, 待平台处理):")
    complaints = awaiting_complaints(client)
    for c in complaints:
        print(f"  {c['reference']}  due {response_due(c) or '-'}  {c['merchant_name']}")
    if not complaints:
        print("  (none)")
    chosen = pick(complaints, args.reference)
    if chosen is None:
        print("Nothing to answer.")
        return 0

    reference = chosen["reference"]
    complaint = client.call("GET", f"/api/v1/complaints/{reference}/")
    print(f"\nComplaint {reference}:")
    show_complaint(complaint)

    # Ask what we may do now rather than guessing from the status.
    transitions = client.call("GET", f"/api/v1/complaints/{reference}/transitions/")
    print(f"\nAllowed now: {', '.join(transitions['allowed']) or '(none)'}")
    if "respond" not in transitions["allowed"]:
        print(
            f"Cannot respond to {reference} while it is {transitions['status']}.", file=sys.stderr
        )
        return 1

    body = respond_body(complaint, args)
    # One key per intended action. A real integration stores it with the job that
    # sends the answer, so that a retry after a crash reuses it: the server then
    # replays its first answer instead of answering twice (or with 409).
    key = args.idempotency_key or f"respond-{reference}-{uuid.uuid4()}"
    print(f"\nResponding ({body['resolution']}, Idempotency-Key {key}) ...")
    complaint = client.call(
        "POST", f"/api/v1/complaints/{reference}/transitions/respond/", body, idempotency_key=key
    )
    print("Done. The complaint now:")
    show_complaint(complaint)

    # The negotiation thread: reading it marks the consumer's messages as read.
    thread = client.call("GET", f"/api/v1/complaints/{reference}/messages/")
    print(f"\nMessages ({thread['unread']} unread before this read):")
    for m in thread["results"]:
        print(f"  [{m['created_at']}] {m['author_role']}: {m['body']}")
    if args.note:
        posted = client.call(
            "POST",
            f"/api/v1/complaints/{reference}/messages/",
            {"body": args.note},
            idempotency_key=f"message-{reference}-{uuid.uuid4()}",
        )
        print(f"  [{posted['created_at']}] {posted['author_role']}: {posted['body']}  (posted)")
    return 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="List complaints awaiting your answer and respond to one (Weiquan API v1)."
    )
    parser.add_argument(
        "--base-url", required=True, help="the server's root, e.g. https://weiquan.example"
    )
    parser.add_argument(
        "--api-key",
        default=os.environ.get("WEIQUAN_API_KEY"),
        help="your platform's API key (default: $WEIQUAN_API_KEY)",
    )
    parser.add_argument("--reference", help="answer this complaint (default: the most urgent)")
    parser.add_argument("--resolution", choices=RESOLUTIONS, default="refund")
    parser.add_argument(
        "--amount", help="yuan, e.g. 199.00 (default: the amount claimed; none for decline)"
    )
    parser.add_argument("--message", help="your answer to the consumer (default: a short text)")
    parser.add_argument("--merchant-name", help="the merchant's registered name")
    parser.add_argument("--merchant-credit-code", help="统一社会信用代码, 18 characters")
    parser.add_argument("--merchant-address")
    parser.add_argument("--merchant-contact")
    parser.add_argument(
        "--note",
        default="您好，处理方案已提交，如有疑问请在此留言。",
        help="a message to post to the negotiation thread afterwards ('' for none)",
    )
    parser.add_argument("--idempotency-key", help="reuse a key to retry an earlier answer")
    parser.add_argument(
        "--retries",
        type=int,
        default=3,
        help="retries after a network error, 429, 5xx or a request still in progress (default 3)",
    )
    args = parser.parse_args(argv)
    if not args.base_url.startswith(("http://", "https://")):
        parser.error("--base-url must start with https:// (or http:// for a local server)")
    if not args.api_key:
        parser.error("give --api-key or set WEIQUAN_API_KEY")
    if args.resolution == "decline" and not args.message:
        parser.error("a decline needs --message with your reasons")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        return run(args)
    except ApiError as exc:
        print(exc.describe(), file=sys.stderr)
        if exc.status == 401:
            print("  Check the API key: it may be mistyped or revoked.", file=sys.stderr)
        return 1
    except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
        print(f"Cannot reach {args.base_url}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
