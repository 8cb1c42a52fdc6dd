"""`make bench`: every benchmark, each figure a ratio against a baseline of the same run.

    .venv/bin/python bench/run.py [--write]
    BENCH_SIZES=100000 BENCH_SWEEP=100000:10000 BENCH_SECONDS=10 make bench   # quick

For each size in BENCH_SIZES (default 1000000,5000000) it builds the database
`weiquan_bench` with bench/generate.py, serves it with gunicorn on 127.0.0.1 and
loads it with wrk (closed loop) and bench/openloop.py (open loop, fixed offered
rate). The server: production's config/gunicorn.py with 3 sync workers (production's
worker class; 3 rather than its 2 x cores + 1 because PostgreSQL and the load
generator share the same two cores). Then BENCH_SWEEP (open:due, default
1000000:100000) builds a database of open complaints and times `sweep_deadlines`
twice. Finally the evidence verification bench (bench/evidence_verify.py) and the PDF
rendering bench (bench/pdf_render.py).

The user throttle is raised for the run (THROTTLE_USER): one consumer produces all the
filings here, which production's per-user limit would refuse. The API key keeps
production's default rate.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PY = sys.executable
PORT = int(os.environ.get("BENCH_PORT", "8765"))
BASE = f"http://127.0.0.1:{PORT}"
DATABASE = "weiquan_bench"
WRK_DIR = ROOT / "bench" / "wrk"
WORKERS = 3

from bench.evidence_verify import write_section  # noqa: E402
from bench.openloop import run as openloop  # noqa: E402


def bench_env(extra: dict | None = None) -> dict:
    scratch = Path(tempfile.gettempdir()) / "weiquan-bench"
    scratch.mkdir(exist_ok=True)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DATABASE}",
        "SECRET_KEY": "bench-only-not-a-secret",
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_COOKIES": "0",
        "CELERY_BROKER_URL": "memory://",  # notifications are queued, not delivered
        # One consumer files everything here; per second, so the throttle's history
        # (one timestamp per request of the window) stays short. The platform key
        # keeps production's default (300/sec), which the list's 200 req/s is under.
        "THROTTLE_USER": "1000000/sec",
        "EVIDENCE_ROOT": str(scratch / "evidence"),
        "EVIDENCE_SIGNING_KEY": str(scratch / "evidence.pem"),
        "WEIQUAN_VAR_DIR": str(scratch / "var"),
        "WEIQUAN_SKIP_START_CHECKS": "1",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    return {**env, **(extra or {})}


def generate(size: int, *more: str) -> dict:
    result = Path(tempfile.gettempdir()) / "weiquan-bench-generate.json"
    cmd = [PY, "bench/generate.py", "--complaints", str(size), "--result", str(result), *more]
    print("+", " ".join(cmd[1:]), flush=True)
    subprocess.run(cmd, cwd=ROOT, check=True, env=bench_env())
    return json.loads(result.read_text())


def fixtures() -> dict:
    out = subprocess.run(
        [PY, "bench/fixtures.py"], cwd=ROOT, check=True, env=bench_env(), capture_output=True
    )
    return json.loads(out.stdout.decode().strip().splitlines()[-1])


class Server:
    def __init__(self) -> None:
        self.log = open(Path(tempfile.gettempdir()) / "weiquan-bench-gunicorn.log", "w")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [
                str(Path(PY).parent / "gunicorn"),
                "-c",
                "config/gunicorn.py",
                "config.wsgi",
                "--bind",
                f"127.0.0.1:{PORT}",
                "--workers",
                str(WORKERS),
                "--worker-class",
                "sync",
                "--timeout",
                "120",
            ],  # fmt: skip
            cwd=ROOT,
            env=bench_env(),
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{BASE}/bench/select/?id=1", timeout=2)  # noqa: S310
                return
            except OSError:
                time.sleep(0.5)
        raise SystemExit("gunicorn did not start; see the log in the temp directory")

    def memory_mib(self) -> float:
        """Resident memory per worker (the mean), from /proc."""
        children = subprocess.run(
            ["pgrep", "-P", str(self.proc.pid)], capture_output=True, text=True
        ).stdout.split()
        sizes = []
        for pid in children:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    sizes.append(int(line.split()[1]) / 1024)
        return sum(sizes) / len(sizes) if sizes else float("nan")

    def stop(self) -> None:
        os.killpg(self.proc.pid, signal.SIGTERM)
        self.proc.wait(timeout=30)
        self.log.close()


def wrk(script: str, env: dict, *, connections: int, seconds: int) -> dict:
    """Closed loop: `connections` clients each send the next request when answered."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        lua.write((WRK_DIR / f"{script}.lua").read_text())
        lua.write((WRK_DIR / "report.lua").read_text())
    threads = min(2, connections)
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "60s",
           "-s", lua.name, BASE]  # fmt: skip
    out = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, **env})
    os.unlink(lua.name)
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("BENCH ")), None)
    if line is None:
        raise SystemExit(f"wrk failed: {out.stdout}\n{out.stderr}")
    result = json.loads(line[6:])
    result["rps"] = (result["requests"] - result["non2xx"]) / result["seconds"]
    return result


def filing_body() -> str:
    return json.dumps(
        {
            "platform": "taobao",
            "merchant_name": "优品旗舰店00001",
            "order_number": "BENCH-1",
            "order_date": (date.today() - timedelta(days=3)).isoformat(),
            "category": "electronics",
            "issue_type": "quality",
            "amount_paid": "299.00",
            "amount_claimed": "299.00",
            "demand": "refund",
            "description": "收到的耳机左耳无声，商家拒绝退货，请求平台处理。",
            "region": "310115",
        },
        ensure_ascii=False,
    )


def web_benches(size: int, seconds: int, full: bool) -> dict:
    """Every HTTP figure at one database size (`full`: filing and list too)."""
    creds = fixtures()
    env = {
        "BENCH_STAFF_SESSION": creds["staff_session"],
        "BENCH_CONSUMER_SESSION": creds["consumer_session"],
        "BENCH_CSRF": creds["csrf"],
        "BENCH_API_KEY": creds["api_key"],
        "BENCH_MAX_ID": str(creds["max_id"]),
        "BENCH_FILING_BODY": filing_body(),
    }
    server = Server()
    # The statistics journal folded as beat does in production (every 2 s), so the
    # filings pay for their statistics during the run, not after it.
    folder = subprocess.Popen(
        [PY, "manage.py", "fold_statistics", "--every", "2"],
        cwd=ROOT, env=bench_env(), stdout=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    r: dict = {}
    try:
        # Warm every worker's imports and connections before measuring.
        for script in ("select", "list"):
            wrk(script, env, connections=WORKERS, seconds=2)
        r["select_c2"] = wrk("select", env, connections=2, seconds=seconds)
        r["select_c8"] = wrk("select", env, connections=8, seconds=seconds)
        if full:
            r["insert_c8"] = wrk("insert", env, connections=8, seconds=seconds)
            r["file_c8"] = wrk("file", env, connections=8, seconds=seconds)
            body = env["BENCH_FILING_BODY"].encode()
            consumer = {
                "Content-Type": "application/json",
                "Cookie": f"sessionid={creds['consumer_session']}; csrftoken={creds['csrf']}",
                "X-CSRFToken": creds["csrf"],
            }
            r["insert_open150"] = openloop(
                f"{BASE}/bench/insert/", rate=150, seconds=seconds, method="POST",
                headers={"Content-Type": "application/json"}, body=body,
            )  # fmt: skip
            r["file_open150"] = openloop(
                f"{BASE}/api/v1/complaints/", rate=150, seconds=seconds, method="POST",
                headers=consumer, body=body, idempotency=True,
            )  # fmt: skip
            # An overloaded filing loop leaves its abandoned requests in the backlog,
            # which would answer for the next open loop: a fresh server (2026-12-02: the
            # one-SELECT loop after it got no answer at all).
            server.stop()
            server = Server()
            r["select_open200"] = openloop(
                f"{BASE}/bench/select/?id={creds['max_id'] // 2}", rate=200, seconds=seconds
            )
            r["list_open200"] = openloop(
                f"{BASE}/api/v1/complaints/?status=awaiting_response",
                rate=200,
                seconds=seconds,
                headers={"Authorization": f"Api-Key {creds['api_key']}"},
            )
            # An overloaded open loop leaves requests queued in gunicorn's backlog after
            # the client gave up on them: a fresh server for what follows.
            server.stop()
            server = Server()
            r["list_c8"] = wrk("list", env, connections=8, seconds=seconds)
            server.stop()
            server = Server()
        # The summary last: a slow request still running when wrk stops keeps its worker
        # busy, which would slow whatever ran next.
        r["summary_c2"] = wrk("summary", env, connections=2, seconds=seconds)
        r["summary_c8"] = wrk("summary", env, connections=8, seconds=seconds)
        r["worker_rss_mib"] = server.memory_mib()
    finally:
        server.stop()
        folder.terminate()
        folder.wait()
    return r


def psql(sql: str) -> str:
    return subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", DATABASE, "-Atc", sql],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip


def explain_summary() -> str:
    """EXPLAIN ANALYZE of the summary's main query (the national figures' rollup rows)."""
    return psql(
        "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT metric, bucket, sum(n), sum(fen) "
        "FROM reporting_statrollup WHERE dimension = '' AND region = '' AND platform_id = 0 "
        "AND category = '' AND month > '0001-01-01' GROUP BY metric, bucket"
    )


def sweep_bench(open_count: int, due: int) -> dict:
    gen = generate(open_count, "--open", "--due", str(due))
    as_of = gen["now"].replace(" ", "T")
    events = int(psql("SELECT count(*) FROM complaints_complaintevent"))
    runs = []
    for _ in range(2):
        start = time.perf_counter()
        out = subprocess.run(
            [PY, "manage.py", "sweep_deadlines", "--as-of", as_of],
            cwd=ROOT, env=bench_env(), capture_output=True, text=True, check=True,
        )  # fmt: skip
        seconds = time.perf_counter() - start
        total = int(out.stdout.strip().splitlines()[-1].split(":")[1])
        after = int(psql("SELECT count(*) FROM complaints_complaintevent"))
        runs.append({"seconds": seconds, "changed": total, "new_events": after - events})
        events = after
    return {"open": open_count, "due": due, "generate": gen, "runs": runs}


def machine() -> str:
    mem = next(
        line.split()[1]
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    load = os.getloadavg()
    return (
        f"{os.cpu_count()} CPUs (`nproc`), {int(mem) / 1024 / 1024:.0f} GiB RAM, "
        f"{platform.platform()}, Python {platform.python_version()}, "
        f"{psql('SHOW server_version').split()[0] and 'PostgreSQL ' + psql('SHOW server_version')}"
        f"; load average at the end {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} "
        "(the machine is shared with other engineers' test runs)"
    )


def ms(x: float) -> str:
    return f"{x:.1f}"


def ratio(ours: float, base: float) -> str:
    return f"{ours / base:.0%}" if base else "n/a"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="update docs/performance.md")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: `make system-deps` (or apt-get install wrk)")
    sizes = [int(s) for s in os.environ.get("BENCH_SIZES", "1000000,5000000").split(",") if s]
    sweep = os.environ.get("BENCH_SWEEP", "1000000:100000")
    seconds = int(os.environ.get("BENCH_SECONDS", "15"))
    started = time.monotonic()
    results = {}
    for i, size in enumerate(sizes):
        gen = generate(size)
        web = web_benches(size, seconds, full=i == 0)
        web["explain"] = explain_summary()
        results[size] = {"generate": gen, "web": web}
        print(json.dumps(results[size], default=str, indent=1), flush=True)
    sweep_result = None
    if sweep:
        open_count, due = (int(x) for x in sweep.split(":"))
        sweep_result = sweep_bench(open_count, due)
        print(json.dumps(sweep_result, default=str, indent=1), flush=True)
    env_line = machine()
    total = time.monotonic() - started
    command = (
        f"make bench (BENCH_SIZES={','.join(map(str, sizes))} BENCH_SWEEP={sweep} "
        f"BENCH_SECONDS={seconds}), {total / 60:.0f} min"
    )
    sections = render(results, sweep_result, env_line, seconds)
    for title, lines in sections:
        print(f"\n## {title}\n" + "\n".join(lines))
        if args.write:
            write_section(title, command, lines)
    subprocess.run([PY, "bench/evidence_verify.py", *(["--write"] if args.write else [])], cwd=ROOT)
    subprocess.run([PY, "bench/pdf_render.py", *(["--write"] if args.write else [])], cwd=ROOT)
    return 0


def render(results: dict, sweep: dict | None, env_line: str, seconds: int) -> list:
    sections = []
    lines = [f"Machine: {env_line}.", ""]
    lines += [
        f"Server: gunicorn, config/gunicorn.py, {WORKERS} sync workers, bench/settings.py "
        "(production settings plus the two baseline views), DEBUG off, persistent database "
        "connections (DB_CONN_MAX_AGE=60). Closed loop: wrk, 2 threads, c connections, "
        f"{seconds} s per figure. Open loop: bench/openloop.py (aiohttp) at a fixed offered "
        "rate, latency counted from the scheduled send time. Latencies in ms.",
        "",
    ]
    sections.append(("Web benchmarks: setup", lines))
    first = results[min(results)] if results else None
    if first:
        w = first["web"]
        size = min(results)
        rows = [
            "| figure | ours | baseline | ratio | target | met |",
            "| --- | ---: | ---: | ---: | --- | --- |",
        ]
        fi, ins = w["file_c8"], w["insert_c8"]
        rows.append(
            f"| filing, saturation req/s (c=8) | {fi['rps']:.0f} | {ins['rps']:.0f} (one INSERT) "
            f"| {ratio(fi['rps'], ins['rps'])} | >= 50 % | "
            f"{'yes' if fi['rps'] >= 0.5 * ins['rps'] else 'no'} |"
        )
        fo, io = w["file_open150"], w["insert_open150"]
        rows.append(
            f"| filing at 150 req/s offered, p99 ms | {ms(fo['p99'])} (p50 {ms(fo['p50'])}, "
            f"{fo['achieved']:.0f} req/s done) | {ms(io['p99'])} (one INSERT) | "
            f"{ratio(fo['p99'], io['p99'])} | < 150 ms | {'yes' if fo['p99'] < 150 else 'no'} |"
        )
        lo, so = w["list_open200"], w["select_open200"]
        rows.append(
            f"| platform list at 200 req/s offered, p99 ms | {ms(lo['p99'])} (p50 "
            f"{ms(lo['p50'])}, {lo['achieved']:.0f} req/s done) | {ms(so['p99'])} (one SELECT) "
            f"| {ratio(lo['p99'], so['p99'])} | < 50 ms | {'yes' if lo['p99'] < 50 else 'no'} |"
        )
        lc, sc = w["list_c8"], w["select_c8"]
        rows.append(
            f"| platform list, saturation req/s (c=8) | {lc['rps']:.0f} | {sc['rps']:.0f} "
            f"(one SELECT) | {ratio(lc['rps'], sc['rps'])} | | |"
        )
        rows.append(f"| memory per web worker (RSS, MiB) | {w['worker_rss_mib']:.0f} | | | | |")
        errors = {k: v.get("non2xx", 0) + v.get("socket_errors", 0) for k, v in w.items()
                  if isinstance(v, dict) and "p99" in v}  # fmt: skip
        rows += ["", f"Errors (non-2xx or socket) per run at {size:,} complaints: {errors}."]
        sections.append((f"Filing and the platform list ({size:,} complaints)", rows))
    rows = [
        "| complaints | cells / rollup rows | summary p50 | p95 | p99 | req/s (c=8) "
        "| one SELECT p50 / p95 | req/s (c=8) | p95 ratio | throughput ratio |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for size, r in sorted(results.items()):
        w = r["web"]
        s2, b2, s8, b8 = w["summary_c2"], w["select_c2"], w["summary_c8"], w["select_c8"]
        rows.append(
            f"| {size:,} | {r['generate']['cells']:,} / {r['generate'].get('rollups', 0):,} "
            f"| {ms(s2['p50'])} | {ms(s2['p95'])} | "
            f"{ms(s2['p99'])} | {s8['rps']:.1f} | {ms(b2['p50'])} / {ms(b2['p95'])} | "
            f"{b8['rps']:.0f} | {s2['p95'] / b2['p95']:.0f}x | {ratio(s8['rps'], b8['rps'])} |"
        )
    if results:
        rows += [
            "",
            "Latency at 2 connections (closed loop: one request waiting while another runs), "
            "throughput at 8. Target: p95 under 50 ms at 5 million, no slower than at 1 "
            "million.",
            "",
            "EXPLAIN ANALYZE of the summary's main query at the largest size:",
            "",
            "```",
            results[max(results)]["web"]["explain"],
            "```",
        ]
        sections.append(("Statistics summary", rows))
    gen_rows = [
        "| complaints | events | cells | seconds (total) | steps |",
        "| ---: | ---: | ---: | ---: | --- |",
    ]
    for size, r in sorted(results.items()):
        g = r["generate"]
        steps = ", ".join(f"{k} {v:.0f}" for k, v in g["seconds"].items() if k != "total")
        gen_rows.append(
            f"| {size:,} | {g['events']:,} | {g['cells']:,} | {g['seconds']['total']:.0f} "
            f"| {steps} |"
        )
    if sweep:
        g = sweep["generate"]
        steps = ", ".join(f"{k} {v:.0f}" for k, v in g["seconds"].items() if k != "total")
        gen_rows.append(
            f"| {g['complaints']:,} open | {g['events']:,} | {g['cells']:,} "
            f"| {g['seconds']['total']:.0f} | {steps} |"
        )
    sections.append(("Data generation", gen_rows))
    if sweep:
        first_run, second = sweep["runs"]
        rows = [
            f"{sweep['open']:,} open complaints, {sweep['due']:,} of them past their response "
            "deadline; `manage.py sweep_deadlines --as-of <generation time>` run twice.",
            "",
            "| run | seconds | complaints changed | events written | per complaint |",
            "| --- | ---: | ---: | ---: | ---: |",
        ]
        for name, run in (("first", first_run), ("second", second)):
            per = f"{run['seconds'] / run['changed'] * 1000:.1f} ms" if run["changed"] else ""
            rows.append(
                f"| {name} | {run['seconds']:.1f} | {run['changed']:,} | {run['new_events']:,} "
                f"| {per} |"
            )
        met = first_run["seconds"] < 60 and second["changed"] == 0 and second["new_events"] == 0
        rows += [
            "",
            f"Target: under 60 s, and the second run changes nothing: **{'met' if met else 'not met'}**.",  # noqa: E501
        ]
        sections.append(("Deadline sweep", rows))
    return sections


if __name__ == "__main__":
    raise SystemExit(main())
