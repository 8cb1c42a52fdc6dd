"""gunicorn settings for production: `gunicorn -c config/gunicorn.py config.wsgi`.

Everything can still be overridden on the command line or with GUNICORN_CMD_ARGS.
What this file adds beyond defaults:

- Before any worker starts, the master runs `check --deploy --database default`
  and refuses to start on an error (weiquan.E001/E002: PostgreSQL must not lose
  acknowledged commits; see config/checks.py).
- Metrics across workers: when PROMETHEUS_MULTIPROC_DIR is set, its old files are
  removed at start and a dead worker's live gauges are discarded (config/metrics.py).
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
from pathlib import Path

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")  # noqa: S104 - behind the proxy
workers = int(os.environ.get("GUNICORN_WORKERS", str(multiprocessing.cpu_count() * 2 + 1)))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
# The access line comes from the application (config/logs.py) with the request id.
accesslog = None
errorlog = "-"
# Behind the proxy: trust its X-Forwarded-* only from these addresses.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")


def on_starting(server) -> None:
    multiproc_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if multiproc_dir:
        # Files of an earlier run would add old counts to the new ones.
        shutil.rmtree(multiproc_dir, ignore_errors=True)
        Path(multiproc_dir).mkdir(parents=True, exist_ok=True)
    if os.environ.get("WEIQUAN_SKIP_START_CHECKS", "").lower() in {"1", "true", "yes", "on"}:
        return
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django
    from django.core.management import call_command

    django.setup()
    # Raises SystemCheckError (and gunicorn exits) on any error.
    call_command("check", deploy=True, databases=["default"], fail_level="ERROR")
    from django.db import connections

    connections.close_all()  # workers fork after this: no shared connection


def child_exit(server, worker) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
