"""Domain errors: each has a stable code and structured fields, and knows nothing of HTTP."""

from __future__ import annotations


class WeiquanError(Exception):
    """Root of every domain error; `api/errors.py` maps codes to HTTP statuses."""

    code = "error"

    def __init__(self, message: str = "", **fields: object) -> None:
        super().__init__(message or self.__doc__ or self.code)
        self.message = message or (self.__doc__ or self.code).strip()
        self.fields = fields


class DomainValidationError(WeiquanError):
    """The request is well-formed but breaks a domain rule; `errors` maps field to messages."""

    code = "validation_error"

    def __init__(self, errors: dict[str, list[str] | str], message: str = "") -> None:
        normalised = {k: [v] if isinstance(v, str) else list(v) for k, v in errors.items()}
        super().__init__(message or "Invalid input.", errors=normalised)
        self.errors = normalised

    def describe(self, separator: str = "; ") -> str:
        """One line for a person: `field: message` per field."""
        return separator.join(f"{field}: {' '.join(msgs)}" for field, msgs in self.errors.items())


class TransitionConflict(WeiquanError):
    """The action is not allowed in the complaint's current state."""

    code = "transition_conflict"

    def __init__(self, *, action: str, status: str, allowed: list[str]) -> None:
        super().__init__(
            f"'{action}' is not allowed while the complaint is {status}.",
            action=action,
            status=status,
            allowed_transitions=allowed,
        )
        self.action, self.status, self.allowed = action, status, allowed


class TransitionForbidden(WeiquanError):
    """The actor may not perform this action on this complaint."""

    code = "transition_forbidden"

    def __init__(self, *, action: str, role: str) -> None:
        super().__init__(f"A {role} may not '{action}' this complaint.", action=action, role=role)
        self.action, self.role = action, role


class UnknownTransition(WeiquanError):
    """No transition has this name."""

    code = "unknown_transition"

    def __init__(self, *, action: str) -> None:
        super().__init__(f"There is no transition named '{action}'.", action=action)


class ConcurrentUpdate(WeiquanError):
    """Someone else changed the complaint at the same moment; reload and try again."""

    code = "concurrent_update"


class NotFound(WeiquanError):
    """The object does not exist or is not visible to the caller."""

    code = "not_found"
