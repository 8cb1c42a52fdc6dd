"""Settings for `make bench` only: production settings plus the baseline views.

The baselines (one INSERT, one indexed SELECT) must never be reachable in production,
so they live in bench/urls.py, which only this settings module routes to.
"""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
