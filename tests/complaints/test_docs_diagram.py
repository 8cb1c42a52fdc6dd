"""The lifecycle diagram in docs/architecture.md is the one the code generates."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from complaints.management.commands.lifecycle_diagram import (
    END_MARKER,
    START_MARKER,
    default_doc_path,
    render_block,
)


def _run(*args: str) -> str:
    out = StringIO()
    call_command("lifecycle_diagram", *args, stdout=out)
    return out.getvalue()


def test_committed_diagram_matches_the_transitions_in_code():
    # given the diagram the command prints from Complaint.status
    diagram = _run()
    # when we read the block committed between the markers
    text = default_doc_path().read_text(encoding="utf-8")
    start, end = text.find(START_MARKER), text.find(END_MARKER)
    assert start != -1 and end > start, "docs/architecture.md lost its lifecycle markers"
    committed = text[start : end + len(END_MARKER)]
    # then they are the same; if not, run `python manage.py lifecycle_diagram --write`
    assert committed == render_block(diagram)


def test_diagram_shows_every_transition_and_is_stable():
    first, second = _run(), _run()
    assert first == second
    assert first.startswith("stateDiagram-v2\n")
    assert "    [*] --> submitted\n" in first
    assert "    submitted --> awaiting_response: accept\n" in first
    assert "    mediating --> closed: fail_mediation\n" in first
    for terminal in ("rejected", "closed", "withdrawn"):
        assert f"    {terminal} --> [*]\n" in first


def test_write_replaces_only_the_block_between_the_markers(tmp_path):
    # given a document with a stale diagram
    doc = tmp_path / "architecture.md"
    doc.write_text(f"# Title\n\n{START_MARKER}\nstale\n{END_MARKER}\n\nafter\n", encoding="utf-8")
    # when the command rewrites it
    _run("--write", "--file", str(doc))
    # then the block is current and the text around it untouched
    text = doc.read_text(encoding="utf-8")
    assert text == f"# Title\n\n{render_block(_run())}\n\nafter\n"
    _run("--check", "--file", str(doc))


def test_check_fails_on_a_stale_document(tmp_path):
    doc = tmp_path / "architecture.md"
    doc.write_text(f"{START_MARKER}\nstale\n{END_MARKER}\n", encoding="utf-8")
    with pytest.raises(CommandError, match="out of date"):
        _run("--check", "--file", str(doc))
