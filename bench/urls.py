"""The production URLs plus the two baseline views of the benchmarks (bench/settings.py)."""

from django.urls import path

from bench.baseline import insert_one, select_one
from config.urls import *  # noqa: F403
from config.urls import urlpatterns as production

urlpatterns = [
    path("bench/insert/", insert_one),
    path("bench/select/", select_one),
    *production,
]
