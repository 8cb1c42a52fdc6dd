"""Money: Decimal yuan to the fen, parsed strictly from what callers send."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from complaints.exceptions import DomainValidationError

FEN = Decimal("0.01")
MAX_AMOUNT = Decimal("9999999999.99")


def parse_amount(
    value: object, field: str, *, required: bool = True, signed: bool = False
) -> Decimal | None:
    """Parse a yuan amount; floats are refused so that no binary rounding slips in.

    `signed` allows negative amounts (ledger entries); otherwise they are refused.
    """
    if value is None or value == "":
        if required:
            raise DomainValidationError({field: "This field is required."})
        return None
    if isinstance(value, float | bool):
        raise DomainValidationError({field: 'Send the amount as a decimal string, e.g. "12.30".'})
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise DomainValidationError({field: "Not a valid amount."}) from None
    if not amount.is_finite():
        raise DomainValidationError({field: "Not a valid amount."})
    # Before quantize: a huge exponent (1e30) would make it raise InvalidOperation.
    if abs(amount) > MAX_AMOUNT:
        raise DomainValidationError({field: "Too large."})
    if amount != amount.quantize(FEN, rounding=ROUND_HALF_UP):
        raise DomainValidationError({field: "At most two decimal places (fen)."})
    if amount < 0 and not signed:
        raise DomainValidationError({field: "Must not be negative."})
    # `+ 0` turns a negative zero ("-0") into 0.00.
    return amount.quantize(FEN) + 0
