from __future__ import annotations

import pytest


@pytest.fixture
def dataset(db, consumer, platform, other_platform, mediator):
    from tests.reporting.dataset import build

    return build(consumer)
