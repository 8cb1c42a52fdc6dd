"""docs/operations.md stays the configuration reference of .env.example."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_variable_of_env_example_is_in_the_operations_reference():
    variables = set(
        re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.M)
    )
    reference = (ROOT / "docs" / "operations.md").read_text()
    table = reference.split("## Configuration reference", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"`([A-Z][A-Z0-9_]+)`", table))
    assert variables, ".env.example lists no variables?"
    assert sorted(variables - documented) == []
