"""The estimator against Snipe-IT's own depreciation cases and market cases computed by hand."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from pydantic import ValidationError

from service.valuation.estimator import (
    DeviceFacts,
    FaultFact,
    declining_balance_cents,
    estimate,
    months_between,
    retention,
    snipeit_floor_cents,
    straight_line_cents,
)
from service.valuation.policy import ValuationPolicy


@pytest.mark.parametrize(
    "start,end,months",
    [
        (date(2024, 1, 31), date(2024, 2, 29), 0),
        (date(2024, 1, 15), date(2024, 2, 15), 1),
        (date(2020, 6, 1), date(2026, 5, 31), 71),
        (date(2026, 1, 1), date(2025, 1, 1), 0),
    ],
)
def test_months_between(start: date, end: date, months: int) -> None:
    assert months_between(start, end) == months


def test_snipeit_floor_as_amount_after_ten_years() -> None:
    # Snipe-IT: cost 4000, 36-month profile, floor 1000 (amount) -> 1000 after ten years.
    assert straight_line_cents(400000, 120, 36, snipeit_floor_cents(400000, 100000, None)) == 100000


def test_snipeit_floor_as_percent_after_ten_years() -> None:
    # Same profile with a 50 % floor -> 2000.
    assert straight_line_cents(400000, 120, 36, snipeit_floor_cents(400000, 0, "50")) == 200000


@pytest.mark.parametrize("months,expected", [(0, 400000), (12, 300000), (18, 250000), (35, 108333), (36, 100000)])
def test_snipeit_linear_path(months: int, expected: int) -> None:
    # C - (C - F) * m / M with C 4000, F 1000, M 36: 12 months -> 3000.00; 35 -> 1083.33.
    assert straight_line_cents(400000, months, 36, 100000) == expected


def test_declining_balance_is_floored_at_salvage() -> None:
    assert declining_balance_cents(100000, 12, "0.40", 0) == 60000
    assert declining_balance_cents(100000, 24, "0.40", 0) == 36000
    assert declining_balance_cents(100000, 120, "0.40", 5000) == 5000


def test_retention_matches_the_cascade_curve() -> None:
    # 3.5 % a month: 65.2 % after one year, 42.5 % after two (reference/valuation.md).
    assert str(retention("0.035", 12))[:5] == "0.652"
    assert str(retention("0.035", 24))[:5] == "0.425"


TODAY = date(2026, 11, 22)
POLICY = ValuationPolicy()


# Hand-computed: price x retention (6 places) x grade, minus repairs, floored at parts value.
MARKET_CASES = [
    # Laptop, 24 months: 0.965^24 = 0.425261; x 1249.00 = 531.151; grade B x 0.85 = 451.48
    ("laptop 2y grade B", DeviceFacts("laptop", 124900, date(2024, 11, 22), "B"), 45148),
    # Same with a diagnosed screen repair of 150.00 -> 301.48
    (
        "laptop 2y B screen",
        DeviceFacts("laptop", 124900, date(2024, 11, 22), "B", faults=(FaultFact("screen", 15000),)),
        30148,
    ),
    # Undiagnosed battery fault uses the default 60.00 -> 391.48
    (
        "laptop 2y B battery",
        DeviceFacts("laptop", 124900, date(2024, 11, 22), "B", faults=(FaultFact("battery"),)),
        39148,
    ),
    # Mainboard fault: parts value only (25.00 for a laptop)
    (
        "laptop mainboard",
        DeviceFacts("laptop", 124900, date(2024, 11, 22), "A", faults=(FaultFact("mainboard"),)),
        2500,
    ),
    # Phone, 12 months, grade A: 0.95^12 = 0.540360; x 969.00 = 523.61
    ("phone 1y A", DeviceFacts("phone", 96900, date(2025, 11, 22), "A"), 52361),
    # Old phone, 60 months, grade D: 0.95^60 = 0.046070 x 799 x 0.40 = 14.72 -> floor 10.00 does not apply
    ("phone 5y D", DeviceFacts("phone", 79900, date(2021, 11, 22), "D"), 1472),
    # Old laptop, 7 years: 0.965^84 = 0.050194 x 1000 x 0.70 = 35.14 - screen 150 -> floor 25.00
    ("laptop 7y C screen", DeviceFacts("laptop", 100000, date(2019, 11, 22), "C", faults=(FaultFact("screen"),)), 2500),
    # Locked: zero, whatever else
    ("locked", DeviceFacts("laptop", 124900, date(2025, 11, 22), "A", locked=True), 0),
    # Diagnosed not repairable: parts only
    (
        "unrepairable",
        DeviceFacts("tablet", 57900, date(2025, 5, 1), "A", faults=(FaultFact("screen", 9000, False),)),
        1500,
    ),
]


@pytest.mark.parametrize("name,facts,expected", MARKET_CASES, ids=[c[0] for c in MARKET_CASES])
def test_market_cases_computed_by_hand(name: str, facts: DeviceFacts, expected: int) -> None:
    result = estimate(facts, POLICY, 1, TODAY)
    assert result.method == "market" and result.value_cents == expected
    assert result.lines[-1].label == "Estimated value"
    assert result.inputs["age_months"] == months_between(facts.purchase_date, TODAY)


def test_every_estimate_explains_itself() -> None:
    result = estimate(MARKET_CASES[1][1], POLICY, 7, TODAY)
    labels = [line.label for line in result.lines]
    assert labels[:2] == ["New price", "Age"] and "Repair to resell: screen" in labels
    assert result.policy_version == 7


def test_other_methods_through_estimate() -> None:
    facts = DeviceFacts("laptop", 400000, date(2016, 11, 22), "A")
    sl = estimate(facts, ValuationPolicy(straight_line_floor_cents=100000), 1, TODAY, method="straight_line")
    assert sl.value_cents == 100000 and "Snipe-IT" in sl.lines[-2].note
    db = estimate(DeviceFacts("laptop", 100000, date(2025, 11, 22), "A"), POLICY, 1, TODAY, "declining_balance")
    assert db.value_cents == 60000


def test_policy_refuses_nonsense() -> None:
    with pytest.raises(ValueError):
        ValuationPolicy(grade_factor={"A": "1.5", "B": "0.85", "C": "0.7", "D": "0.4"})
    with pytest.raises(ValueError):
        ValuationPolicy(monthly_decay={"laptop": "0.035"})


@pytest.mark.parametrize(
    "change",
    [
        {"monthly_decay": {**ValuationPolicy().monthly_decay, "laptop": "NaN"}},
        {"monthly_decay": {**ValuationPolicy().monthly_decay, "laptop": "1e-3"}},
        {"grade_factor": {**ValuationPolicy().grade_factor, "A": "1.5"}},
        {"monthly_decay": {**ValuationPolicy().monthly_decay, "laptop'; DROP TABLE devices; --": "0.1"}},
        {"parts_value_cents": {**ValuationPolicy().parts_value_cents, "phone": -1}},
        {"fault_repair_cents": {**ValuationPolicy().fault_repair_cents, "screen": -5}},
        {"straight_line_floor_percent": "Infinity"},
    ],
)
def test_a_policy_refuses_what_the_estimator_or_the_revaluation_sql_cannot_use(change: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        ValuationPolicy.model_validate({**ValuationPolicy().model_dump(), **change})
