"""The system under test: a private PostgreSQL, gunicorn, a Celery worker and Celery beat.

PostgreSQL: the server on 127.0.0.1:5432 is shared with other engineers' test runs,
so the harness never stops it. It makes a cluster of its own with `initdb` in a
temporary directory, on another port, and crashes that one with
`pg_ctl stop -m immediate` (no shutdown checkpoint: the next start replays the WAL,
as after a power cut of the database machine alone). `initdb` refuses to run as
root, so as root every PostgreSQL binary runs as the `postgres` OS user.

The other processes each run in a process group of their own, so that a kill of a
whole group (gunicorn's master with its workers, Celery's main process with its
pool) never reaches the harness, and a restart is a new group.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import psycopg


def free_port() -> int:
    """A TCP port nobody listens on now (the kernel's pick)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def postgres_bindir() -> Path:
    """Where initdb and pg_ctl are: $PG_BINDIR, else Debian's newest, else pg_config's."""
    if os.environ.get("PG_BINDIR"):
        return Path(os.environ["PG_BINDIR"])
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parent.parent.name),
    )
    if found:
        return Path(found[-1]).parent
    if shutil.which("pg_config"):
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True)
        if out.returncode == 0 and (Path(out.stdout.strip()) / "initdb").exists():
            return Path(out.stdout.strip())
    raise SystemExit(
        "chaos: initdb and pg_ctl not found (Debian: the postgresql package; or set PG_BINDIR)"
    )


class PrivatePostgres:
    """A throwaway PostgreSQL cluster in `root`, listening on 127.0.0.1:`port`."""

    def __init__(self, root: Path, port: int) -> None:
        self.root = root
        self.port = port
        self.data = root / "data"
        self.log = root / "postgres.log"
        self.bindir = postgres_bindir()
        self.as_root = os.geteuid() == 0

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        cmd = [str(self.bindir / args[0]), *args[1:]]
        if self.as_root:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        result = subprocess.run(cmd, capture_output=True, text=True, cwd=self.root)
        if check and result.returncode != 0:
            raise RuntimeError(f"{' '.join(args[:2])} failed: {result.stdout}{result.stderr}")
        return result

    def init(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        if self.as_root:
            shutil.chown(self.root, "postgres", "postgres")
        self._run(
            "initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust",
            "--encoding=UTF8", "--locale=C.UTF-8", "--no-instructions",
        )  # fmt: skip
        # Production's durability, said out loud: a crash must not lose a commit that
        # was acknowledged (config/checks.py refuses anything else at start-up).
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(
                "\n# chaos harness\n"
                f"port = {self.port}\n"
                "listen_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{self.root}'\n"
                "fsync = on\n"
                "synchronous_commit = on\n"
                "full_page_writes = on\n"
                "max_connections = 60\n"
                "shared_buffers = 64MB\n"
            )

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "start")

    def stop_immediate(self) -> None:
        """Crash it: every backend is killed, nothing is flushed beyond what fsync did."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop", check=False)

    def is_up(self) -> bool:
        try:
            psycopg.connect(self.dsn("postgres"), connect_timeout=2).close()
        except psycopg.Error:
            return False
        return True

    def dsn(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> None:
        with psycopg.connect(self.dsn("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')

    def setting(self, name: str) -> str:
        with psycopg.connect(self.dsn("postgres")) as conn:
            return conn.execute(f"SHOW {name}").fetchone()[0]


def children_of(pid: int) -> list[int]:
    """The direct children of `pid`, from /proc."""
    found = []
    for stat in glob.glob("/proc/[0-9]*/stat"):
        try:
            text = Path(stat).read_text()
        except OSError:
            continue  # exited meanwhile
        # The command name is in parentheses and may hold spaces: split after it.
        fields = text.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid:
            found.append(int(stat.split("/")[2]))
    return found


class Managed:
    """One supervised process group: started, killed at random, started again."""

    def __init__(
        self, name: str, cmd: list[str], *, env: dict, cwd: Path, log: Path, needs_db: bool
    ) -> None:
        self.name = name
        self.cmd = cmd
        self.env = env
        self.cwd = cwd
        self.log_path = log
        self.needs_db = needs_db
        self.proc: subprocess.Popen | None = None
        self.starts = 0
        self.expected_death = False
        # When it was first seen serving after its last start (set by the supervisor).
        self.serving_since: float | None = None

    def start(self) -> None:
        if self.proc is not None:
            # Whatever the last main process left behind (Celery's pool outlives a main
            # process that gave up) goes with it.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
        with self.log_path.open("a") as log:
            log.write(f"\n==== chaos: start #{self.starts + 1} at {time.strftime('%X')} ====\n")
            log.flush()
            self.proc = subprocess.Popen(
                self.cmd,
                cwd=self.cwd,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.starts += 1
        self.expected_death = False
        self.serving_since = None

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.alive() else None

    def children(self) -> list[int]:
        pid = self.pid
        return children_of(pid) if pid else []

    def kill_group(self) -> bool:
        """SIGKILL the whole group (the main process and everything it forked)."""
        if not self.alive():
            return False
        self.expected_death = True
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        return True

    def stop(self, timeout: float = 20) -> None:
        """A clean stop at the end: TERM the group, then KILL what is left."""
        if self.proc is None:
            return
        pgid = self.proc.pid
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=timeout)
        # Children outlive a main process that exited on TERM now and then (Celery's pool).
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=5)


def kill_pid(pid: int) -> bool:
    """SIGKILL one process; False when it was already gone."""
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return False
    return True
