"""Request-shape building blocks every feature shares."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict

from service.i18n import gettext
from service.money import MoneyFormatError, parse_amount


class Strict(BaseModel):
    """Request bodies refuse unknown fields, so a typo is an error rather than silently ignored."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _amount(text: str) -> str:
    try:
        cents = parse_amount(text)
    except MoneyFormatError as exc:
        raise ValueError(str(exc)) from None
    if cents < 0:
        raise ValueError(gettext("must not be negative"))
    return text.strip()


# Money at the edge: a non-negative decimal string with at most two decimals, e.g. "1249.00".
Amount = Annotated[str, AfterValidator(_amount)]


def _signed_amount(text: str) -> str:
    try:
        parse_amount(text)
    except MoneyFormatError as exc:
        raise ValueError(str(exc)) from None
    return text.strip()


# A correction may go either way: "-12.50" or "12.50".
SignedAmount = Annotated[str, AfterValidator(_signed_amount)]
