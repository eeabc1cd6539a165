"""The replacement policy's table, the market working value it stands on, the lifetime figures and the one-for-one
rules."""

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
    decide,
    working_value,
)
from service.valuation.policy import ValuationPolicy

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
    assert decision.reasons and decision.policy_version.startswith("replacement/2")
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
    assert HALF.version == "replacement/2: repair share 50 %, market value as a working unit"
    other = ReplacementPolicy(max_repair_share=Decimal("0.35"))
    assert other.version == "replacement/2: repair share 35 %, market value as a working unit"
    assert other.parameters() == {"rules_version": 2, "max_repair_share": "0.35"}


@pytest.mark.parametrize("share", [Decimal("-0.1"), Decimal("10.01")])
def test_nonsense_parameters_are_refused(share: Decimal) -> None:
    with pytest.raises(ValueError):
        ReplacementPolicy(max_repair_share=share)


def test_negative_inputs_are_refused() -> None:
    with pytest.raises(ValueError):
        decide(Diagnosis(True, -1), VALUE, HALF)
    with pytest.raises(ValueError):
        decide(Diagnosis(True, 1), WorkingValue(-1, "x"), HALF)


# The market value as a working unit, by hand: price x round(1 - monthly decay)^months to six places x grade factor,
# rounded half-up to the cent (default policy: laptops 3.5 % a month, phones 5 %; grades A 1.00, B 0.85, D 0.40).
MARKET = [
    # 0.965^26 = 0.396014; 1249.00 x 0.396014 x 0.85 = 420.4308...
    ((124_900, date(2024, 1, 15), date(2026, 3, 15), "laptop", "B"), 42_043, 26, "39.6 %"),
    # A month not yet complete: no decay; grade A keeps the whole price.
    ((99_900, date(2026, 2, 1), date(2026, 2, 28), "phone", "A"), 99_900, 0, "100 %"),
    # 0.95^1; 999.00 x 0.95 = 949.05
    ((99_900, date(2026, 2, 1), date(2026, 3, 1), "phone", "A"), 94_905, 1, "95 %"),
    # 0.965^48 = 0.180847 (the 4-year-old business laptop's 18.1 %); 1000.00 x 0.180847 x 0.40 = 72.3388
    ((100_000, date(2020, 1, 1), date(2024, 1, 1), "laptop", "D"), 7_234, 48, "18.1 %"),
]


@pytest.mark.parametrize("args,cents,months,kept", MARKET)
def test_the_working_value_is_the_market_value_of_a_working_unit(
    args: tuple, cents: int, months: int, kept: str
) -> None:
    value = working_value(*args, ValuationPolicy(), 3)
    assert value.cents == cents
    assert f"{months} month{'' if months == 1 else 's'} old" in value.basis
    assert f"retention {kept}," in value.basis
    assert value.params["working_value"]["age_months"] == months


def test_the_working_value_says_how_in_words_a_helpdesk_user_reads() -> None:
    value = working_value(124_900, date(2024, 1, 15), date(2026, 3, 15), "laptop", "B", ValuationPolicy(), 3)
    assert value.basis == (
        "market value: EUR 1249.00 new, 26 months old, laptop retention 39.6 %, "
        "grade B \N{MULTIPLICATION SIGN}0.85, valuation policy v3"
    )
    assert value.params == {
        "valuation_policy_version": 3,
        "working_value": {
            "method": "market", "price_cents": 124_900, "purchase_date": "2024-01-15", "valued_on": "2026-03-15",
            "age_months": 26, "category": "laptop", "retention": "0.396014", "grade": "B", "grade_factor": "0.85",
        },
    }  # fmt: skip
    reasons = decide(Diagnosis(True, 25_000), value, HALF).reasons
    assert reasons[0].startswith("The repair estimate of EUR 250.00 is more than 50 % of EUR 420.43 = EUR 210.22")
    assert reasons[-1] == f"Value as a working unit: EUR 420.43 ({value.basis})."
    in_sek = working_value(124_900, date(2024, 1, 15), date(2026, 3, 15), "laptop", "B", ValuationPolicy(), 3, "SEK")
    assert in_sek.basis.startswith("market value: SEK 1249.00 new")


def test_the_working_value_follows_the_valuation_policy_whatever_its_residual_method() -> None:
    """The valuation policy's curves and factors price the unit; its choice of method for residual values does not,
    and neither do its parts floor or fault repair table (the repair is what gets weighed against the value)."""
    args = (120_000, date(2024, 1, 1), date(2026, 1, 1), "laptop", "B")
    base = working_value(*args, ValuationPolicy(), 1)
    harsher = ValuationPolicy(monthly_decay={**ValuationPolicy().monthly_decay, "laptop": "0.050"},
                              grade_factor={"A": "1.00", "B": "0.50", "C": "0.40", "D": "0.20"})  # fmt: skip
    changed = working_value(*args, harsher, 2)
    assert changed.cents < base.cents
    assert changed.basis.endswith("grade B \N{MULTIPLICATION SIGN}0.50, valuation policy v2")
    other_method = ValuationPolicy(method="straight_line", parts_value_cents={
        **ValuationPolicy().parts_value_cents, "laptop": 100_000})  # fmt: skip
    assert working_value(*args, other_method, 1).cents == base.cents


def test_lifetimes_by_category() -> None:
    rows = [
        Retirement("laptop", date(2020, 1, 10), date(2025, 1, 10), True),  # 60
        Retirement("laptop", date(2021, 6, 1), date(2025, 5, 31), False),  # 47
        Retirement("phone", date(2023, 3, 1), date(2025, 3, 1), True),  # 24
    ]
    laptops, phones = by_category(rows, 36)
    assert (laptops.category, laptops.retired, laptops.replaced, laptops.average_age_months) == (
        "laptop",
        2,
        1,
        Decimal("53.5"),
    )
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


@pytest.mark.parametrize("attempts,expected", [(1, 900), (2, 1800), (3, 3600), (7, 57_600), (8, 86_400), (40, 86_400)])
def test_retry_backoff_doubles_up_to_a_day(attempts: int, expected: int) -> None:
    assert retry_delay_seconds(attempts, 900) == expected


def test_coverage_and_weight_figures() -> None:
    assert coverage_percent(0, 0) is None
    assert coverage_percent(120, 166) == "72.3"
    assert coverage_percent(1, 3) == "33.3" and coverage_percent(2, 3) == "66.7"
    assert coverage_percent(5, 5) == "100.0"
    assert kilograms(7950) == "7.95" and kilograms(5) == "0.01" and kilograms(0) == "0.00"
