"""The replacement policy's table, the book value it stands on, the lifetime figures and the one-for-one rules."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.compensation.rules import CompensationRules, coverage_percent, kilograms, retry_delay_seconds
from service.faults.lifetime import Retirement, by_category
from service.faults.policy import (
    Diagnosis,
    Outcome,
    ReplacementPolicy,
    WorkingValue,
    book_value_cents,
    decide,
    working_value,
)

HALF = ReplacementPolicy()
VALUE = WorkingValue(cents=40_000, basis="test")  # 400.00: the limit at 50 % is 200.00

# (repairable, repair cost in cents, working value in cents) -> outcome, for every kind of case the policy knows:
# unrepairable with and without a quote, no quote yet, free, below, exactly at, one cent over and far over the
# limit, a worthless unit, and an odd value whose half falls between two cents.
TABLE = [
    ((False, None, 40_000), Outcome.replace),
    ((False, 0, 40_000), Outcome.replace),
    ((False, 5_000, 40_000), Outcome.replace),
    ((False, 5_000, 0), Outcome.replace),
    ((True, None, 40_000), Outcome.repair),
    ((True, None, 0), Outcome.repair),
    ((True, 0, 40_000), Outcome.repair),
    ((True, 0, 0), Outcome.repair),
    ((True, 1, 0), Outcome.replace),
    ((True, 12_000, 40_000), Outcome.repair),
    ((True, 19_999, 40_000), Outcome.repair),
    ((True, 20_000, 40_000), Outcome.repair),
    ((True, 20_001, 40_000), Outcome.replace),
    ((True, 90_000, 40_000), Outcome.replace),
    ((True, 5_000, 10_001), Outcome.repair),  # 50.00 <= 50.005
    ((True, 5_001, 10_001), Outcome.replace),  # 50.01 > 50.005
]


@pytest.mark.parametrize("case,expected", TABLE, ids=[f"{r}-{c}-{v}" for (r, c, v), _ in TABLE])
def test_the_policy_table(case: tuple[bool, int | None, int], expected: Outcome) -> None:
    repairable, cost, value = case
    decision = decide(Diagnosis(repairable, cost), WorkingValue(value, "test"), HALF)
    assert decision.outcome is expected
    assert decision.reasons and decision.policy_version.startswith("replacement/1")
    assert decision.value_cents == value
    assert any("Value as a working unit" in r for r in decision.reasons)


@pytest.mark.parametrize(
    "repairable,cost", list(itertools.product([True, False], [None, 0, 100, 19_999, 20_000, 20_001, 10**9]))
)
@pytest.mark.parametrize("share", ["0", "0.25", "0.50", "1", "1.5"])
def test_every_combination_follows_the_rule(repairable: bool, cost: int | None, share: str) -> None:
    """Replace exactly when unrepairable, or when a quoted repair costs more than the share of the value."""
    policy = ReplacementPolicy(max_repair_share=Decimal(share))
    decision = decide(Diagnosis(repairable, cost), VALUE, policy)
    expected_replace = not repairable or (cost is not None and Decimal(cost) > VALUE.cents * Decimal(share))
    assert (decision.outcome is Outcome.replace) == expected_replace


@given(
    repairable=st.booleans(),
    cost=st.one_of(st.none(), st.integers(0, 10**10)),
    value=st.integers(0, 10**10),
    share=st.decimals(min_value=0, max_value=2, places=2),
)
def test_the_rule_holds_for_any_amounts(repairable: bool, cost: int | None, value: int, share: Decimal) -> None:
    decision = decide(Diagnosis(repairable, cost), WorkingValue(value, "b"), ReplacementPolicy(max_repair_share=share))
    replace = not repairable or (cost is not None and cost > value * share)
    assert (decision.outcome is Outcome.replace) == replace
    assert abs(decision.limit_cents - value * share) <= Decimal("0.5")


def test_the_reasons_say_why_in_numbers() -> None:
    within = decide(Diagnosis(True, 12_000), VALUE, HALF)
    assert within.reasons[0] == (
        "The repair estimate of EUR 120.00 is within 50 % of EUR 400.00 = EUR 200.00: repair it and keep it in service."
    )
    over = decide(Diagnosis(True, 25_000), VALUE, ReplacementPolicy(max_repair_share=Decimal("0.5")), currency="SEK")
    assert over.reasons[0].startswith("The repair estimate of SEK 250.00 is more than 50 % of SEK 400.00")
    assert decide(Diagnosis(False), VALUE, HALF).reasons[0] == "Diagnosed as not repairable: replace the device."
    assert "no repair estimate yet" in decide(Diagnosis(True), VALUE, HALF).reasons[0]


def test_the_version_names_rules_and_parameters() -> None:
    assert HALF.version == "replacement/1: repair share 50 %, book value over 36 months, floor 20 %"
    other = ReplacementPolicy(max_repair_share=Decimal("0.35"), book_months=48, book_floor_percent=Decimal("0"))
    assert other.version == "replacement/1: repair share 35 %, book value over 48 months, floor 0 %"
    assert other.parameters() == {"rules_version": 1, "max_repair_share": "0.35", "book_months": 48,
                                  "book_floor_percent": "0"}


@pytest.mark.parametrize("bad", [dict(max_repair_share=Decimal("-0.1")), dict(book_months=0),
                                 dict(book_floor_percent=Decimal("101"))])
def test_nonsense_parameters_are_refused(bad: dict) -> None:
    with pytest.raises(ValueError):
        ReplacementPolicy(**bad)


def test_negative_inputs_are_refused() -> None:
    with pytest.raises(ValueError):
        decide(Diagnosis(True, -1), VALUE, HALF)
    with pytest.raises(ValueError):
        decide(Diagnosis(True, 1), WorkingValue(-1, "x"), HALF)


# Snipe-IT's straight line: m >= M -> F, else round(C - (C - F) * m / M), half-up to the cent.
BOOK = [
    ((120_000, date(2024, 1, 15), date(2024, 1, 15), 36, 0), 120_000),  # bought today
    ((120_000, date(2024, 1, 15), date(2024, 2, 14), 36, 0), 120_000),  # a month not yet complete
    ((120_000, date(2024, 1, 15), date(2024, 2, 15), 36, 0), 116_667),  # 1200 - 1200/36 = 1166.666...
    ((120_000, date(2024, 1, 15), date(2025, 7, 15), 36, 0), 60_000),  # half way
    ((120_000, date(2024, 1, 15), date(2026, 12, 15), 36, 0), 3_333),  # 35 months
    ((120_000, date(2024, 1, 15), date(2027, 1, 15), 36, 0), 0),  # written off
    ((120_000, date(2024, 1, 15), date(2031, 1, 15), 36, 0), 0),
    ((120_000, date(2024, 1, 15), date(2025, 7, 15), 36, 24_000), 72_000),  # 1200 - 960 / 2
    ((120_000, date(2024, 1, 15), date(2030, 1, 15), 36, 24_000), 24_000),  # the floor
    ((120_000, date(2024, 1, 15), date(2023, 1, 1), 36, 0), 120_000),  # a date before purchase: no write-off
    ((10_000, date(2024, 1, 15), date(2025, 1, 15), 36, 50_000), 10_000),  # a floor above the price: the price
    ((0, date(2024, 1, 15), date(2025, 1, 15), 36, 0), 0),
    ((100, date(2024, 1, 31), date(2024, 2, 29), 3, 0), 100),  # month ends: Feb 29 is before the 31st
    ((100, date(2024, 1, 31), date(2024, 3, 31), 3, 0), 33),  # 100 - 100 * 2 / 3 = 33.33
    ((99, date(2024, 1, 1), date(2024, 2, 1), 2, 0), 50),  # 49.5 rounds half-up
]


@pytest.mark.parametrize("args,expected", BOOK)
def test_book_value(args: tuple, expected: int) -> None:
    assert book_value_cents(*args) == expected


def test_book_value_refuses_nonsense() -> None:
    with pytest.raises(ValueError):
        book_value_cents(-1, date(2024, 1, 1), date(2024, 1, 1))
    with pytest.raises(ValueError):
        book_value_cents(100, date(2024, 1, 1), date(2024, 1, 1), months=0)


def test_the_working_value_uses_the_policys_floor_and_says_how() -> None:
    value = working_value(100_000, date(2020, 1, 1), date(2026, 1, 1), HALF)
    assert value.cents == 20_000
    assert value.basis == (
        "straight-line book value: 1000.00 bought 2020-01-01, 72 of 36 months written off, floor 200.00"
    )
    assert working_value(100_000, date(2020, 1, 1), date(2026, 1, 1),
                         ReplacementPolicy(book_floor_percent=Decimal(0))).cents == 0


def test_lifetimes_by_category() -> None:
    rows = [
        Retirement("laptop", date(2020, 1, 10), date(2025, 1, 10), True),  # 60
        Retirement("laptop", date(2021, 6, 1), date(2025, 5, 31), False),  # 47
        Retirement("phone", date(2023, 3, 1), date(2025, 3, 1), True),  # 24
    ]
    laptops, phones = by_category(rows, 36)
    assert (laptops.category, laptops.retired, laptops.replaced, laptops.average_age_months) == (
        "laptop", 2, 1, Decimal("53.5"))
    assert laptops.months_beyond_baseline == Decimal("17.5")
    assert (phones.average_age_months, phones.months_beyond_baseline) == (Decimal("24.0"), Decimal("-12.0"))
    assert by_category([], 36) == []


def test_who_owes_one_for_one() -> None:
    rules = CompensationRules()
    assert rules.owes("laptop", date(2023, 1, 1)) and rules.owes("phone", date(2026, 5, 1))
    assert not rules.owes("laptop", date(2022, 12, 31))
    assert not rules.owes("desktop", date(2024, 1, 1)) and not rules.owes("monitor", date(2024, 1, 1))
    assert (rules.weight_grams("laptop", None), rules.weight_grams("tablet", None)) == (1650, 730)
    assert rules.weight_grams("laptop", 1234) == 1234


@pytest.mark.parametrize("attempts,expected", [(1, 900), (2, 1800), (3, 3600), (7, 57_600), (8, 86_400),
                                               (40, 86_400)])
def test_retry_backoff_doubles_up_to_a_day(attempts: int, expected: int) -> None:
    assert retry_delay_seconds(attempts, 900) == expected


def test_coverage_and_weight_figures() -> None:
    assert coverage_percent(0, 0) is None
    assert coverage_percent(120, 166) == "72.3"
    assert coverage_percent(1, 3) == "33.3" and coverage_percent(2, 3) == "66.7"
    assert coverage_percent(5, 5) == "100.0"
    assert kilograms(7950) == "7.95" and kilograms(5) == "0.01" and kilograms(0) == "0.00"
