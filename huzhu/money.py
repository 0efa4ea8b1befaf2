"""Money is Decimal yuan with two places; this is the one rounding helper."""

from decimal import ROUND_HALF_UP, Decimal

FEN = Decimal("0.01")


def to_fen(value: Decimal | int | str) -> Decimal:
    """Round to the fen, half up (SPEC B0)."""
    if not isinstance(value, Decimal):
        value = Decimal(value)
    return value.quantize(FEN, ROUND_HALF_UP)


def format_yuan(value: Decimal) -> str:
    """'1500.00': two places, never an exponent."""
    return str(to_fen(value))


def format_yuan_short(value: Decimal) -> str:
    """'20000' for a whole amount, '1234.50' otherwise: for sentences, not for tables."""
    value = to_fen(value)
    return str(int(value)) if value == value.to_integral_value() else str(value)
