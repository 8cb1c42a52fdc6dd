"""Money: Decimal yuan to the fen, parsed strictly from what callers send."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from complaints.exceptions import DomainValidationError

FEN = Decimal("0.01")
MAX_AMOUNT = Decimal("9999999999.99")


def parse_amount(value: object, field: str, *, required: bool = True) -> Decimal | None:
    """Parse a yuan amount; floats are refused so that no binary rounding slips in."""
    if value is None or value == "":
        if required:
            raise DomainValidationError({field: "This field is required."})
        return None
    if isinstance(value, float | bool):
        raise DomainValidationError({field: 'Send the amount as a decimal string, e.g. "12.30".'})
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise DomainValidationError({field: "Not a valid amount."}) from None
    if not amount.is_finite():
        raise DomainValidationError({field: "Not a valid amount."})
    if amount != amount.quantize(FEN, rounding=ROUND_HALF_UP):
        raise DomainValidationError({field: "At most two decimal places (fen)."})
    if amount < 0:
        raise DomainValidationError({field: "Must not be negative."})
    if amount > MAX_AMOUNT:
        raise DomainValidationError({field: "Too large."})
    return amount.quantize(FEN)
