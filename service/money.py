"""Money: integer cents inside, decimal strings at the edges, never float."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

_AMOUNT = re.compile(r"^-?\d{1,12}(\.\d{1,2})?$")
_DECIMAL_COMMA = re.compile(r"^\d+,\d{1,2}$")


class MoneyFormatError(ValueError):
    pass


def parse_amount(text: str) -> int:
    """``"1249.5"`` -> 124950. Refuses floats, thousands separators and more than two decimals."""
    if not isinstance(text, str):
        raise MoneyFormatError('send money as a decimal string, e.g. "1249.00"')
    candidate = text.strip()
    if not _AMOUNT.match(candidate):
        raise MoneyFormatError(f'"{text}" is not an amount; use digits with up to two decimals, e.g. "1249.00"')
    return int(Decimal(candidate) * 100)


def format_cents(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    return f"{sign}{whole}.{part:02d}"


def round_half_up(value: Decimal) -> int:
    """Rounds a computed amount in cents to whole cents, half away from zero, as finance expects."""
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def round_places(value: Decimal, places: int) -> Decimal:
    """``value`` to ``places`` decimals, half away from zero like the cents: the one rounding rule for shares,
    averages and weights that the UI and API show."""
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def decimal_point(text: str) -> str:
    """A form amount as people here type it ("1234,50") in the API's form ("1234.50"); anything else unchanged,
    so the parser still refuses what it should ("1.234,50" stays ambiguous)."""
    return text.replace(",", ".") if _DECIMAL_COMMA.match(text) else text
