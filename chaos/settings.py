"""Settings for `make chaos` only: production settings with a Celery queue of the run's own.

The broker (RabbitMQ or Redis on this machine) is shared with other test runs; a
queue named per run keeps their workers from taking our tasks and ours from taking
theirs. Everything else is production's, read from the environment by chaos/run.py.
"""

import os

from config.settings import *  # noqa: F403

CELERY_TASK_DEFAULT_QUEUE = os.environ["CHAOS_CELERY_QUEUE"]
