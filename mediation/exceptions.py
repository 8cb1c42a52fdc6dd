"""Errors of the mediation app: a payout a cap refuses, a document not ready yet."""

from __future__ import annotations

from decimal import Decimal

from complaints.exceptions import WeiquanError


class CompensationBlocked(WeiquanError):
    """The payout would exceed the commitment cap or the deposit balance (先行赔付暂缓)."""

    code = "compensation_blocked"

    def __init__(self, *, reason: str, detail: str, amount: Decimal, limit: Decimal) -> None:
        super().__init__(
            detail,
            reason=reason,
            amount=str(amount),
            limit=str(limit),
            shortfall=str(amount - limit),
        )
        self.reason, self.detail, self.amount, self.limit = reason, detail, amount, limit


class DocumentPending(WeiquanError):
    """The document is being rendered and signed; ask again shortly."""

    code = "document_pending"
    retry_after = 5


class RecoveryClosed(WeiquanError):
    """The recovery is already closed (recovered or written off)."""

    code = "recovery_closed"

    def __init__(self, *, state: str) -> None:
        super().__init__(f"The recovery is already {state}.", state=state)
        self.state = state
