"""`make chaos`: crash the service under load, then prove no acknowledged write was lost.

    .venv/bin/python chaos/run.py [--kills 200] [--db-stops 10] [--write]
    .venv/bin/python chaos/run.py --short          # CI: about 2 minutes

What runs (all on this machine, nothing shared is stopped):

- a private PostgreSQL cluster (initdb in a temporary directory, another port;
  chaos/cluster.py), migrated from scratch, `fsync` and `synchronous_commit` on;
- gunicorn with production's config/gunicorn.py (3 sync workers; its master runs
  `check --deploy`, which asserts those durability settings at every start);
- a Celery worker (2 pool processes) and Celery beat, on RabbitMQ (or
  CHAOS_BROKER_URL, e.g. redis://127.0.0.1:6379/0) with a queue of the run's own;
- a webhook receiver (chaos/receiver.py) registered as the platform's endpoint
  through the API, counting deliveries by `webhook-id`;
- client threads filing, uploading and firing transitions (chaos/load.py).

Then, at random moments (every 1-3 s; 0.5-1.5 s with --short), SIGKILL one gunicorn
worker, the gunicorn master with all its workers, one Celery pool process, or the
Celery worker with its pool; and spread over the run, `pg_ctl stop -m immediate` of
the database, a few seconds down, start again. A supervisor restarts what was
killed (gunicorn once the database answers). When the kills are done: everything
back up, the load stops, the outbox drains to the receiver, the processes stop,
`make_checkpoint`,
`verify_evidence` and chaos/check.py run, and a table of counts is printed (and with
--write, put in docs/operations.md between the chaos markers). The exit status is
non-zero when anything acknowledged was lost, anything was left half done, a webhook
was never delivered, or verify_evidence failed.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import os
import platform
import random
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PY = sys.executable
BIN = Path(PY).parent
DATABASE = "weiquan_chaos"
DEFAULT_BROKER = "amqp://guest:guest@127.0.0.1:5672//"
WEB_WORKERS = 3
POOL = 2
DOCS = ROOT / "docs" / "operations.md"
START, END = "<!-- chaos:start -->", "<!-- chaos:end -->"

import psycopg  # noqa: E402

from chaos.cluster import Managed, PrivatePostgres, free_port, kill_pid  # noqa: E402
from chaos.load import Client, Ledger, LoadThread  # noqa: E402
from chaos.receiver import Receiver  # noqa: E402

# What a kill hits, and how often (weights).
TARGETS = {
    "web worker": 40,
    "web master and workers": 15,
    "Celery pool process": 30,
    "Celery worker and pool": 15,
}


def say(*parts) -> None:
    print(time.strftime("%H:%M:%S"), "chaos:", *parts, flush=True)


class Harness:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.random = random.Random(args.seed)
        self.run_id = uuid.uuid4().hex[:8]
        self.dir = Path(tempfile.mkdtemp(prefix="weiquan-chaos-"))
        self.pg = PrivatePostgres(Path(tempfile.mkdtemp(prefix="weiquan-chaos-pg-")), free_port())
        self.web_port = free_port()
        self.queue = f"weiquan-chaos-{self.run_id}"
        self.broker = os.environ.get("CHAOS_BROKER_URL", DEFAULT_BROKER)
        self.receiver = Receiver(free_port())
        self.ledger = Ledger()
        self.stop_load = threading.Event()
        self.stop_supervisor = threading.Event()
        self.supervisor: threading.Thread | None = None
        self.lock = threading.Lock()
        self.db_up = False
        self.kills: Counter[str] = Counter()
        self.restarts: Counter[str] = Counter()
        self.unexpected_exits: Counter[str] = Counter()
        self.web_downtimes: list[float] = []
        self.db_stops = 0
        self.db_down_seconds = 0.0
        self.processes: list[Managed] = []
        self.threads: list[LoadThread] = []
        self.timings: dict[str, float] = {}

    # Setup.

    def env(self) -> dict:
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in {"PROMETHEUS_MULTIPROC_DIR", "REDIS_URL", "EVIDENCE_S3_BUCKET"}
            and not k.startswith(("CELERY_", "GUNICORN_", "DJANGO_"))
        }
        var = self.dir / "var"
        return {
            **env,
            "DJANGO_SETTINGS_MODULE": "chaos.settings",
            "DATABASE_URL": self.pg.url(DATABASE),
            "DB_CONNECT_TIMEOUT": "3",
            "SECRET_KEY": self.secret_key,
            # Production refuses to start without the personal data keys.
            "PERSONAL_DATA_KEYS": self.data_key,
            "PERSONAL_DATA_HASH_KEY": self.hash_key,
            "DEBUG": "0",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "0",
            "SECURE_COOKIES": "0",
            "CELERY_BROKER_URL": self.broker,
            "CHAOS_CELERY_QUEUE": self.queue,
            "THROTTLE_USER": "10000000/min",
            "THROTTLE_PLATFORM_KEY": "10000000/min",
            "WEIQUAN_VAR_DIR": str(var),
            "EVIDENCE_ROOT": str(var / "evidence"),
            "EVIDENCE_SIGNING_KEY": str(var / "evidence-ed25519.pem"),
            "WEBHOOK_ALLOW_PRIVATE_URLS": "1",
            # Beat's outbox sweep, checkpoints and the deadline sweep run often, so
            # that each of them is also caught by the kills.
            "WEBHOOK_POLL_SECONDS": "2",
            "EVIDENCE_CHECKPOINT_SECONDS": "10",
            "SWEEP_INTERVAL_SECONDS": "20",
            "GUNICORN_BIND": f"127.0.0.1:{self.web_port}",
            "GUNICORN_WORKERS": str(WEB_WORKERS),
            "GUNICORN_TIMEOUT": "30",
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        }

    def manage(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [PY, "manage.py", *args], cwd=ROOT, env=self.env(), capture_output=True, text=True
        )
        if check and result.returncode != 0:
            raise RuntimeError(f"manage.py {args[0]} failed:\n{result.stdout}{result.stderr}")
        return result

    def setup(self) -> None:
        started = time.monotonic()
        self.secret_key = secrets.token_urlsafe(50)
        self.data_key = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
        self.hash_key = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
        say(f"private PostgreSQL on 127.0.0.1:{self.pg.port} in {self.pg.root}")
        self.pg.init()
        self.pg.start()
        self.db_up = True
        self.pg.create_database(DATABASE)
        self.durability = {n: self.pg.setting(n) for n in ("fsync", "synchronous_commit")}
        say("migrating", self.durability)
        self.manage("migrate", "--noinput")
        self.signing_key()
        out = subprocess.run(
            [PY, "chaos/fixtures.py", "--consumers", str(self.args.clients)],
            cwd=ROOT, env=self.env(), capture_output=True, text=True, check=True,
        )  # fmt: skip
        self.creds = json.loads(out.stdout.strip().splitlines()[-1])
        self.receiver.start()
        env = self.env()
        logs = self.dir / "logs"
        logs.mkdir()
        self.web = Managed(
            "web",
            [str(BIN / "gunicorn"), "-c", "config/gunicorn.py", "config.wsgi"],
            env=env, cwd=ROOT, log=logs / "gunicorn.log", needs_db=True,
        )  # fmt: skip
        self.worker = Managed(
            "worker",
            [
                str(BIN / "celery"), "-A", "config", "worker", "--loglevel", "WARNING",
                "--concurrency", str(POOL), "--pool", "prefork", "-Q", self.queue,
                "-n", f"chaos-{self.run_id}@%h",
                "--without-mingle", "--without-gossip", "--without-heartbeat",
            ],
            env=env, cwd=ROOT, log=logs / "worker.log", needs_db=False,
        )  # fmt: skip
        self.beat = Managed(
            "beat",
            [
                str(BIN / "celery"), "-A", "config", "beat", "--loglevel", "WARNING",
                "--schedule", str(self.dir / "celerybeat-schedule"),
            ],
            env=env, cwd=ROOT, log=logs / "beat.log", needs_db=False,
        )  # fmt: skip
        self.processes = [self.web, self.worker, self.beat]
        for process in self.processes:
            process.start()
        self.wait_ready(at_start=True)
        self.register_webhook()
        self.timings["setup"] = time.monotonic() - started

    def signing_key(self) -> None:
        """The evidence signing key production must mount (an Ed25519 PEM)."""
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        path = self.dir / "var" / "evidence-ed25519.pem"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(
            Ed25519PrivateKey.generate().private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )

    def wait_ready(self, timeout: float = 120, *, at_start: bool = False) -> None:
        """Until /readyz says the database, the broker and the storage answer."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.answers("/readyz", 5):
                return
            if at_start and not self.web.alive():
                raise RuntimeError("gunicorn exited at start: see " + str(self.web.log_path))
            time.sleep(0.5)
        raise RuntimeError("the service did not become ready; logs in " + str(self.dir))

    def answers(self, path: str, timeout: float) -> bool:
        with contextlib.suppress(OSError):
            url = f"http://127.0.0.1:{self.web_port}{path}"
            with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - ours
                return response.status == 200
        return False

    def register_webhook(self) -> None:
        client = Client("127.0.0.1", self.web_port, self.creds)
        body = json.dumps({"url": self.receiver.url, "events": []}).encode()
        entry = client.write(
            op="endpoint", path="/api/v1/webhook-endpoints/", who="platform", body=body,
            content_type="application/json", op_seconds=30,
        )  # fmt: skip
        if entry["result"] != "ack":
            raise RuntimeError(f"could not register the webhook endpoint: {entry}")
        self.receiver.set_secret(entry["data"]["secret"])

    # The storm.

    def supervise(self) -> None:
        """Start again whatever is down (gunicorn only once the database answers).

        Also times each gunicorn restart until its workers answer again: what a crash
        of the web server costs in downtime on this machine.
        """
        web_down_since = None
        while not self.stop_supervisor.is_set():
            with self.lock:
                for process in self.processes:
                    if process.alive():
                        continue
                    if process is self.web and web_down_since is None:
                        web_down_since = time.monotonic()
                    if process.needs_db and not (self.db_up and self.pg.is_up()):
                        continue
                    if process.proc is not None and not process.expected_death:
                        self.unexpected_exits[process.name] += 1
                    process.start()
                    self.restarts[process.name] += 1
            web_starting = self.web.alive() and self.web.serving_since is None
            if web_starting and self.answers("/healthz", 1):
                self.web.serving_since = time.monotonic()
                if web_down_since is not None:
                    self.web_downtimes.append(self.web.serving_since - web_down_since)
                    web_down_since = None
            worker_starting = self.worker.alive() and self.worker.serving_since is None
            if worker_starting and self.worker.children():
                self.worker.serving_since = time.monotonic()
            time.sleep(0.25)

    def kill_one(self) -> str | None:
        """SIGKILL one random target that is serving now; its name, or None.

        Only what came back up is a target: gunicorn once its workers answer, Celery
        once its pool is forked; and a whole group only after it has served for
        `--settle` seconds, so that load gets through between crashes instead of
        killing a server again the moment it is back.
        """
        now = time.monotonic()
        with self.lock:
            choices: dict[str, list[int]] = {}
            for process, single, group in (
                (self.web, "web worker", "web master and workers"),
                (self.worker, "Celery pool process", "Celery worker and pool"),
            ):
                since = process.serving_since
                children = process.children() if process.alive() and since else []
                if children:
                    choices[single] = children
                    if now - since >= self.args.settle:
                        choices[group] = []
            if not choices:
                return None
            names = list(choices)
            target = self.random.choices(names, [TARGETS[n] for n in names])[0]
            if target in ("web worker", "Celery pool process"):
                done = kill_pid(self.random.choice(choices[target]))
            elif target == "web master and workers":
                done = self.web.kill_group()
            else:
                done = self.worker.kill_group()
        if done:
            self.kills[target] += 1
            return target
        return None

    def stop_database(self) -> None:
        with self.lock:
            self.db_up = False
            self.pg.stop_immediate()
        self.db_stops += 1
        down = self.random.uniform(1.0, 4.0)
        started = time.monotonic()
        time.sleep(down / 2)
        if self.random.random() < 0.5:
            self.kill_one()  # a process dies while the database is down, too
        time.sleep(down / 2)
        with self.lock:
            self.pg.start()
            self.db_up = True
        self.restarts["database"] += 1
        self.db_down_seconds += time.monotonic() - started

    def storm(self) -> None:
        args = self.args
        for index in range(args.clients):
            thread = LoadThread(
                index,
                Client("127.0.0.1", self.web_port, self.creds),
                self.ledger,
                self.stop_load,
                run_id=self.run_id,
                platform=self.creds["platform"],
                op_seconds=args.op_seconds,
                seed=args.seed,
            )
            thread.start()
            self.threads.append(thread)
        self.supervisor = threading.Thread(target=self.supervise, name="supervisor", daemon=True)
        self.supervisor.start()
        started = time.monotonic()
        time.sleep(args.warmup)
        # The database stops are spread evenly over the kills: the n-th after n + 0.5
        # shares of them.
        share = args.kills / max(args.db_stops, 1)
        while sum(self.kills.values()) < args.kills or self.db_stops < args.db_stops:
            time.sleep(self.random.uniform(args.min_interval, args.max_interval))
            total = sum(self.kills.values())
            due = self.db_stops < args.db_stops and total >= (self.db_stops + 0.5) * share
            if due or total >= args.kills:
                self.stop_database()
            else:
                self.kill_one()
            total = sum(self.kills.values())
            if total and total % 20 == 0:
                say(f"{total} kills, {self.db_stops} database stops, {self.ledger.counts()}")
        self.timings["storm"] = time.monotonic() - started
        say(f"storm over after {self.timings['storm']:.0f} s: {dict(self.kills)}")
        self.recover()

    def recover(self) -> None:
        """Everything up again, the load finished, the outbox drained to the receiver."""
        started = time.monotonic()
        deadline = time.monotonic() + 60
        while not all(p.alive() for p in self.processes) and time.monotonic() < deadline:
            time.sleep(0.5)
        self.wait_ready()
        # A little load on a healthy system too: the clients finish what they were doing.
        time.sleep(2)
        self.stop_load.set()
        for thread in self.threads:
            thread.join(timeout=self.args.op_seconds + 40)
        self.timings["recovery"] = time.monotonic() - started
        self.drain()
        self.stop_supervising()
        # Every worker killed singly must have been replaced by its master.
        self.replaced = {
            "web workers": len(self.web.children()),
            "Celery pool processes": len(self.worker.children()),
        }

    def outbox(self) -> dict[str, object]:
        with psycopg.connect(self.pg.dsn(DATABASE)) as conn:
            return dict(conn.execute("SELECT msg_id, delivered_at FROM api_webhookmessage"))

    def drain(self) -> None:
        """Until every outbox message reached the receiver and is marked delivered."""
        started = time.monotonic()
        while True:
            messages = self.outbox()
            received = self.receiver.snapshot()["deliveries"]
            waiting = [m for m, at in messages.items() if at is None or m not in received]
            if not waiting:
                break
            if time.monotonic() - started > self.args.drain_seconds:
                say(f"outbox not drained after {self.args.drain_seconds} s: {len(waiting)} left")
                break
            time.sleep(1)
        self.timings["drain"] = time.monotonic() - started
        say(f"outbox drained in {self.timings['drain']:.0f} s ({len(messages)} messages)")

    # The verdict.

    def save(self) -> tuple[Path, Path]:
        """The ledger and the receiver's counts, as files for chaos/check.py (and a human)."""
        ledger_path = self.dir / "ledger.jsonl"
        with self.ledger.lock:
            ledger_path.write_text("".join(json.dumps(e) + "\n" for e in self.ledger.entries))
        deliveries_path = self.dir / "deliveries.json"
        self.receiver.dump(deliveries_path)
        return ledger_path, deliveries_path

    def verdict(self) -> dict:
        for process in self.processes:
            process.stop()
        ledger_path, deliveries_path = self.save()
        out = subprocess.run(
            [PY, "chaos/check.py", "--ledger", str(ledger_path), "--deliveries",
             str(deliveries_path)],
            cwd=ROOT, env=self.env(), capture_output=True, text=True,
        )  # fmt: skip
        if out.returncode != 0:
            raise RuntimeError(f"chaos/check.py failed:\n{out.stdout}{out.stderr}")
        return json.loads(out.stdout.strip().splitlines()[-1])

    def stop_supervising(self) -> None:
        """No more restarts: before anything is stopped for good (else it comes back)."""
        self.stop_supervisor.set()
        if self.supervisor is not None:
            self.supervisor.join()

    def teardown(self, keep: bool) -> None:
        self.stop_load.set()
        self.stop_supervising()
        with contextlib.suppress(Exception):
            self.save()
        for process in self.processes:
            process.stop()
        with contextlib.suppress(Exception):
            self.receiver.stop()
        self.pg.stop()
        with contextlib.suppress(Exception):
            from kombu import Connection

            with Connection(self.broker, connect_timeout=5) as conn:
                conn.default_channel.queue_delete(self.queue)
        if keep:
            say(f"kept for inspection: {self.dir} and {self.pg.root}")
        else:
            shutil.rmtree(self.dir, ignore_errors=True)
            shutil.rmtree(self.pg.root, ignore_errors=True)


def failures(h: Harness, r: dict) -> list[str]:
    problems = []
    if r["lost"]:
        problems.append(f"{r['lost']} acknowledged writes lost: {r['lost_examples']}")
    if r["half_done"]:
        problems.append(f"{r['half_done']} half-done states: {r['half_done_examples']}")
    if r["outbox_not_received"] or r["outbox_not_marked_delivered"]:
        problems.append(
            f"{r['outbox_not_received']} outbox messages never delivered "
            f"({r['outbox_not_marked_delivered']} not marked delivered): "
            f"{r['outbox_not_received_examples']}"
        )
    if r["bad_signatures"]:
        problems.append(f"{r['bad_signatures']} deliveries with a bad signature")
    if not r["verify_ok"]:
        problems.append(f"verify_evidence failed: {r['verify_evidence']}")
    invalid = [
        e for e in h.ledger.entries if e["result"] == "refused" and e["status"] in (400, 403, 422)
    ]
    if invalid:
        problems.append(f"{len(invalid)} writes of the load refused as invalid: {invalid[:3]}")
    for op in ("file", "transition", "upload"):
        if not r["acknowledged"].get(op):
            problems.append(f"no {op} was acknowledged: the load did not run")
    if sum(h.kills.values()) < h.args.kills or h.db_stops < h.args.db_stops:
        problems.append("fewer kills or database stops than asked for")
    missing_children = h.replaced["web workers"] < WEB_WORKERS or (
        h.replaced["Celery pool processes"] < POOL
    )
    if missing_children:
        problems.append(f"killed processes not replaced by their master: {h.replaced}")
    return problems


def table(h: Harness, r: dict) -> list[str]:
    ledger = h.ledger.counts()
    acked = r["acknowledged"]
    not_acked = sum(v for k, v in ledger.items() if not k.endswith(":ack"))
    kills = ", ".join(f"{k} {v}" for k, v in sorted(h.kills.items()))
    restarts = ", ".join(f"{k} {v}" for k, v in sorted(h.restarts.items()))
    storm = h.timings["storm"]
    exits = ", ".join(f"{k} {v}" for k, v in sorted(h.unexpected_exits.items()))
    times = sorted(h.web_downtimes)
    downtime = f"{times[len(times) // 2]:.0f} s / {times[-1]:.0f} s" if times else "n/a"
    rows = [
        "| measure | count |",
        "| --- | ---: |",
        f"| requests acknowledged (2xx) | {r['acknowledged_total']} "
        f"(filings {acked.get('file', 0)}, transitions {acked.get('transition', 0)}, "
        f"uploads {acked.get('upload', 0)}; {r['replayed']} of them idempotent replays) |",
        f"| requests not acknowledged (gave up, or a definitive 4xx) | {not_acked} |",
        f"| kills (SIGKILL) | {sum(h.kills.values())} ({kills}) |",
        f"| database stops (`pg_ctl stop -m immediate`) | {h.db_stops} "
        f"({h.db_down_seconds:.0f} s down in all) |",
        f"| restarts | {sum(h.restarts.values())} ({restarts}); single workers replaced by "
        "their master |",
        f"| **lost** (acknowledged, not fully stored) | **{r['lost']}** |",
        f"| half-done states | {r['half_done']} |",
        f"| outbox messages / delivered at least once / delivered more than once | "
        f"{r['outbox_messages']} / {r['outbox_messages'] - r['outbox_not_received']} / "
        f"{r['redelivered_messages']} |",
        f"| unacknowledged filings found stored (complete) | "
        f"{r['unacknowledged_filings_stored']} of {r['unacknowledged_filings']} |",
        f"| idempotency keys left in progress by a kill (free again after 10 min) | "
        f"{r['idempotency_left_in_progress']} |",
        f"| `verify_evidence` | {r['verify_evidence']} |",
        f"| exits not caused by a kill (restarted too) | {exits or 0} |",
        f"| web server back after a crash (median / max) | {downtime} |",
        f"| storm / drain | {storm:.0f} s ({r['acknowledged_total'] / storm:.1f} acknowledged "
        f"writes/s) / {h.timings['drain']:.0f} s |",
    ]
    return rows


def write_docs(lines: list[str], command: str) -> None:
    """Replace what is between the chaos markers of docs/operations.md, nothing else."""
    text = DOCS.read_text()
    if START not in text or END not in text:
        raise SystemExit(f"{DOCS} has no {START} ... {END} section to write into")
    head, rest = text.split(START, 1)
    _old, tail = rest.split(END, 1)
    DOCS.write_text(head + START + "\n" + "\n".join([*lines, "", command]) + "\n" + END + tail)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=200)
    parser.add_argument("--db-stops", type=int, default=10)
    parser.add_argument("--clients", type=int, default=6, help="load threads")
    parser.add_argument("--min-interval", type=float, default=1.0, help="seconds between kills")
    parser.add_argument("--max-interval", type=float, default=3.0)
    parser.add_argument(
        "--settle", type=float, default=15.0, help="seconds a server serves before its group dies"
    )
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of load before")
    parser.add_argument("--op-seconds", type=float, default=60.0, help="retry one write this long")
    parser.add_argument("--drain-seconds", type=float, default=180.0)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--short", action="store_true", help="the CI version (about 2 minutes)")
    parser.add_argument("--write", action="store_true", help="update docs/operations.md")
    parser.add_argument("--keep", action="store_true", help="keep the databases and logs")
    args = parser.parse_args()
    if args.short:
        args.kills, args.db_stops, args.clients = 24, 2, 4
        args.min_interval, args.max_interval, args.settle = 0.5, 1.5, 8.0
    if args.seed is None:
        args.seed = secrets.randbelow(10**6)
    say(f"seed {args.seed}: {args.kills} kills, {args.db_stops} database stops")
    started = time.monotonic()
    # A CI timeout or Ctrl-C still tears down: no server, database or queue left behind.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    harness = Harness(args)
    ok = False
    try:
        harness.setup()
        harness.storm()
        report = harness.verdict()
        lines = table(harness, report)
        problems = failures(harness, report)
        ok = not problems
        total = time.monotonic() - started
        command = (
            f"Measured by `{'make chaos' if not args.short else 'make chaos CHAOS_ARGS=--short'}`"
            f" (seed {args.seed}, {args.clients} client threads, kills every "
            f"{args.min_interval}-{args.max_interval} s, a group only after {args.settle:.0f} s "
            f"serving) in {total / 60:.1f} min on "
            f"{os.cpu_count()} CPUs, {platform.platform()}, PostgreSQL "
            f"{harness.pg.bindir.parent.name} (private cluster, fsync "
            f"{harness.durability['fsync']}, synchronous_commit "
            f"{harness.durability['synchronous_commit']}), broker "
            f"{harness.broker.split('://')[0]}; load average at the end "
            f"{'/'.join(f'{x:.1f}' for x in os.getloadavg())} (the machine is shared with "
            "other test runs)."
        )
        print("\n" + "\n".join(lines) + "\n\n" + command, flush=True)
        if args.write:
            write_docs(lines, command)
            say(f"wrote {DOCS.relative_to(ROOT)}")
        for problem in problems:
            say("FAILED:", problem)
        say(
            "PASSED" if ok else "FAILED",
            json.dumps({k: v for k, v in report.items() if not k.endswith("examples")}),
        )
    finally:
        harness.teardown(keep=args.keep or not ok)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
