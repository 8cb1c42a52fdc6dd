"""The personal data access log: one call wherever staff, a mediator or a regulator is
shown a consumer's personal data (docs in /work/notes/access-log.md and
docs/operations.md).

    personal_data_read(actor=request.user, subject=complaint.consumer,
                       fields=["display_name", "phone"], purpose="complaint_detail",
                       complaint=complaint, request=request)

Only reads by those roles (and admin users) are logged: a consumer reading their own
data, or a platform reading a complaint against it, is not what the log is for, and
the call is a no-op for them, so callers need not check. The row is written in the
caller's transaction: a read that fails and rolls back leaves no row, and a row is
never changed afterwards (complaints.models.access_log).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from complaints.choices import Role
from complaints.models import Complaint, PersonalDataAccess, User

LOGGED_ROLES = frozenset({Role.STAFF, Role.MEDIATOR, Role.REGULATOR})


def _logged(actor) -> bool:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return False
    if not isinstance(getattr(actor, "pk", None), int):
        return False  # a platform's API key is not a person
    return actor.role in LOGGED_ROLES or actor.is_staff or actor.is_superuser


def _channel(path: str) -> str:
    if path.startswith("/api/"):
        return "api"
    if path.startswith("/admin/"):
        return "admin"
    return "web"


def _address(request) -> str | None:
    try:
        return str(ipaddress.ip_address(request.META.get("REMOTE_ADDR", "")))
    except ValueError:
        return None


def personal_data_read(
    *,
    actor,
    subject: User | int,
    fields: Iterable[str],
    purpose: str,
    complaint: Complaint | None = None,
    masked: bool = False,
    request=None,
) -> PersonalDataAccess | None:
    """Log that `actor` was shown `fields` of `subject`'s personal data, for `purpose`.

    `actor` is a user (request.user will do; anything else is ignored), `subject` the
    consumer (or their id), `fields` what was shown (e.g. "display_name", "phone",
    "description"), `purpose` a short code of the page or reason ("complaint_detail",
    "admin_user_change"), `masked` whether it was shown masked. With `request`, its
    path, client address and request id are kept. Returns the row, or None when the
    actor's reads are not logged.
    """
    subject_id = subject if isinstance(subject, int) else subject.pk
    if not _logged(actor) or subject_id == actor.pk:
        return None
    path = request.path if request is not None else ""
    return PersonalDataAccess.objects.create(
        actor_id=actor.pk,
        actor_username=actor.get_username(),
        actor_role=actor.role,
        subject_id=subject_id,
        complaint=complaint,
        fields=sorted(set(fields)),
        purpose=purpose[:100],
        masked=masked,
        channel=_channel(path) if request is not None else "",
        path=path[:300],
        address=_address(request) if request is not None else None,
        request_id=(getattr(request, "request_id", "") or "")[:64] if request is not None else "",
    )
