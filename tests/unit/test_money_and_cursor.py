from decimal import Decimal

import pytest

from service.errors import InvalidInput
from service.money import MoneyFormatError, format_cents, parse_amount, round_half_up, round_places
from service.pagination import decode_cursor, encode_cursor


@pytest.mark.parametrize("text,cents", [("0", 0), ("1249", 124900), ("1249.5", 124950), ("1249.05", 124905),
                                        (" 7.10 ", 710), ("-3.20", -320), ("999999999999.99", 99999999999999)])
def test_parse_amount(text: str, cents: int) -> None:
    assert parse_amount(text) == cents


@pytest.mark.parametrize("text", ["", "1,249.00", "1.249,00", "12.345", "1e3", "abc", "1.", ".5", "--1"])
def test_parse_amount_refuses(text: str) -> None:
    with pytest.raises(MoneyFormatError):
        parse_amount(text)


def test_parse_amount_refuses_floats() -> None:
    with pytest.raises(MoneyFormatError):
        parse_amount(12.5)  # type: ignore[arg-type]


@pytest.mark.parametrize("cents,text", [(0, "0.00"), (5, "0.05"), (124950, "1249.50"), (-320, "-3.20")])
def test_format_cents(cents: int, text: str) -> None:
    assert format_cents(cents) == text
    assert parse_amount(text) == cents


def test_round_half_up_is_explicit() -> None:
    assert round_half_up(Decimal("2.5")) == 3
    assert round_half_up(Decimal("-2.5")) == -3
    assert round_half_up(Decimal("2.4999")) == 2


def test_cursor_round_trip() -> None:
    assert decode_cursor(encode_cursor(42)) == 42
    assert decode_cursor(None) is None


@pytest.mark.parametrize("cursor", ["garbage!", "eyJhZnRlciI6ICJ4In0", "e30", "bnVsbA"])
def test_malformed_cursor_is_a_field_error(cursor: str) -> None:
    with pytest.raises(InvalidInput) as info:
        decode_cursor(cursor)
    assert info.value.errors[0]["field"] == "cursor"


def test_round_places_rounds_half_away_from_zero_like_the_cents() -> None:
    assert round_places(Decimal("12.25"), 1) == Decimal("12.3")
    assert round_places(Decimal("-12.25"), 1) == Decimal("-12.3")
    assert round_places(Decimal("7.945"), 2) == Decimal("7.95")
    assert round_places(Decimal("0.9650005"), 6) == Decimal("0.965001")
    assert str(round_places(Decimal("3"), 2)) == "3.00"
