"""Fixtures of the operations tests."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _broker_folders(settings, tmp_path):
    """The embedded filesystem broker in folders of the test's own (make run creates var/broker)."""
    folder = tmp_path / "broker"
    folder.mkdir()
    settings.CELERY_BROKER_URL = "filesystem://"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(folder),
        "data_folder_out": str(folder),
    }
