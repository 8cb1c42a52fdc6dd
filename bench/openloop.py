"""An open-loop load generator: requests leave at a fixed rate whether or not earlier ones
have answered (wrk2's model, which Debian's wrk lacks).

Each request's latency is measured from the moment it was *scheduled* to leave, so a
server that stalls is charged for the requests queued behind the stall (no
coordinated omission). aiohttp comes with pyHanko, so nothing is added to install.
"""

from __future__ import annotations

import asyncio
import math
import time
import uuid

import aiohttp


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(math.ceil(p / 100 * len(ordered)), 1) - 1]  # nearest rank


async def _run(
    url: str, rate: float, seconds: float, method: str, headers: dict, body: bytes | None,
    idempotency: bool,
) -> dict:  # fmt: skip
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors = 0
    connector = aiohttp.TCPConnector(limit=256, force_close=False)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(
        connector=connector, timeout=timeout, cookie_jar=aiohttp.DummyCookieJar()
    ) as session:

        async def one(scheduled: float) -> None:
            nonlocal errors
            h = dict(headers)
            if idempotency:
                h["Idempotency-Key"] = uuid.uuid4().hex
            try:
                async with session.request(method, url, headers=h, data=body) as response:
                    await response.read()
                    statuses[response.status] = statuses.get(response.status, 0) + 1
            except (aiohttp.ClientError, TimeoutError):
                errors += 1
                return
            latencies.append((time.perf_counter() - scheduled) * 1000)

        count = int(rate * seconds)
        start = time.perf_counter() + 0.05
        tasks = []
        for i in range(count):
            scheduled = start + i / rate
            delay = scheduled - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(scheduled)))
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - start
    ok = sum(n for status, n in statuses.items() if 200 <= status < 300)
    return {
        "offered": rate,
        "achieved": ok / elapsed,
        "requests": count,
        "non2xx": count - ok - errors,
        "socket_errors": errors,
        "statuses": statuses,
        "p50": percentile(latencies, 50),
        "p95": percentile(latencies, 95),
        "p99": percentile(latencies, 99),
    }


def run(
    url: str, *, rate: float, seconds: float, method: str = "GET", headers: dict | None = None,
    body: bytes | None = None, idempotency: bool = False,
) -> dict:  # fmt: skip
    """Offer `rate` requests a second for `seconds`; latency percentiles in ms."""
    return asyncio.run(_run(url, rate, seconds, method, headers or {}, body, idempotency))
