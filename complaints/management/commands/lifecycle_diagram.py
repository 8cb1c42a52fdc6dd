"""Print the complaint lifecycle as a Mermaid state diagram, or refresh it in the docs.

The diagram is generated from the transitions declared on `Complaint.status`, so the
picture in docs/architecture.md cannot drift from the code without a test noticing
(tests/complaints/test_docs_diagram.py).
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation

START_MARKER = "<!-- lifecycle:start -->"
END_MARKER = "<!-- lifecycle:end -->"
# django-fsm's wildcards: "*" any state, "+" any state but the target.
ANY_STATE, ANY_OTHER_STATE = "*", "+"


def default_doc_path() -> Path:
    return Path(settings.BASE_DIR) / "docs" / "architecture.md"


def render_diagram() -> str:
    """The lifecycle as Mermaid `stateDiagram-v2` source, in a stable order."""
    from complaints.models import Complaint

    field = Complaint._meta.get_field("status")
    # Declaration order of the choices, so the output does not depend on set ordering.
    states = [str(value) for value, _label in field.choices]
    # The msgids (Simplified Chinese) whatever language is active.
    with translation.override(None):
        labels = {str(value): str(label) for value, label in field.choices}
    position = {state: i for i, state in enumerate(states)}

    edges: set[tuple[str, str, str]] = set()
    for transition in field.get_all_transitions(Complaint):
        if transition.target is None:
            continue  # a transition that keeps the state changes nothing in the diagram
        target = str(transition.target)
        if transition.source == ANY_STATE:
            sources = states
        elif transition.source == ANY_OTHER_STATE:
            sources = [s for s in states if s != target]
        else:
            sources = [str(transition.source)]
        conditions = [c.__name__.lstrip("_") for c in transition.conditions]
        label = transition.name + (f" if {' and '.join(conditions)}" if conditions else "")
        for source in sources:
            edges.add((source, target, label))

    def order(edge: tuple[str, str, str]) -> tuple[int, int, str]:
        source, target, label = edge
        return position.get(source, len(states)), position.get(target, len(states)), label

    outgoing = {source for source, _target, _label in edges}
    lines = ["stateDiagram-v2", "    direction TB"]
    lines += [f'    state "{state} {labels[state]}" as {state}' for state in states]
    lines.append(f"    [*] --> {str(field.get_default())}")
    lines += [
        f"    {source} --> {target}: {label}" for source, target, label in sorted(edges, key=order)
    ]
    # States without a way out are terminal.
    lines += [f"    {state} --> [*]" for state in states if state not in outgoing]
    return "\n".join(lines) + "\n"


def render_block(diagram: str) -> str:
    """The Markdown that sits between the markers: the diagram in a mermaid fence."""
    return f"{START_MARKER}\n```mermaid\n{diagram}```\n{END_MARKER}"


def replace_block(text: str, diagram: str) -> str:
    """`text` with the block between the lifecycle markers replaced by `diagram`."""
    start = text.find(START_MARKER)
    end = text.find(END_MARKER)
    if start == -1 or end == -1 or end < start:
        raise ValueError(f"the markers {START_MARKER} and {END_MARKER} are missing or out of order")
    return text[:start] + render_block(diagram) + text[end + len(END_MARKER) :]


class Command(BaseCommand):
    help = (
        "Print the complaint lifecycle as a Mermaid stateDiagram-v2; --write refreshes the "
        "block between the lifecycle markers in docs/architecture.md."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--write",
            action="store_true",
            help="Rewrite the diagram between the markers in the document instead of printing.",
        )
        parser.add_argument(
            "--check",
            action="store_true",
            help="Exit non-zero when the diagram in the document differs from the code.",
        )
        parser.add_argument(
            "--file",
            type=Path,
            default=None,
            help="The Markdown document (default: docs/architecture.md).",
        )

    def handle(self, *args, write: bool, check: bool, file: Path | None, **options) -> None:
        diagram = render_diagram()
        if not (write or check):
            self.stdout.write(diagram, ending="")
            return
        path = file or default_doc_path()
        try:
            current = path.read_text(encoding="utf-8")
            updated = replace_block(current, diagram)
        except (OSError, ValueError) as exc:
            raise CommandError(f"{path}: {exc}") from exc
        if check:
            if updated != current:
                raise CommandError(
                    f"{path}: the lifecycle diagram is out of date; "
                    "run `python manage.py lifecycle_diagram --write`."
                )
            self.stdout.write(f"{path}: the lifecycle diagram is current.")
            return
        if updated != current:
            path.write_text(updated, encoding="utf-8")
            self.stdout.write(f"{path}: lifecycle diagram updated.")
        else:
            self.stdout.write(f"{path}: lifecycle diagram already current.")
