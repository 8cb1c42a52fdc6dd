"""Queue a Celery task once the current transaction commits, without ever failing the change.

`robust=True`: the change is committed by then, so a broker that is down must not
turn it into an error; Django logs the failure instead (and the sweep or the
webhook poller picks the work up again). The callback is a named function rather
than a `functools.partial`: Django's robust handler logs the callback's
`__qualname__`, which a partial does not have, so a broker failure would have
raised AttributeError after all.
"""

from __future__ import annotations

from django.db import transaction


def enqueue_after_commit(task, **kwargs) -> None:
    """Send `task.delay(**kwargs)` after commit; log, never raise, if sending fails."""

    def enqueue() -> None:
        task.delay(**kwargs)

    enqueue.__qualname__ = f"enqueue_after_commit[{task.name}]"
    transaction.on_commit(enqueue, robust=True)
