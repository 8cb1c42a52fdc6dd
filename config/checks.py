"""Production checks: a PostgreSQL that may lose committed transactions is refused.

Weiquan answers 2xx only after a commit, and that answer is a promise to a consumer
or a platform (a filing, an accepted proposal, a payment). With `fsync` off a power
cut can corrupt the cluster; with `synchronous_commit` off the last few hundred
milliseconds of acknowledged commits can vanish after a crash. Both are server or
session settings an operator can change without touching the code, so they are
asserted where the deploy is checked:

    python manage.py check --deploy --database default --fail-level ERROR

(docs/operations.md runs it before gunicorn and the Celery workers start;
config/gunicorn.py runs it in the master). Like Django's own database checks it
needs `--database`, so `check --deploy` on a build machine without a database
still works.
"""

from __future__ import annotations

from django.core.checks import Error, register
from django.db import DatabaseError, connections

# setting -> (accepted values, check id, why)
DURABILITY = {
    "fsync": ({"on"}, "weiquan.E001", "a crash or power cut can corrupt the database"),
    "synchronous_commit": (
        # remote_apply / remote_write also wait for the local flush.
        {"on", "local", "remote_write", "remote_apply"},
        "weiquan.E002",
        "commits already acknowledged to users can be lost in a crash",
    ),
}


@register("database", deploy=True)
def check_durability(app_configs=None, databases=None, **kwargs) -> list[Error]:
    """On PostgreSQL, `fsync` and `synchronous_commit` must be on (weiquan.E001-E003)."""
    errors: list[Error] = []
    for alias in databases or ():
        connection = connections[alias]
        if connection.vendor != "postgresql":
            continue  # SQLite is for development (docs/operations.md)
        try:
            with connection.cursor() as cursor:
                values = {}
                for name in DURABILITY:
                    cursor.execute(f"SHOW {name}")  # fixed names from DURABILITY
                    values[name] = cursor.fetchone()[0]
        except DatabaseError as exc:
            errors.append(
                Error(
                    f"Cannot read the durability settings of database '{alias}': {exc}",
                    hint="The database must answer before the service starts.",
                    id="weiquan.E003",
                )
            )
            continue
        for name, (accepted, check_id, why) in DURABILITY.items():
            if values[name] not in accepted:
                errors.append(
                    Error(
                        f"PostgreSQL {name} is '{values[name]}' on database '{alias}': {why}.",
                        hint=f"Set {name} = on in postgresql.conf (and for the role or "
                        f"database: ALTER ROLE/DATABASE ... RESET {name}).",
                        obj=alias,
                        id=check_id,
                    )
                )
    return errors
